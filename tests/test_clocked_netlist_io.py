"""Registers through the BLIF and `.bench` readers and writers, and the Yosys route.

The readers: `.latch` forms (implicit clock, `re` on a port, `NIL`, init 0/1/2/3), Yosys'
`$_DFF_P_`/`$_DFF_P[PN][01]_` cells, and each refused construct as one located line through the
CLI (exit 1, no output file). The writers: an enable, a synchronous reset and an init of 1 folded
into flip-flops, checked cycle by cycle with the independent `.bench` evaluator and proven
equivalent to our Verilog by Yosys. The Yosys route: a design with an enable, a synchronous and
an asynchronous reset against Icarus running the original.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from axc.backends.bench import emit_bench
from axc.backends.blif import emit_blif
from axc.backends.verilog import emit_verilog
from axc.frontend.bench import parse_bench
from axc.frontend.blif import parse_blif
from axc.frontend.yosys_route import load_verilog_via_yosys
from axc.ir.dialects import seq
from axc.ir.parser import parse_module
from axc.ir.verifier import verify
from clocked_netlist_harness import (
    HAVE_IVERILOG,
    bench_cycles,
    blif_as_verilog,
    icarus_cycles,
    icarus_trace,
    verilog_ports,
    yosys_equivalent,
)

from axc.cli import main

FOLDED = """module @m {
  hw.graph @m(%clk: i1, %en: i1, %rst: i1, %d: i2) -> (q: i2) {
    %r = seq.reg %clk {name = "r", init = 1} : i2
    seq.next %r, %d, %en, %rst {enable = true, srst_value = 2}
    output %r
  }
}
"""
"""A two-bit register from 1, loading d when en, set to 2 by rst (rst first)."""


def _folded_model(stimulus: list[dict[str, int]]) -> list[dict[str, int]]:
    q, out = 1, []
    for s in stimulus:
        out.append({"q[0]": q & 1, "q[1]": q >> 1})
        q = 2 if s["rst"] else (s["d[0]"] | s["d[1]"] << 1) if s["en"] else q
    return out


def test_writers_fold_enable_reset_and_init() -> None:
    module = parse_module(FOLDED)
    rng = random.Random(3)
    stimulus = [{n: int(rng.random() < 0.3) if n == "rst" else rng.randint(0, 1)
                 for n in ("en", "rst", "d[0]", "d[1]")} for _ in range(100)]
    expected = _folded_model(stimulus)
    bench = emit_bench(module)
    assert "q[0]_inv = DFF(" in bench and "clk" not in bench
    assert bench_cycles(bench, stimulus) == expected
    blif = emit_blif(module)
    assert ".latch q[0]_srst q[0] re clk 1" in blif
    assert bench_cycles(emit_bench(parse_blif(blif, "m.blif")), stimulus) == expected
    assert yosys_equivalent(blif, emit_verilog(module), "m") > 0


@pytest.mark.parametrize("latch, init, clock", [
    (".latch n q", 0, "clk_1"), (".latch n q 1", 1, "clk_1"), (".latch n q 2", 0, "clk_1"),
    (".latch n q 3", 0, "clk_1"), (".latch n q re NIL 1", 1, "clk_1"), (".latch n q re c 1", 1, "c"),
])
def test_latch_forms(latch: str, init: int, clock: str) -> None:
    text = f".model t\n.inputs c clk\n.outputs q\n.names clk q n\n11 1\n{latch}\n.end\n"
    graph = parse_blif(text, "t.blif").top_graph
    (reg,) = seq.registers(graph)
    assert reg.init == init and reg.operand(0).name == clock and seq.check_clocking(graph).name == clock
    assert [v.name for v in graph.inputs] == ["c", "clk"] + ([clock] if clock != "c" else [])


def test_yosys_flip_flop_cells_keep_an_asynchronous_reset() -> None:
    text = (".model t\n.inputs clk rn d\n.outputs q p\n.subckt $_DFF_PN1_ C=clk D=d Q=q R=rn\n"
            ".subckt $_DFF_P_ C=clk D=q Q=p\n.end\n")
    module = parse_blif(text, "t.blif")
    verify(module)
    q, p = seq.registers(module.top_graph)
    assert seq.async_reset_port(q)[0].name == "rn" and seq.async_reset_port(q)[1]
    assert q.attr("arst_value") == 1 and p.async_reset is None
    with pytest.raises(Exception, match="asynchronous reset, which BLIF flip-flops cannot express"):
        emit_blif(module)


BAD = [
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.latch d q fe c 0\n.end\n", 4, "falling-edge flip-flops ('fe')"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.latch d q ah c 0\n.end\n", 4, "level-sensitive latches ('ah'"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.latch d q al c 0\n.end\n", 4, "level-sensitive latches ('al'"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.latch d q as c 0\n.end\n", 4, "asynchronous latches ('as')"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.latch d q xx c 0\n.end\n", 4, "unknown latch type 'xx'"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.latch d q re c 5\n.end\n", 4, "latch init value '5'"),
    ("t.blif", ".model t\n.inputs a b d\n.outputs q p\n.latch d q re a 0\n.latch d p re b 0\n.end\n", 5,
     "multiple clock domains are not supported: latch 'p' is clocked by 'b', latch 'q' by 'a'"),
    ("t.blif", ".model t\n.inputs a d\n.outputs q p\n.latch d q re a 0\n.latch d p 0\n.end\n", 5,
     "multiple clock domains are not supported: latch 'p' is clocked by the implicit global clock"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.subckt $_DFF_N_ C=c D=d Q=q\n.end\n", 4,
     "'$_DFF_N_' is a falling-edge flip-flop"),
    ("t.blif", ".model t\n.inputs c d\n.outputs q\n.subckt $_DLATCH_P_ E=c D=d Q=q\n.end\n", 4,
     "'$_DLATCH_P_' is a level-sensitive latch"),
    ("t.bench", "INPUT(a)\nOUTPUT(q)\nq = LATCH(a)\n", 3, "level-sensitive latches (LATCH)"),
    ("t.bench", "INPUT(a)\nOUTPUT(q)\nq = DFFR(a, a)\n", 3, "flip-flops with a reset (DFFR)"),
    ("t.bench", "INPUT(a)\nOUTPUT(q)\nq = DFF(a, a)\n", 3, "DFF takes one input, got 2"),
]


@pytest.mark.parametrize("name, text, line, message", BAD, ids=[b[3][:30] for b in BAD])
def test_bad_clocked_input_is_one_located_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                               text: str, line: int, message: str) -> None:
    src, out = tmp_path / name, tmp_path / "out.blif"
    src.write_text(text)
    assert main([str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert re.match(rf"^{re.escape(str(src))}:{line}:\d+: error: ", first), err
    assert message in first and "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("suffix", [".blif", ".bench"])
def test_writers_refuse_an_asynchronous_reset(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              suffix: str) -> None:
    src, out = tmp_path / "t.blif", tmp_path / f"out{suffix}"
    src.write_text(".model t\n.inputs clk r d\n.outputs q\n.subckt $_DFF_PP0_ C=clk D=d Q=q R=r\n.end\n")
    assert main([str(src), "-o", str(out)]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"{src}:4:1: error: register 'q' has an asynchronous reset") and not out.exists()


def test_bench_writer_refuses_a_clock_read_by_logic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "t.blif", tmp_path / "out.bench"
    src.write_text(".model t\n.inputs clk d\n.outputs q y\n.latch d q re clk 0\n.names clk d y\n11 1\n.end\n")
    assert main([str(src), "-o", str(out)]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert "also drives 'logic.and' logic, but .bench has no clock net" in first and not out.exists()


ROUTED = """module t(input clk, input rst, input arst, input en, input [3:0] d,
         output reg [3:0] r, output reg [3:0] a, output reg [3:0] s);
  always @(posedge clk) if (rst) r <= 4'd3; else if (en) r <= d + r;
  always @(posedge clk or posedge arst) if (arst) a <= 4'd9; else if (en) a <= d ^ a;
  always @(posedge clk) s <= s + 4'd1;
