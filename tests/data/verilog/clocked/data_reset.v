module top(input clk, input load, input [7:0] d, output reg [7:0] cnt);
  always @(posedge clk)
    if (load) cnt <= d;
    else cnt <= cnt + 8'd1;
endmodule
