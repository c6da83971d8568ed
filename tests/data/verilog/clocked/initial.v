module top(input clk, input en, output reg [3:0] cnt, output [3:0] other);
  reg [3:0] o;
  initial cnt = 4'd7;
  initial o = 4'd2;
  always @(posedge clk) if (en) cnt <= cnt + 4'd1;
  always @(posedge clk) o <= o + cnt;
  assign other = o;
endmodule
