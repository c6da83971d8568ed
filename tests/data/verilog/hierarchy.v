// Hierarchy, parameters, port styles, odd ranges, escaped names, generate.
module full_adder (a, b, cin, s, cout);
  input a, b, cin;
  output s, cout;
  wire p;
  xor (p, a, b);
  xor (s, p, cin);
  assign cout = (a & b) | (p & cin);
endmodule

module ripple #(parameter W = 4) (input [W-1:0] a, b, input cin, output [W-1:0] s, output cout);
  wire [W:0] c;
  assign c[0] = cin;
  genvar i;
  generate
    for (i = 0; i < W; i = i + 1) begin : stage
      full_adder fa (.a(a[i]), .b(b[i]), .cin(c[i]), .s(s[i]), .cout(c[i + 1]));
    end
  endgenerate
  assign cout = c[W];
endmodule

module swap_bits (input [1:4] up, output [8:5] down);
  assign down = up;                     // down[8] = up[1] (both MSB)
endmodule

module hierarchy (\in[0] , \in[1] , vec, offs, \out.sum , cout, down, mixed);
  input \in[0] , \in[1] ;
  input [10:3] vec;
  input [0:3] offs;
  output [7:0] \out.sum ;
  output cout;
  output [3:0] down;
  output [5:0] mixed;
  localparam HALF = 8 / 2;
  wire [7:0] widened = {6'b0, \in[1] , \in[0] };
  ripple #(.W(2 * HALF)) adder (vec, widened, 1'b0, \out.sum , cout);
  swap_bits sb (offs, down);
  ripple #(3) narrow (.a(vec[5:3]), .b(offs[1:3]), .cin(\in[0] ), .s(mixed[2:0]), .cout(mixed[3]));
  assign mixed[5:4] = {vec[10], offs[0]};
endmodule
