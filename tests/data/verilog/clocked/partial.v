module top(input clk, input c, input [3:0] a, input [3:0] b, output reg [7:0] q);
  always @(posedge clk) begin
    q[3:0] <= a;
    if (c) q[7:4] <= b;
  end
endmodule
