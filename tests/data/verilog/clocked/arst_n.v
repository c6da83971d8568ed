module top(input clk, input rst_n, input en, input [3:0] d, output reg [3:0] q);
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) q <= 4'd9;
    else if (en) q <= d;
  end
endmodule