endmodule
"""


@pytest.mark.skipif(not HAVE_IVERILOG, reason="Icarus Verilog not installed")
def test_yosys_route_reads_enables_and_resets(tmp_path: Path) -> None:
    src = tmp_path / "t.v"
    src.write_text(ROUTED)
    module = load_verilog_via_yosys(str(src), {})
    verify(module)
    regs = seq.registers(module.top_graph)
    assert len(regs) == 12 and sum(r.async_reset is not None for r in regs) == 4
    assert sorted(r.attr("arst_value") for r in regs if r.async_reset is not None) == [0, 0, 1, 1]
    rng = random.Random(5)
    inputs = ["rst", "arst", "en", "d[0]", "d[1]", "d[2]", "d[3]"]
    stimulus = [{n: int(rng.random() < 0.1) if "rst" in n else rng.randint(0, 1) for n in inputs}
                for _ in range(150)]
    outputs = [f"{p}[{i}]" for p in "ras" for i in range(4)]

    def run(verilog: str) -> list[dict[str, int]]:
        wrapper = ("module w(input clk, input rst, input arst, input en, " +
                   ", ".join(f"input d{i}" for i in range(4)) + ", " +
                   ", ".join(f"output {p}{i}" for p in "ras" for i in range(4)) + ");\n"
                   "  wire [3:0] r, a, s;\n  t u(.clk(clk), .rst(rst), .arst(arst), .en(en), "
                   ".d({d3, d2, d1, d0}), .r(r), .a(a), .s(s));\n" +
                   "".join(f"  assign {p}{i} = {p}[{i}];\n" for p in "ras" for i in range(4)) + "endmodule\n")
        names = [n.replace("[", "").replace("]", "") for n in inputs]
        outs = [n.replace("[", "").replace("]", "") for n in outputs]
        zeroed = re.sub(r"\breg\s+(\[[^\]]*\]\s*)?([A-Za-z_][\w$]*)\s*;", r"reg \1\2 = 0;", verilog)
        flat = [{k.replace("[", "").replace("]", ""): v for k, v in s.items()} for s in stimulus]
        return icarus_cycles(zeroed + wrapper, "w", names, outs, "clk", flat, zero=False)

    ours = run(emit_verilog(module))
    assert len({tuple(c.values()) for c in ours}) > 20
    assert ours == run(ROUTED.replace("output reg [3:0] r, output reg [3:0] a, output reg "
                                                           "[3:0] s", "output reg [3:0] r = 0, output reg [3:0] "
                                                           "a = 0, output reg [3:0] s = 0"))


ACCUMULATOR = """module acc(input clk, input rst, input en, input [3:0] a, input [3:0] b, output reg [7:0] s);
  reg [3:0] a_r, b_r;
  always @(posedge clk) begin a_r <= a; b_r <= b; end
  always @(posedge clk) if (rst) s <= 8'd5; else if (en) s <= s + a_r * b_r;
