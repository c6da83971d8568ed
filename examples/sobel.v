// sobel: 3x3 Sobel edge detector on a stream of 8-bit pixels, one pixel per cycle while
// `valid` is high, raster order, W pixels per line. Two line buffers (shift registers of W
// pixels: small W keeps them registers) and a 3x3 window feed a three-stage pipeline:
//   1. Gx = (p02 + 2 p12 + p22) - (p00 + 2 p10 + p20), Gy = (p20 + 2 p21 + p22) - (p00 + 2 p01 + p02)
//   2. |Gx|, |Gy|
//   3. mag = |Gx| + |Gy|  (0 .. 2040)
// Border pixels are not special-cased (the window wraps across line ends, as in the simplest
// streaming implementations). Synchronous reset clears the pipeline.
//   axc-opt examples/sobel.v -p bmf --err 0.01 -o sobel_approx.v
module sobel #(
    parameter W = 16
) (
    input             clk,
    input             rst,
    input             valid,
    input      [7:0]  pix,
    output reg [10:0] mag
);
    // line buffers: the pixel one line ago leaves line1, two lines ago leaves line2
    reg  [8*W-1:0] line1, line2;
    wire [7:0] up1 = line1[8*W-1 -: 8];
    wire [7:0] up2 = line2[8*W-1 -: 8];
    always @(posedge clk) begin
        if (valid) begin
            line1 <= {line1[8*W-9:0], pix};
            line2 <= {line2[8*W-9:0], up1};
        end
    end

    // 3x3 window: row 0 is the oldest line, column 2 the newest pixel
    reg [7:0] p00, p01, p02, p10, p11, p12, p20, p21, p22;
    always @(posedge clk) begin
        if (valid) begin
            p00 <= p01; p01 <= p02; p02 <= up2;
            p10 <= p11; p11 <= p12; p12 <= up1;
            p20 <= p21; p21 <= p22; p22 <= pix;
        end
    end

    // stage 1: gradients
    wire [9:0] gx_pos = p02 + {p12, 1'b0} + p22;
    wire [9:0] gx_neg = p00 + {p10, 1'b0} + p20;
    wire [9:0] gy_pos = p20 + {p21, 1'b0} + p22;
    wire [9:0] gy_neg = p00 + {p01, 1'b0} + p02;
    reg signed [10:0] gx, gy;
    // stage 2: magnitudes
    reg [9:0] ax, ay;
    always @(posedge clk) begin
        if (rst) begin
            gx <= 0; gy <= 0; ax <= 0; ay <= 0; mag <= 0;
        end else begin
            gx <= $signed({1'b0, gx_pos}) - $signed({1'b0, gx_neg});
            gy <= $signed({1'b0, gy_pos}) - $signed({1'b0, gy_neg});
            ax <= gx[10] ? -gx : gx;
            ay <= gy[10] ? -gy : gy;
            mag <= ax + ay;   // stage 3
        end
    end
endmodule
