module top(input clk, input x, input y, output z);
  wire a, b;
  assign a = b & x;
  assign b = a | y;
  reg r;
  always @(posedge clk) r <= a;
  assign z = r;
endmodule
