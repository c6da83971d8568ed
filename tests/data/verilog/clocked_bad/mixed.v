module top(input clk, input a, output reg q);
  always @(posedge clk or a) q <= a;
endmodule
