module top(input clk, input rst, input [3:0] d, output reg [3:0] q);
  always @(posedge clk or posedge rst)
    if (rst) q <= d;
    else q <= q + 4'd1;
endmodule
