module top(input clk, input [7:0] d, output [7:0] y);
  reg [7:0] r = 8'd3;
  always @(posedge clk) r <= r ^ d;
  assign y = r;
endmodule
