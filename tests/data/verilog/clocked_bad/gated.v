module top(input clk, input en, input [3:0] d, output reg [3:0] q);
  wire gclk = clk & en;
  always @(posedge gclk) q <= d;
endmodule
