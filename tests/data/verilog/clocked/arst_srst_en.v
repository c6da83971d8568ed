module top(input clk, input arst, input clr, input en, input [5:0] d, output reg [5:0] q);
  always @(posedge clk or posedge arst)
    if (arst) q <= 6'd1;
    else if (clr) q <= 6'd2;
    else if (en) q <= d;
endmodule
