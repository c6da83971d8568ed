// 8-bit unsigned ripple-carry adder: s = a + b (9-bit result).
// The example circuit of the README's headline command:
//   axc-opt examples/adder.v -p bmf --err 0.01 -o approx.v
module adder (
    input  [7:0] a,
    input  [7:0] b,
    output [8:0] s
);
    wire [8:0] c;
    assign c[0] = 1'b0;

    full_adder fa0 (.a(a[0]), .b(b[0]), .ci(c[0]), .s(s[0]), .co(c[1]));
    full_adder fa1 (.a(a[1]), .b(b[1]), .ci(c[1]), .s(s[1]), .co(c[2]));
    full_adder fa2 (.a(a[2]), .b(b[2]), .ci(c[2]), .s(s[2]), .co(c[3]));
    full_adder fa3 (.a(a[3]), .b(b[3]), .ci(c[3]), .s(s[3]), .co(c[4]));
    full_adder fa4 (.a(a[4]), .b(b[4]), .ci(c[4]), .s(s[4]), .co(c[5]));
    full_adder fa5 (.a(a[5]), .b(b[5]), .ci(c[5]), .s(s[5]), .co(c[6]));
    full_adder fa6 (.a(a[6]), .b(b[6]), .ci(c[6]), .s(s[6]), .co(c[7]));
    full_adder fa7 (.a(a[7]), .b(b[7]), .ci(c[7]), .s(s[7]), .co(c[8]));

    assign s[8] = c[8];
endmodule

module full_adder (
    input  a,
    input  b,
    input  ci,
    output s,
    output co
);
    wire p;
    xor g0 (p, a, b);
    xor g1 (s, p, ci);
    assign co = (a & b) | (p & ci);
endmodule
