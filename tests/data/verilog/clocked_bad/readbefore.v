module top(input clk, input c, input [3:0] d, output reg [3:0] q);
  reg [3:0] t;
  always @(posedge clk) begin
    if (c) t = d;
    q <= t;
  end
endmodule
