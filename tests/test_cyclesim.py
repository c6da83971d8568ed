"""The cycle simulator (`axc.runtime.cyclesim`): every register form checked bit for bit against
Verilator (hand-written Verilog of the same designs) and a plain Python reference model (the IR
interpreter on the word-level core, registers stepped in Python); stimulus from npz and VCD."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from axc.ir import InputError
from axc.ir.parser import parse_module
from axc.ir.views import ClockedCore
from axc.passes.circuit.lower_word import LowerWordPass
from axc.passes.infra.base import PassContext
from axc.runtime.cyclesim import CycleSimulator, Stimulus, reset_levels
from axc.runtime.interp import evaluate
from axc.runtime.verilator import HAVE_VERILATOR, VerilatorModel
from axc.runtime.verilog_text import emit_verilog

from axc import load

# cnt: init only; r: asynchronous reset; y: combinational from a register and an input
COUNTER_IR = """module @cnt {
  hw.graph @cnt(%clk: i1, %rst: i1, %a: i6) -> (cnt: i4, r: i6, y: i6) {
    %c = seq.reg %clk {name = "c", init = 5} : i4
    %one = word.const {value = 1} : i4
    %c1 = word.add %c, %one : i4
    seq.next %c, %c1
    %r = seq.reg %clk, %rst {name = "r", init = 33, arst_value = 9} : i6
    %rx = word.xor %r, %a : i6
    seq.next %r, %rx
    %y = word.add %r, %a : i6
    output %c, %r, %y
  }
}
"""
COUNTER_V = """module cnt(input clk, input rst, input [5:0] a, output [3:0] cnt, output [5:0] r, output [5:0] y);
  reg [3:0] c = 4'd5;
  reg [5:0] rr = 6'd33;
  always @(posedge clk) c <= c + 4'd1;
  always @(posedge clk or posedge rst) if (rst) rr <= 6'd9; else rr <= rr ^ a;
  assign cnt = c;
  assign r = rr;
  assign y = rr + a;
endmodule
"""

# acc: enable and active-low synchronous reset (through an inverter); mac: feedback accumulator
ACC_IR = """module @acc {
  hw.graph @acc(%clk: i1, %rstn: i1, %en: i1, %a: i8, %b: i4) -> (acc: i8, mac: i14) {
    %rst = word.not %rstn : i1
    %acc = seq.reg %clk {name = "acc"} : i8
    %s = word.add %acc, %a : i8
    seq.next %acc, %s, %en, %rst {enable = true, srst_value = 3}
    %p = word.mul %a, %b : i12
    %pe = word.zext %p : i14
    %mac = seq.reg %clk {name = "mac", init = 100} : i14
    %m = word.add %mac, %pe : i14
    seq.next %mac, %m, %rst {srst_value = 0}
    output %acc, %mac
  }
}
"""
ACC_V = """module acc(input clk, input rstn, input en, input [7:0] a, input [3:0] b, output reg [7:0] acc,
           output reg [13:0] mac);
  initial begin acc = 0; mac = 14'd100; end
  always @(posedge clk) if (!rstn) acc <= 8'd3; else if (en) acc <= acc + a;
  always @(posedge clk) if (!rstn) mac <= 0; else mac <= mac + a * b;
endmodule
"""

# a shift register, a swap of two registers (simultaneous update) and an output of the input
SHIFT_IR = """module @shift {
  hw.graph @shift(%clk: i1, %a: i4) -> (s2: i4, u: i3, y: i4) {
    %s0 = seq.reg %clk {name = "s0"} : i4
    seq.next %s0, %a
    %s1 = seq.reg %clk {name = "s1"} : i4
    seq.next %s1, %s0
    %s2 = seq.reg %clk {name = "s2"} : i4
    seq.next %s2, %s1
    %u = seq.reg %clk {name = "u", init = 1} : i3
    %v = seq.reg %clk {name = "v", init = 6} : i3
    seq.next %u, %v
    seq.next %v, %u
    %y = word.xor %s2, %a : i4
    output %s2, %u, %y
  }
}
"""
SHIFT_V = """module shift(input clk, input [3:0] a, output [3:0] s2, output [2:0] u, output [3:0] y);
  reg [3:0] r0 = 0, r1 = 0, r2 = 0;
  reg [2:0] ru = 3'd1, rv = 3'd6;
  always @(posedge clk) begin r0 <= a; r1 <= r0; r2 <= r1; ru <= rv; rv <= ru; end
  assign s2 = r2;
  assign u = ru;
  assign y = r2 ^ a;
