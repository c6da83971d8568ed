module top(input clk, input rst_n, input [3:0] d, output reg [3:0] q);
  always @(posedge clk or negedge rst_n)
    if (rst_n) q <= d;
    else q <= 4'd0;
endmodule
