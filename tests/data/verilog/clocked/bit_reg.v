module top(input clk, input a, input b, output [1:0] y);
  reg r0, r1;
  always @(posedge clk) begin
    r0 <= a ^ b;
    r1 <= r0;
  end
  assign y = {r1, r0};
endmodule
