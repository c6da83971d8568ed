module top(input clk, input e, input [3:0] d, output reg [3:0] q, output reg [3:0] r);
  always @(posedge clk) r <= q;
  always @(e or d)
    if (e) q = d;
endmodule
