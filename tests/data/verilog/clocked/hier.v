module stage(input clk, input [3:0] x, output reg [3:0] y);
  always @(posedge clk) y <= x + 4'd1;
endmodule
module top(input clk, input [3:0] x, output [3:0] y);
  wire [3:0] m;
  stage s0(.clk(clk), .x(x), .y(m));
  stage s1(.clk(clk), .x(m), .y(y));
endmodule
