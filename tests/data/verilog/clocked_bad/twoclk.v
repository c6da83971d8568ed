module top(input clk1, input clk2, input [3:0] d, output reg [3:0] a, output reg [3:0] b);
  always @(posedge clk1) a <= d;
  always @(posedge clk2) b <= a;
endmodule
