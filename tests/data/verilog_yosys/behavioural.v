// Behavioural Verilog outside the built-in subset: division, modulo, functions.
module behavioural (
    input  [7:0] a,
    input  [3:0] b,
    output [7:0] quotient,
    output [3:0] remainder,
    output reg [3:0] leading,
    output [7:0] reversed
);
  function [7:0] reverse;
    input [7:0] x;
    integer k;
    begin
      for (k = 0; k < 8; k = k + 1)
        reverse[k] = x[7 - k];
    end
  endfunction

  assign quotient = a / (b | 4'd1);
  assign remainder = a % (b | 4'd1);
  assign reversed = reverse(a);

  integer n;
  always @* begin
    leading = 4'd8;
    for (n = 7; n >= 0; n = n - 1)
      if (a[n] && leading == 4'd8)
        leading = 7 - n;
  end
endmodule
