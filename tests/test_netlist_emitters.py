"""BLIF and .bench emitters: every gate kind written and read back to the same function, wide
gates split for Yosys' BLIF reader, constants and feed-through outputs, and ISCAS round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from axc.backends.bench import emit_bench, save_bench
from axc.backends.blif import MAX_NAMES_INPUTS, emit_blif
from axc.backends.verilog import emit_verilog
from axc.frontend.bench import load_bench, parse_bench
from axc.frontend.blif import parse_blif
from axc.ir import Graph, InputError, IntType, Module, TruthTable, i1
from axc.ir.dialects import hw, logic, word
from axc.passes.circuit.check_equiv import exhaustive_equivalence
from axc.runtime.equiv import Design, prove_equivalent, prove_files_equivalent

from axc.formats import get_saver

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def every_gate() -> Module:
    g = Graph("gates", "hw")
    x = g.add_input("x", IntType(14))
    b = list(g.create(hw.SplitOp, [x], [i1] * 14, names=[f"x[{i}]" for i in range(14)]).results)
    outs = {}
    for cls in (logic.AndOp, logic.OrOp, logic.XorOp, logic.NandOp, logic.NorOp, logic.XnorOp):
        outs[cls.name[6:]] = g.create(cls, b[:3], [i1]).result
        outs["wide_" + cls.name[6:]] = g.create(cls, b, [i1]).result  # 14 inputs: split for Yosys
    outs["not"] = g.create(logic.NotOp, [b[0]], [i1]).result
    outs["buf"] = g.create(logic.BufOp, [b[1]], [i1]).result
    outs["mux"] = g.create(logic.MuxOp, b[:3], [i1]).result
    outs["maj"] = g.create(logic.MajOp, b[1:4], [i1]).result
    outs["lut"] = g.create(logic.LutOp, b[:4], [i1], {"table": TruthTable(4, 0x6A5C)}).result
    outs["one"] = g.create(logic.ConstOp, [], [i1], {"value": 1}).result
    outs["zero"] = g.create(logic.ConstOp, [], [i1], {"value": 0}).result
    outs["feed"] = b[5]
    vec = g.create(hw.JoinOp, [outs["and"], b[2], outs["one"], outs["and"]], [IntType(4)]).result
    g.set_outputs([*outs.values(), vec], [*outs, "vec"])
    m = Module()
    m.add_graph(g, top=True)
    return m


def test_blif_emitter_every_gate() -> None:
    module = every_gate()
    text = emit_blif(module)
    assert max(len(ln.split()) - 2 for ln in text.splitlines() if ln.startswith(".names")) <= MAX_NAMES_INPUTS
    back = parse_blif(text)
    assert [(v.name, v.type.width) for v in back.top_graph.inputs] == [("x", 14)]
    result = exhaustive_equivalence(module.top_graph, back.top_graph, 14)
    assert result.equivalent, result.describe()


def test_blif_emitter_output_read_by_yosys() -> None:
    module = every_gate()

    result = prove_files_equivalent(
        Design("ours.v", emit_verilog(module), "read_verilog", "gates"),
        Design("ours.blif", emit_blif(module), "read_blif -wideports", "gates"),
    )
    assert result.equivalent, result.describe()


def test_bench_emitter_every_gate() -> None:
    module = every_gate()
    back = parse_bench(emit_bench(module))
    result = exhaustive_equivalence(module.top_graph, back.top_graph, 14)
    assert result.equivalent, result.describe()


@pytest.mark.parametrize("name", ["c432", "c1908"])
def test_bench_roundtrip_formal(name: str, tmp_path: Path) -> None:
    module = load_bench(str(CORPORA / "iscas85" / "bench" / f"{name}.bench"))
    save_bench(module, str(tmp_path / "out.bench"), {})
    result = prove_equivalent(module, load_bench(str(tmp_path / "out.bench")))
    assert result.equivalent, result.describe()


def test_word_ops_are_refused_with_a_hint() -> None:
    g = Graph("w", "hw")
    a, b = g.add_input("a", IntType(4)), g.add_input("b", IntType(4))
    g.set_outputs([g.create(word.AddOp, [a, b], [IntType(4)]).result], ["s"])
    m = Module()
    m.add_graph(g, top=True)
    with pytest.raises(InputError, match="lower-word"):
        emit_blif(m)
    with pytest.raises(InputError, match="lower the circuit"):
        emit_bench(m)


def test_registered() -> None:
    assert get_saver("bench") is save_bench


def test_constant_one_lut_survives_a_blif_round_trip() -> None:

    m = Module()
    g = m.add_graph(Graph("t"))
    a = g.add_input("a", i1)
    lut = g.create(logic.LutOp, [a], [i1], {"table": TruthTable(1, 0b11)})
    g.set_outputs([lut.result], ["y"])
    back = parse_blif(emit_blif(m), "t.blif", {})
    (y,) = back.top_graph.outputs
    assert y.owner.name == "logic.const" and y.owner.attr("value") == 1
