// Combinational always blocks: if/else, case/casez/casex, defaults, loops.
module procedural (
    input [3:0] sel,
    input [7:0] a,
    input [7:0] b,
    output reg [7:0] y,
    output reg [2:0] prio,
    output reg [7:0] z,
    output reg [3:0] popcount,
    output reg [1:0] full,
    output reg [7:0] chain
);
  integer i;
  always @* begin
    y = a;
    if (sel[0])
      y = b;
    else if (sel[1])
      y = a ^ b;
    if (sel[3]) y[7:4] = 4'hA;
  end

  always @(sel) begin
    casez (sel)
      4'b1???: prio = 3'd4;
      4'b01??: prio = 3'd3;
      4'b001?: prio = 3'd2;
      4'b0001: prio = 3'd1;
      default: prio = 3'd0;
    endcase
  end

  always @(a or b or sel) begin
    case (sel[1:0])
      2'd0: z = a + b;
      2'd1, 2'd2: begin
        z = a - b;
        if (sel[2]) z = ~z;
      end
      default: z = {a[3:0], b[7:4]};
    endcase
  end

  always @* begin
    popcount = 0;
    for (i = 0; i < 8; i = i + 1)
      popcount = popcount + a[i];
  end

  always @* begin
    case (sel[3:2])
      2'b00: full = 2'd3;
      2'b01: full = a[1:0];
      2'b10: full = b[1:0];
      2'b11: full = 2'd0;
    endcase
  end

  always @* begin
    casex (sel)
      4'b1x0x: chain = a;
      4'bx1x1: chain = b;
      default: chain = 8'h5A;
    endcase
  end
endmodule
