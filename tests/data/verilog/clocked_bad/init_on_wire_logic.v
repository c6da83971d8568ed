module top(input a, output [3:0] y);
  reg [3:0] r;
  initial r = 4'd3;
  always @* r = {4{a}};
  assign y = r;
endmodule
