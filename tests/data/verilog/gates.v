// Gate primitives with many inputs, multi-output buffers/inverters, selects as terminals.
module gates (a, b, c, d, e, y, z, w, q);
  input a, b, c, d, e;
  input [2:0] w;
  output [3:0] y;
  output z;
  output [1:0] q;
  wire n1, n2, n3, n4, n5;
  nand #1 g1 (n1, a, b, c, d, e);
  nor g2 (n2, a, w[1], w[2]);
  xnor g3 (n3, a, b, c);
  xor (n4, n1, n2, n3, w[0]);
  and g5 (y[0], n4, e), g6 (y[1], n1, n3);
  or (y[2], n2, n5, d);
  not (n5, z, d);
  buf b1 (y[3], q[0], n4);
  and (q[1], a);
endmodule
