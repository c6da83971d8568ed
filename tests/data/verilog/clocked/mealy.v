module top(input clk, input [3:0] a, output [4:0] y);
  reg [3:0] r;
  always @(posedge clk) r <= a;
  assign y = r + a;
endmodule
