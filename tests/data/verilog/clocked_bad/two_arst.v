module top(input clk, input r1, input r2, input [3:0] d, output reg [3:0] q);
  always @(posedge clk or posedge r1 or posedge r2)
    if (r1) q <= 4'd0;
    else if (r2) q <= 4'd1;
    else q <= d;
endmodule
