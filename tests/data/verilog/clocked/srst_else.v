module top(input clk, input run, input [7:0] d, output reg [7:0] q);
  always @(posedge clk)
    if (run) q <= d;
    else q <= 8'hff;
endmodule
