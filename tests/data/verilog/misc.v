// Parameterised instances, named blocks, generate for/if with localparams, concatenated targets.
module leaf #(parameter W = 4, parameter signed [7:0] K = -3) (input [W-1:0] x, output [W:0] y);
  assign y = x + K;
endmodule
module misc #(parameter N = 3) (a, b, c, s, y, z, g, h);
  input [N:0] a, b;
  input c;
  output [N+1:0] s;
  output reg signed [3:0] y;
  output [4:0] z;
  output [7:0] g;
  output [3:0] h;
  reg [3:0] h;
  wire [3:0] t = a ^ b;
  assign {s[N+1], s[N:0]} = a + b + c;
  always @(*) begin : named
    y = 4'sd0;
    case (t[1:0])
      2'b00: y = -4'sd2;
      2'b11: ;
      default: y = t;
    endcase
  end
  leaf #(4) u (.x(t), .y(z));
  genvar i;
  generate
    for (i = 0; i < 4; i = i + 1) begin : gb
      localparam integer J = 2 * i;
      wire w;
      assign w = a[i] ^ b[i];
      if (i % 2 == 0) begin : even
        assign g[J] = w;
        assign g[J + 1] = ~w;
      end else begin : odd
        assign g[J +: 2] = {w, c};
      end
    end
  endgenerate
  always @ (*) h = {b[0], a[3:1]} >> c;
endmodule
