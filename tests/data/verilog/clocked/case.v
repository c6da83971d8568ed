module top(input clk, input [1:0] op, input [7:0] a, input [7:0] b, output reg [7:0] q);
  always @(posedge clk)
    case (op)
      2'd0: q <= a + b;
      2'd1: q <= a - b;
      2'd2: q <= a & b;
      default: ;
    endcase
endmodule
