// mac: 8x8 unsigned multiply-accumulate with a 24-bit accumulator.
// Inputs are registered (a_r, b_r with their control bits), the product a_r * b_r is added
// to the accumulator while `en` was high, `clr` clears it (taking effect one cycle later, like
// the data), `rst` resets everything synchronously. The accumulator feeds back into itself,
// so an approximate multiplier's error accumulates over the cycles until the next clear.
//   axc-opt examples/mac.v -p bmf --err 0.01 -o mac_approx.v
module mac (
    input             clk,
    input             rst,
    input             en,
    input             clr,
    input      [7:0]  a,
    input      [7:0]  b,
    output reg [23:0] acc
);
    reg [7:0] a_r, b_r;
    reg       en_r, clr_r;
    always @(posedge clk) begin
        if (rst) begin
            a_r <= 8'd0; b_r <= 8'd0; en_r <= 1'b0; clr_r <= 1'b0;
        end else begin
            a_r <= a; b_r <= b; en_r <= en; clr_r <= clr;
        end
    end

    wire [15:0] prod = a_r * b_r;

    always @(posedge clk) begin
        if (rst)
            acc <= 24'd0;
        else if (clr_r)
            acc <= 24'd0;
        else if (en_r)
            acc <= acc + prod;
    end
endmodule
