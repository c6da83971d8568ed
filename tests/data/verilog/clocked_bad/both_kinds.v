module top(input clk, input c, input [3:0] d, output reg [3:0] q);
  always @(posedge clk) begin
    q = d;
    if (c) q <= 4'd0;
  end
endmodule
