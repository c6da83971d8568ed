// Every expression operator on vectors and bits.
module operators (
    input  [5:0] x,
    input  [5:0] y,
    input  [2:0] k,
    output [5:0] o_and, o_or, o_xor, o_xnor1, o_xnor2, o_not,
    output [5:0] o_add, o_sub, o_mul, o_neg, o_plus,
    output [5:0] o_shl, o_shr, o_sshl, o_sshr,
    output o_eq, o_ne, o_ceq, o_cne, o_lt, o_le, o_gt, o_ge,
    output o_land, o_lor, o_lnot,
    output o_rand, o_ror, o_rxor, o_rnand, o_rnor, o_rxnor,
    output [5:0] o_tern,
    output [11:0] o_cat,
    output [17:0] o_rep,
    output o_bit, o_varbit,
    output [2:0] o_part, o_plus_sel, o_minus_sel, o_var_sel,
    output [5:0] o_pow, o_div, o_mod
);
  localparam P = 3;
  assign o_and = x & y;
  assign o_or = x | y;
  assign o_xor = x ^ y;
  assign o_xnor1 = x ^~ y;
  assign o_xnor2 = x ~^ y;
  assign o_not = ~x;
  assign o_add = x + y;
  assign o_sub = x - y;
  assign o_mul = x * y;
  assign o_neg = -x;
  assign o_plus = +x;
  assign o_shl = x << k;
  assign o_shr = x >> k;
  assign o_sshl = x <<< 2;
  assign o_sshr = x >>> k;
  assign o_eq = x == y;
  assign o_ne = x != y;
  assign o_ceq = x === y;
  assign o_cne = x !== y;
  assign o_lt = x < y;
  assign o_le = x <= y;
  assign o_gt = x > y;
  assign o_ge = x >= y;
  assign o_land = x && y;
  assign o_lor = x || k;
  assign o_lnot = !x;
  assign o_rand = &x;
  assign o_ror = |y;
  assign o_rxor = ^x;
  assign o_rnand = ~&y;
  assign o_rnor = ~|k;
  assign o_rxnor = ~^x;
  assign o_tern = (x > y) ? x - y : y - x;
  assign o_cat = {x[2:0], y, k};
  assign o_rep = {3{x}};
  assign o_bit = x[P];
  assign o_varbit = y[k[1:0]];
  assign o_part = x[4:2];
  assign o_plus_sel = y[1 +: 3];
  assign o_minus_sel = y[5 -: 3];
  assign o_var_sel = x[k[1:0] +: 3];
  assign o_pow = 2 ** P + x;
  assign o_div = x + 17 / 4 + (P * 8) % 5;
  assign o_mod = (x & 6'd7) + 6'd11 % 3;
endmodule
