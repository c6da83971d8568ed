"""Structural Verilog emitter: names and ports, gates and LUTs, word-level operators and
instances, checked by simulating the emitted text with Icarus against Python arithmetic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from axc.backends.verilog import emit_verilog, legal_identifier, save_verilog
from axc.ir import Graph, IntType, Module, TruthTable, i1
from axc.ir.dialects import hw, logic, word

from axc.formats import get_saver

sys.path.insert(0, str(Path(__file__).parent))
from iverilog_harness import HAVE_IVERILOG, simulate  # noqa: E402

needs_iverilog = pytest.mark.skipif(not HAVE_IVERILOG, reason="needs Icarus Verilog")


def compile_clean(text: str, tmp_path: Path) -> None:
    path = tmp_path / "dut.v"
    path.write_text(text)
    proc = subprocess.run(["iverilog", "-Wall", "-o", str(tmp_path / "a.out"), str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def word_module() -> Module:
    g = Graph("alu", "hw")
    a = g.add_input("a", IntType(8))
    b = g.add_input("b", IntType(8))
    s = g.add_input("s", i1)
    i8, i16 = IntType(8), IntType(16)

    def op(cls, operands, width, **attrs):
        return g.create(cls, operands, [IntType(width)], attrs or None).result

    outs = {
        "sum": op(word.AddOp, [a, b], 8),
        "diff": op(word.SubOp, [a, b], 8),
        "neg": op(word.NegOp, [a], 8),
        "prod": op(word.MulOp, [a, b], 16),
        "sprod": op(word.MulOp, [a, b], 16, signed=True),
        "lt": op(word.CmpOp, [a, b], 1, pred="ult"),
        "slt": op(word.CmpOp, [a, b], 1, pred="slt"),
        "eq": op(word.CmpOp, [a, b], 1, pred="eq"),
        "shl": op(word.ShlOp, [a, op(word.ExtractOp, [b], 3, lo=0)], 8),
        "sra": op(word.ShrOp, [a, op(word.ExtractOp, [b], 3, lo=0)], 8, arith=True),
        "mux": op(word.MuxOp, [s, a, b], 8),
        "cat": op(word.ConcatOp, [op(word.ExtractOp, [a], 4, lo=4), b], 12),
        "sx": op(word.SextOp, [a], 12),
        "zx": op(word.ZextOp, [b], 12),
        "mix": op(word.XorOp, [op(word.AndOp, [a, b], 8), op(word.NotOp, [op(word.ConstOp, [], 8, value=0x5A)], 8)], 8),
        "par": op(word.ReduceXorOp, [a], 1),
    }
    g.set_outputs(list(outs.values()), list(outs))
    del i8, i16
    m = Module()
    m.add_graph(g, top=True)
    return m


def reference(a: int, b: int, s: int) -> dict[str, int]:
    sa, sb = a - 256 * (a >> 7), b - 256 * (b >> 7)
    sh = b & 7
    return {
        "sum": (a + b) & 255, "diff": (a - b) & 255, "neg": -a & 255, "prod": a * b,
        "sprod": (sa * sb) & 0xFFFF, "lt": int(a < b), "slt": int(sa < sb), "eq": int(a == b),
        "shl": (a << sh) & 255, "sra": (sa >> sh) & 255, "mux": a if s else b,
        "cat": (a >> 4) | (b << 4), "sx": sa & 0xFFF, "zx": b, "mix": (a & b) ^ (~0x5A & 255),
        "par": bin(a).count("1") & 1,
    }


@needs_iverilog
def test_word_operators_simulate_like_python(tmp_path: Path) -> None:
    module = word_module()
    text = emit_verilog(module)
    assert "assign sum = a + b;" in text and "$signed(a) * $signed(b)" in text
    compile_clean(text, tmp_path)
    (tmp_path / "alu.v").write_text(text)
    rng = np.random.default_rng(3)
    n = 400
    vec = {"a": [int(x) for x in rng.integers(0, 256, n)], "b": [int(x) for x in rng.integers(0, 256, n)],
           "s": [int(x) for x in rng.integers(0, 2, n)]}
    vec["a"][:4], vec["b"][:4] = [0, 255, 128, 127], [255, 128, 0, 7]
    g = module.top_graph
    outputs = [(name, v.type.width) for name, v in zip(g.output_names, g.outputs)]
    got = simulate([tmp_path / "alu.v"], "alu", [("a", 8), ("b", 8), ("s", 1)], outputs, vec)
    for k in range(n):
        want = reference(vec["a"][k], vec["b"][k], vec["s"][k])
        assert {name: got[name][k] for name in want} == want, k


def lut_module(table: TruthTable, n: int) -> Module:
    g = Graph("lutty", "hw")
    x = g.add_input("x", IntType(n))
    bits = g.create(hw.SplitOp, [x], [i1] * n).results
    y = g.create(logic.LutOp, list(bits), [i1], {"table": table}, names=["y"]).result
    ny = g.create(logic.MajOp, [bits[0], bits[1], y], [i1]).result
    g.set_outputs([g.create(hw.JoinOp, [y, ny], [IntType(2)]).result], ["out"])
    m = Module()
    m.add_graph(g, top=True)
    return m


@needs_iverilog
@pytest.mark.parametrize("n", [3, 6, 10])
def test_luts_simulate_exactly(n: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(n)
    bits = rng.integers(0, 2, 1 << n)
    table = TruthTable.from_array(bits)
    text = emit_verilog(lut_module(table, n))
    compile_clean(text, tmp_path)
    (tmp_path / "l.v").write_text(text)
    got = simulate([tmp_path / "l.v"], "lutty", [("x", n)], [("out", 2)], {"x": list(range(1 << n))})
    for p, v in enumerate(got["out"]):
        y = int(bits[p])
        assert v & 1 == y and v >> 1 == int((p & 1) + ((p >> 1) & 1) + y >= 2)


def test_names_are_legal_unique_and_kept(tmp_path: Path) -> None:
    g = Graph("top", "hw")
    a = g.add_input("a[0]", i1)          # an escaped-style scalar port keeps its name
    b = g.add_input("wire", i1)          # a keyword
    c = g.add_input("b", IntType(2))
    cb = g.create(hw.SplitOp, [c], [i1, i1], names=["b[0]", "b[1]"]).results
    n1 = g.create(logic.AndOp, [a, b], [i1], names=["n 1"]).result
    n2 = g.create(logic.OrOp, [n1, cb[1]], [i1], names=["n_1"]).result
    n3 = g.create(logic.XnorOp, [n2, cb[0]], [i1], names=["3x"]).result
    n4 = g.create(logic.NotOp, [n1], [i1], names=["n.1"]).result
    n5 = g.create(logic.AndOp, [n4, a], [i1], names=["w"]).result
    g.set_outputs([n3, n2, a, n5], ["y", "z", "feed", "w"])
    m = Module({"source": "x.blif"})
    m.add_graph(g, top=True)
    text = emit_verilog(m)
    # ports keep their exact names (escaped when not plain identifiers); internal nets are
    # sanitised and kept unique ("n 1" and "n.1" both become n_1)
    assert "input \\a[0] ;" in text and "input \\wire ;" in text and "input [1:0] b;" in text
    assert "assign y = ~(z ^ b[0]);" in text and "assign feed = \\a[0] ;" in text
    assert "wire n_1;" in text and "assign n_1_1 = ~n_1;" in text and "assign w = n_1_1 & \\a[0] ;" in text
    assert legal_identifier("3x") == "n3x" and legal_identifier("module") == "module_"
    if HAVE_IVERILOG:
        compile_clean(text, tmp_path)


def test_instances_become_submodules(tmp_path: Path) -> None:
    sub = Graph("half add", "hw")
    x, y = sub.add_input("x", i1), sub.add_input("y", i1)
    sub.set_outputs([sub.create(logic.XorOp, [x, y], [i1]).result, sub.create(logic.AndOp, [x, y], [i1]).result],
                    ["s", "c"])
    top = Graph("top", "hw")
    a, b = top.add_input("a", i1), top.add_input("b", i1)
    inst = top.create(hw.InstanceOp, [a, b], [i1, i1], {"callee": "half add", "instance": "u0"})
    top.set_outputs(list(inst.results), ["s", "c"])
    m = Module()
    m.add_graph(sub)
    m.add_graph(top, top=True)
    text = emit_verilog(m)
    assert text.index("module half_add") < text.index("module top")
    assert "half_add u0 (.x(a), .y(b), .s(s), .c(c));" in text
    if HAVE_IVERILOG:
        compile_clean(text, tmp_path)
        (tmp_path / "h.v").write_text(text)
        got = simulate([tmp_path / "h.v"], "top", [("a", 1), ("b", 1)], [("s", 1), ("c", 1)],
                       {"a": [0, 1, 0, 1], "b": [0, 0, 1, 1]})
        assert got == {"s": [0, 1, 1, 0], "c": [0, 0, 0, 1]}


def test_registered_and_saves(tmp_path: Path) -> None:
    assert get_saver("v") is save_verilog
    save_verilog(word_module(), str(tmp_path / "o.v"), {})
    assert (tmp_path / "o.v").read_text().startswith("// Generated by axc-opt")
