module top(input clk, input din, output dout, output [7:0] taps);
  reg [7:0] sr;
  integer i;
  always @(posedge clk) begin
    sr[0] <= din;
    for (i = 1; i < 8; i = i + 1)
      sr[i] <= sr[i - 1];
  end
  assign dout = sr[7];
  assign taps = sr;
endmodule
