module top(input clk, input rst, input [3:0] d, output reg [3:0] a, output reg [3:0] b);
  always @(posedge clk or posedge rst)
    if (rst) a <= 4'd0;
    else begin
      a <= d;
      b <= a;
    end
endmodule
