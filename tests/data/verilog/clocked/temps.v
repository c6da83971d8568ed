module top(input clk, input [7:0] a, input [7:0] b, output reg [8:0] q);
  reg [8:0] t;
  always @(posedge clk) begin
    t = a + b;
    t = t + {1'b0, a};
    q <= t;
  end
endmodule