endmodule
"""


@pytest.mark.parametrize("suffix", [".blif", ".bench"])
def test_word_registers_written_bit_by_bit_are_equivalent(tmp_path: Path, suffix: str) -> None:
    src, out = tmp_path / "acc.v", tmp_path / f"acc{suffix}"
    src.write_text(ACCUMULATOR)
    assert main([str(src), "-p", "lower-word", "-o", str(out), "-q"]) == 0
    text = out.read_text()
    blif = text if suffix == ".blif" else emit_blif(parse_bench(text, "acc.bench"))
    assert blif.count(".latch ") == 16
    assert yosys_equivalent(blif, ACCUMULATOR, "acc") > 0


def test_yosys_route_refuses_two_clocks_at_the_users_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "two.v", tmp_path / "out.v"
    src.write_text("module t(input c1, input c2, input d, output reg q, output reg p);\n"
                   "  always @(posedge c1) q <= d;\n  always @(posedge c2) p <= d;\nendmodule\n")
    assert main([str(src), "--frontend", "yosys", "-o", str(out)]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert re.match(rf"{re.escape(str(src))}:[23]:1: error: multiple clock domains are not supported: "
                    r"register '[qp]' is clocked by 'c[12]'", first) and not out.exists()


def test_yosys_route_keeps_initial_values(tmp_path: Path) -> None:
    src = tmp_path / "i.v"
    src.write_text("module i(input clk, input [1:0] d, output reg [1:0] q = 2'b10);\n"
                   "  always @(posedge clk) q <= d;\nendmodule\n")
    regs = seq.registers(load_verilog_via_yosys(str(src), {}).top_graph)
    assert {r.reg_name: r.init for r in regs} == {"q[0]": 0, "q[1]": 1}


@pytest.mark.skipif(not HAVE_IVERILOG, reason="Icarus Verilog not installed")
@pytest.mark.parametrize("suffix", [".blif", ".bench"])
@pytest.mark.parametrize("name", ["fir8", "mac", "sobel"])
def test_examples_written_as_flip_flops_run_like_the_original(tmp_path: Path, name: str, suffix: str) -> None:
    """The example designs, lowered and written as BLIF or `.bench`, read by Yosys' BLIF reader
    and simulated by Icarus, agree with Icarus on the original Verilog wherever it is defined."""
    src, out = Path(__file__).resolve().parents[1] / "examples" / f"{name}.v", tmp_path / f"{name}{suffix}"
    original = src.read_text()
    assert main([str(src), "-p", "lower-word", "-o", str(out), "-q"]) == 0
    blif = out.read_text() if suffix == ".blif" else emit_blif(parse_bench(out.read_text(), f"{name}.bench"))
    inputs, outputs = verilog_ports(original, name)
    rng = random.Random(11)
    stimulus = [{n: (1 if k < 2 else int(rng.random() < 0.05)) if n == "rst" else rng.getrandbits(w)
                 for n, w in inputs} for k in range(300)]
    expected = icarus_trace(original, name, inputs, outputs, stimulus)
    got = icarus_trace(blif_as_verilog(blif), name, inputs, outputs, stimulus)
    compared = [k for k in range(2, len(stimulus)) if "x" not in expected[k]]
    assert len(compared) > 200 and len({expected[k] for k in compared}) > 20
    assert [got[k] for k in compared] == [expected[k] for k in compared]