endmodule
"""

# ports and a register over 64 bits (object arrays, Verilator's wide words)
WIDE_IR = """module @wide {
  hw.graph @wide(%clk: i1, %a: i70) -> (r: i70) {
    %r = seq.reg %clk {name = "r", init = 1180591620717411303000} : i70
    %s = word.add %r, %a : i70
    seq.next %r, %s
    output %r
  }
}
"""
WIDE_V = """module wide(input clk, input [69:0] a, output reg [69:0] r);
  initial r = 70'd1180591620717411303000;
  always @(posedge clk) r <= r + a;
endmodule
"""

DESIGNS = {"cnt": (COUNTER_IR, COUNTER_V), "acc": (ACC_IR, ACC_V), "shift": (SHIFT_IR, SHIFT_V),
           "wide": (WIDE_IR, WIDE_V)}


def _cut(text: str, lower: bool = True) -> ClockedCore:
    cut = ClockedCore.cut(parse_module(text))
    if not lower:
        return cut
    core = cut.core
    LowerWordPass().apply(PassContext(quiet=True), core)
    return dataclasses.replace(cut, core=core)


def _reference(cut: ClockedCore, stim: Stimulus) -> dict[str, np.ndarray]:
    """Plain Python: the interpreter on the word-level core, registers stepped per the seq rules."""
    graph = cut.core.top_graph
    inputs = {name: stim.port_values(name) for name, _ in stim.input_ports}
    state = {r.name: np.full(stim.n_traces, r.init, dtype=object if r.width > 64 else np.uint64)
             for r in cut.registers}
    seen = {name: np.zeros((stim.n_cycles, stim.n_traces), dtype=object if width > 64 else np.uint64)
            for name, width in cut.output_ports}
    for t in range(stim.n_cycles):
        now = {name: v[t] for name, v in inputs.items()}
        for r in cut.registers:
            if r.arst_port:
                state[r.name] = np.where(now[r.arst_port] == 1, np.uint64(r.arst_value), state[r.name])
        values = evaluate(graph, {**now, **{r.q_port: state[r.name] for r in cut.registers}})
        for name, _ in cut.output_ports:
            seen[name][t] = values[name]
        for r in cut.registers:
            nxt = np.asarray(values[r.d_port], dtype=state[r.name].dtype)
            if r.en_port:
                nxt = np.where(np.asarray(values[r.en_port]) == 1, nxt, state[r.name])
            if r.srst_port:
                nxt = np.where(np.asarray(values[r.srst_port]) == 1, np.uint64(r.srst_value), nxt)
            if r.arst_port:
                nxt = np.where(now[r.arst_port] == 1, np.uint64(r.arst_value), nxt)
            state[r.name] = nxt
    return seen


def _with_resets(cut: ClockedCore, stim: Stimulus, seed: int) -> Stimulus:
    """`stim` with the reset inputs pulsed now and then (random resets beyond cycle 0)."""
    rng = np.random.default_rng(seed)
    values = {name: stim.port_values(name) for name, _ in stim.input_ports}
    for name, level in reset_levels(cut).items():
        pulse = rng.random(values[name].shape) < 0.05
        values[name] = np.where(pulse, level, values[name]).astype(np.uint64)
    return Stimulus.from_ports(cut, values)


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_matches_the_python_reference(design: str) -> None:
    ir_text, _ = DESIGNS[design]
    cut = _cut(ir_text)
    stim = _with_resets(cut, Stimulus.random(cut, 300, 100, seed=3), seed=4)
    trace = CycleSimulator(cut).run(stim)
    expected = _reference(_cut(ir_text, lower=False), stim)
    for name, _ in cut.output_ports:
        assert np.array_equal(trace.port_values(name), expected[name]), name
    assert np.array_equal(CycleSimulator(cut).run(stim, threads=2).outputs, trace.outputs)


@pytest.mark.skipif(not HAVE_VERILATOR, reason="Verilator is not installed")
@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_bit_identical_to_verilator(design: str) -> None:
    ir_text, verilog = DESIGNS[design]
    cut = _cut(ir_text)
    stim = _with_resets(cut, Stimulus.random(cut, 300, 100, seed=5), seed=6)
    ours = CycleSimulator(cut).run(stim)
    inputs = [(n, w) for n, w in cut.input_ports if n != cut.clock]
    model = VerilatorModel.compile(verilog, design, cut.clock, inputs, cut.output_ports, optimize=False)
    try:
        theirs = model.run(stim)
    finally:
        model.close()
    assert theirs.outputs.shape == ours.outputs.shape
    lo = 0
    for name, width in cut.output_ports:
        assert np.array_equal(ours.outputs[:, lo:lo + width], theirs.outputs[:, lo:lo + width]), name
        lo += width


@pytest.mark.skipif(not HAVE_VERILATOR, reason="Verilator is not installed")
def test_the_verilog_writers_registers_simulate_alike() -> None:
    """The designs written by our Verilog writer (registers word-wide, core as gates) under
    Verilator, against the cycle simulator on the IR."""
    for design, ir_text in (("counter", COUNTER_IR.replace("@cnt", "@counter")),
                            ("accum", ACC_IR.replace("@acc", "@accum"))):
        module = parse_module(ir_text)
        LowerWordPass().apply(PassContext(quiet=True), module)
        cut = _cut(ir_text)
        stim = _with_resets(cut, Stimulus.random(cut, 200, 100, seed=8), seed=9)
        inputs = [(n, w) for n, w in cut.input_ports if n != cut.clock]
        model = VerilatorModel.compile(emit_verilog(module), design, cut.clock, inputs, cut.output_ports,
                                       optimize=False)
        try:
            assert np.array_equal(model.run(stim).outputs, CycleSimulator(cut).run(stim).outputs), design
        finally:
            model.close()


def test_full_adders_are_fused_and_shift_registers_update_last_stage_first() -> None:
    sim = CycleSimulator(_cut(ACC_IR))
    assert sim.program.ins.shape[0] < sim.view.n_gates  # MAJ + XOR3 instead of five gates
    shift = CycleSimulator(_cut(SHIFT_IR))
    written = shift.program.edge_ins[:, 4].tolist()
    q0 = 2 + shift.program.n_data
    s0, s1, s2 = ([written.index(q0 + 4 * k + b) for b in range(4)] for k in range(3))
    assert all(s2[b] < s1[b] < s0[b] for b in range(4))


def test_random_stimulus_asserts_resets_in_the_first_cycle_only() -> None:
    cut = _cut(ACC_IR)
    assert reset_levels(cut) == {"rstn": 0}
    stim = Stimulus.random(cut, 50, 130, seed=1)
    rstn = stim.port_values("rstn")
    assert (rstn[0] == 0).all() and (rstn[1:] == 1).all()
    assert stim.words.shape == (50, 1 + 1 + 8 + 4, 3)
    assert (stim.words[:, :, -1] >> np.uint64(130 - 128) == 0).all()  # tail lanes are zero
    counter = _cut(COUNTER_IR)
    rst = Stimulus.random(counter, 10, 64, seed=2).port_values("rst")
    assert (rst[0] == 1).all() and (rst[1:] == 0).all()
    trace = CycleSimulator(counter).run(Stimulus.random(counter, 10, 64, seed=2))
    assert (trace.port_values("r")[0] == 9).all()  # the asynchronous reset is seen in cycle 0


def test_port_values_signed_and_the_simulator_needs_gates() -> None:
    cut = _cut(SHIFT_IR)
    values = {"a": np.array([[7, 8, 15]] * 5, dtype=np.uint64)}
    trace = CycleSimulator(cut).run(Stimulus.from_ports(cut, values))
    assert trace.port_values("s2")[3:].tolist() == [[7, 8, 15]] * 2
    assert trace.port_values("s2", signed=True)[4].tolist() == [7, -8, -1]
    with pytest.raises(InputError, match="bit-level core"):
        CycleSimulator(_cut(SHIFT_IR, lower=False))
    with pytest.raises(InputError, match="no output port 'zz'"):
        trace.port_values("zz")


def test_npz_stimulus_and_its_errors(tmp_path: Path) -> None:
    cut = _cut(ACC_IR)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(40, 70))
    path = tmp_path / "stim.npz"
    np.savez(path, rstn=np.r_[0, np.ones(39, dtype=np.int64)], en=np.ones(40, dtype=np.uint8), a=a,
             b=rng.integers(0, 16, size=(40, 70)), clk=np.zeros(40))
    stim = Stimulus.from_npz(path, cut)
    assert (stim.n_cycles, stim.n_traces) == (40, 70)
    assert np.array_equal(stim.port_values("a"), a)
    assert (stim.port_values("rstn")[0] == 0).all() and (stim.port_values("en") == 1).all()
    one = tmp_path / "one.npz"
    np.savez(one, rstn=np.ones(5), en=np.ones(5, dtype=int), a=np.arange(5), b=np.arange(5))
    with pytest.raises(InputError, match="port 'rstn': values must be integers"):
        Stimulus.from_npz(one, cut)
    np.savez(one, rstn=np.ones(5, dtype=int), en=np.ones(5, dtype=int), a=np.arange(5))
    with pytest.raises(InputError, match="no values for input port 'b'"):
        Stimulus.from_npz(one, cut)
    np.savez(one, rstn=np.ones(5, dtype=int), en=np.ones(5, dtype=int), a=np.arange(5), b=np.zeros((5, 2, 2), int))
    with pytest.raises(InputError, match="input port 'b': expected shape"):
        Stimulus.from_npz(one, cut)
    np.savez(one, rstn=np.ones(5, dtype=int), en=np.ones(5, dtype=int), a=np.arange(5), b=np.arange(6))
    with pytest.raises(InputError, match="input port 'b': 6 cycles"):
        Stimulus.from_npz(one, cut)
    np.savez(one, rstn=np.ones(5, dtype=int), en=np.ones(5, dtype=int), a=np.arange(5) + 300, b=np.arange(5))
    with pytest.raises(InputError, match="port 'a': value 304 does not fit 8 bits"):
        Stimulus.from_npz(one, cut)
    with pytest.raises(InputError, match="cannot read stimulus"):
        Stimulus.from_npz(tmp_path / "missing.npz", cut)


VCD = """$date today $end
$timescale 1ns $end
$scope module tb $end
$var wire 1 ! clk $end
$var wire 1 " rst $end
$var wire 6 # a [5:0] $end
$scope module dut $end
$var wire 6 $ a [5:0] $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
1"
b101 #
b0 $
$end
#5
1!
#10
0!
0"
b111111 #
#15
1!
b10 #
#20
0!
bx1 #
#25
1!
#30
"""


def test_vcd_sampled_before_each_rising_edge(tmp_path: Path) -> None:
    cut = _cut(COUNTER_IR)
    path = tmp_path / "tb.vcd"
    path.write_text(VCD)
    stim = Stimulus.from_vcd(path, cut)
    assert stim.n_traces == 1 and stim.n_cycles == 3
    assert stim.port_values("rst")[:, 0].tolist() == [1, 0, 0]
    assert stim.port_values("a")[:, 0].tolist() == [5, 63, 1]  # the change at #15 counts from the next cycle
    no_clock = _cut(COUNTER_IR.replace("%clk", "%ck"))
    by_step = Stimulus.from_vcd(path, no_clock)
    assert by_step.port_values("a")[:, 0].tolist() == [5, 5, 63, 2, 1, 1, 1]


@pytest.mark.parametrize(("text", "message"), [
    (VCD.replace("b10 #", "b1x2 #"), r"tb.vcd:27:1: error: malformed VCD: bad binary value 'b1x2'"),
    (VCD.replace("#20", "#2"), r":28:1: error: malformed VCD: time goes backwards"),
    (VCD.replace("$var wire 1 \" rst $end", "$var wire 1 \" rst"), r"malformed VCD: \$var without \$end"),
    (VCD.replace("1\"", "1%"), r":15:1: error: malformed VCD: value change of undeclared identifier code '%'"),
    (VCD.replace("b101 #", "b1010101 #"), r":16:1: error: malformed VCD: value 'b1010101' has more than"),
    (VCD.replace(" a [5:0]", " q [5:0]"), r"no variable for input port 'a'"),
    (VCD.replace("$var wire 6 # a [5:0]", "$var wire 5 # a [4:0]"), r"VCD variable 'a' has 5 bits, input port 'a' has 6"),
    (VCD.replace("$enddefinitions $end", ""), r":12:1: error: malformed VCD: unexpected '#0' in the header"),
    (VCD.split("$enddefinitions")[0], r"malformed VCD: no \$enddefinitions"),
])
def test_vcd_errors_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tb.vcd"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        Stimulus.from_vcd(path, _cut(COUNTER_IR))
    assert "\n" not in err.value.headline()


TESTBENCH = """`timescale 1ns/1ns
module tb;
  reg clk = 0, rst = 1;
  reg [5:0] a = 0;
  wire [3:0] cnt; wire [5:0] r, y;
  cnt dut(.clk(clk), .rst(rst), .a(a), .cnt(cnt), .r(r), .y(y));
  always #5 clk = ~clk;
  integer i;
  initial begin
    $dumpfile("tb.vcd");
    $dumpvars(0, tb);
    for (i = 0; i < 12; i = i + 1) begin
      @(negedge clk);
      rst = 0;
      a = i * 7 + 3;
    end
    @(negedge clk);
    $finish;
  end
endmodule
"""


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog is not installed")
def test_vcd_from_icarus_drives_the_same_cycles(tmp_path: Path) -> None:
    (tmp_path / "tb.v").write_text(TESTBENCH + COUNTER_V)
    subprocess.run(["iverilog", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["vvp", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True)
    cut = _cut(COUNTER_IR)
    stim = Stimulus.from_vcd(tmp_path / "tb.vcd", cut)
    assert stim.port_values("rst")[:, 0].tolist() == [1] + [0] * 12
    assert stim.port_values("a")[:, 0].tolist() == [0] + [(i * 7 + 3) % 64 for i in range(12)]
    trace = CycleSimulator(cut).run(stim)
    expected = _reference(_cut(COUNTER_IR, lower=False), stim)
    assert np.array_equal(trace.port_values("y"), expected["y"])


ACTIVE_LOW = """module arstn(input clk, input rst_n, input [7:0] d, output reg [7:0] q);
  always @(posedge clk or negedge rst_n)
    if (!rst_n) q <= 8'h5A;
    else q <= q + d;
endmodule
"""


@pytest.mark.skipif(not HAVE_VERILATOR, reason="Verilator is not installed")
def test_an_active_low_asynchronous_reset_simulates_like_verilator(tmp_path: Path) -> None:
    """`negedge rst_n`: the register reads its reset value while rst_n is 0, from the source
    Verilog under Verilator to our simulator on the frontend's IR."""
    (tmp_path / "arstn.v").write_text(ACTIVE_LOW)
    module = load(str(tmp_path / "arstn.v"))
    LowerWordPass().apply(PassContext(quiet=True), module)
    cut = ClockedCore.cut(module)
    assert cut.registers[0].arst_active_low and reset_levels(cut) == {"rst_n": 0}
    pulsed = _with_resets(cut, Stimulus.random(cut, 200, 100, seed=3), seed=4)
    values = {name: pulsed.port_values(name) for name, _ in pulsed.input_ports}
    values["rst_n"][0] = 1  # the harness starts every input at 0: a reset held from there has no edge
    stim = Stimulus.from_ports(cut, values)
    model = VerilatorModel.compile(ACTIVE_LOW, "arstn", cut.clock, [("rst_n", 1), ("d", 8)], cut.output_ports,
                                   optimize=False)
    try:
        assert np.array_equal(model.run(stim).outputs, CycleSimulator(cut).run(stim).outputs)
    finally:
        model.close()
