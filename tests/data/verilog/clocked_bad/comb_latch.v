module top(input e, input [3:0] d, output reg [3:0] q);
  always @*
    if (e) q = d;
endmodule
