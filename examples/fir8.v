// fir8: pipelined 8-tap low-pass FIR filter, y[n] = sum_k h[k] * x[n-k] / 128.
// 8-bit signed samples in, 8-bit signed samples out (unity DC gain). Coefficients: a
// Hamming-windowed sinc, cutoff 0.1 fs, symmetric, scaled to sum to 128:
//   h = 1, 6, 21, 36, 36, 21, 6, 1
// Pipeline: tap delay line -> registered products -> two registered adder levels -> final
// sum and output register (latency 4 cycles after a sample enters the delay line).
// Synchronous, active-high reset clears every register.
//   axc-opt examples/fir8.v -p bmf --err 0.01 -o fir_approx.v
module fir8 (
    input                   clk,
    input                   rst,
    input  signed [7:0]     x,
    output reg signed [7:0] y
);
    localparam signed [7:0] H0 = 8'sd1, H1 = 8'sd6, H2 = 8'sd21, H3 = 8'sd36;

    // tap delay line
    reg signed [7:0] x0, x1, x2, x3, x4, x5, x6, x7;
    always @(posedge clk) begin
        if (rst) begin
            x0 <= 0; x1 <= 0; x2 <= 0; x3 <= 0; x4 <= 0; x5 <= 0; x6 <= 0; x7 <= 0;
        end else begin
            x0 <= x;  x1 <= x0; x2 <= x1; x3 <= x2;
            x4 <= x3; x5 <= x4; x6 <= x5; x7 <= x6;
        end
    end

    // stage 1: products
    reg signed [15:0] p0, p1, p2, p3, p4, p5, p6, p7;
    always @(posedge clk) begin
        if (rst) begin
            p0 <= 0; p1 <= 0; p2 <= 0; p3 <= 0; p4 <= 0; p5 <= 0; p6 <= 0; p7 <= 0;
        end else begin
            p0 <= x0 * H0; p1 <= x1 * H1; p2 <= x2 * H2; p3 <= x3 * H3;
            p4 <= x4 * H3; p5 <= x5 * H2; p6 <= x6 * H1; p7 <= x7 * H0;
        end
    end

    // stage 2 and 3: adder tree
    reg signed [16:0] s01, s23, s45, s67;
    reg signed [17:0] s0123, s4567;
    always @(posedge clk) begin
        if (rst) begin
            s01 <= 0; s23 <= 0; s45 <= 0; s67 <= 0; s0123 <= 0; s4567 <= 0;
        end else begin
            s01 <= p0 + p1;  s23 <= p2 + p3;  s45 <= p4 + p5;  s67 <= p6 + p7;
            s0123 <= s01 + s23;
            s4567 <= s45 + s67;
        end
    end

    // stage 4: final sum, scaled by 1/128 (|sum| <= 128 * 128, so y fits 8 bits)
    wire signed [18:0] sum = s0123 + s4567;
    always @(posedge clk) begin
        if (rst) y <= 0;
        else     y <= sum[14:7];
    end
endmodule
