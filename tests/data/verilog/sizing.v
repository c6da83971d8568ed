// Verilog-2001 expression sizing and signedness rules.
module sizing (
    input  [3:0] a,
    input  [3:0] b,
    input  signed [3:0] sa,
    input  signed [3:0] sb,
    input  [2:0] s,
    output [4:0] carry_kept,
    output [4:0] carry_lost,
    output [7:0] signed_sum,
    output [7:0] mixed_sum,
    output [7:0] unsigned_ext,
    output       lt_signed,
    output       lt_mixed,
    output       lt_wide,
    output [7:0] ashr_signed,
    output [7:0] ashr_unsigned,
    output [7:0] shl_ctx,
    output [7:0] neg_const,
    output [7:0] unsized,
    output [5:0] tern_mixed,
    output [5:0] tern_signed,
    output [7:0] based,
    output [9:0] mul_ctx,
    output [3:0] cmp_in_arith,
    output [7:0] cast_mix,
    output [7:0] neg_unsigned,
    output       cmp_neg,
    output [7:0] signed_shift,
    output [7:0] concat_signed,
    output [3:0] tern_cond,
    output [7:0] signed_param
);
  localparam signed [7:0] OFFSET = -8'sd5;
  assign carry_kept   = a + b;                 // context 5 bits: carry kept
  assign carry_lost   = {a + b};               // self-determined inside a concatenation
  assign signed_sum   = sa + sb;               // sign-extended to 8
  assign mixed_sum    = sa + b;                // unsigned: zero-extended
  assign unsigned_ext = $unsigned(sa) + sb;    // unsigned again
  assign lt_signed    = sa < sb;
  assign lt_mixed     = sa < b;                // unsigned compare
  assign lt_wide      = a < (b + 5'd16);       // operands sized to 5 bits
  assign ashr_signed  = sa >>> s;              // arithmetic
  assign ashr_unsigned = a >>> s;              // logical: unsigned operand
  assign shl_ctx      = a << s;                // shifted value sized to the context
  assign neg_const    = -4'sd3 + sa;
  assign unsized      = 'b1 + -1 + a;
  assign tern_mixed   = s[0] ? sa : b;         // unsigned: zero-extend sa
  assign tern_signed  = s[0] ? sa : sb;        // signed: sign-extend
  assign based        = 8'hF0 | 4'sb1001 | {2{2'b01}};
  assign mul_ctx      = a * b + sa * sb;       // unsigned products at 10 bits
  assign cmp_in_arith = (a > b) + (a == b) + 4'd2;
  assign cast_mix     = $signed(a) * sb;       // signed at 8 bits
  assign neg_unsigned = -a;
  assign cmp_neg      = sa > -2;               // signed 32-bit compare
  assign signed_shift = $signed(a) >>> 1;      // sign of a[3] fills
  assign concat_signed = {sa} + 8'd0;          // concatenation is unsigned
  assign tern_cond    = (a & b) ? a : b;       // multi-bit condition
  assign signed_param = sa + OFFSET;           // signed parameter
endmodule
