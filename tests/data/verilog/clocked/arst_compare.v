module top(input clk, input rst_n, input rst, input [3:0] d, output reg [3:0] q, output reg [3:0] p);
  always @(posedge clk or negedge rst_n)
    if (rst_n == 1'b0) q <= 4'd3;
    else q <= d;
  always @(posedge clk or posedge rst)
    if (rst) {p[1:0], p[3:2]} <= 4'b0110;
    else p <= q;
endmodule
