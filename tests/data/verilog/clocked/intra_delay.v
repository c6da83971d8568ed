module top(input clk, input [3:0] d, output reg [3:0] q);
  always @(posedge clk) q <= #1 d;
endmodule
