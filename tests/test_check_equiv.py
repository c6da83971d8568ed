"""check-equiv: exhaustive simulation for small circuits, Yosys SAT for large and word-level
ones, counterexamples when the circuit changed, and the reference given by `against=FILE`."""

from __future__ import annotations

from pathlib import Path

import pytest
from axc.backends.verilog import save_verilog
from axc.frontend.bench import load_bench
from axc.frontend.blif import load_blif
from axc.ir import Graph, InputError, IntType, Module, PassError, i1
from axc.ir.dialects import logic, word
from axc.passes.circuit.check_equiv import CheckEquivPass
from axc.passes.infra.base import PassContext
from axc.passes.infra.registry import get_pass

from axc.api import read_file

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
Z4ML = CORPORA / "lgsynth91" / "blif_names" / "z4ml.blif"
C880 = CORPORA / "iscas85" / "bench" / "c880.bench"


def mutate(module: Module, index: int = 3) -> Module:
    """A copy with one AND gate turned into an XOR."""
    copy = module.clone()
    g = copy.top_graph
    op = [o for o in g.ops if isinstance(o, logic.AndOp)][index]
    new = g.create(logic.XorOp, list(op.operands), [i1])
    op.result.replace_all_uses_with(new.result)
    g.erase(op)
    return copy


def test_registered() -> None:
    assert get_pass("check-equiv") is CheckEquivPass


@pytest.mark.parametrize("method", ["sim", "sat"])
def test_identical_circuit_passes(method: str) -> None:
    module = load_blif(str(Z4ML))
    ctx = PassContext(original=module.clone(), quiet=True)
    result = CheckEquivPass(method=method).apply(ctx, module)
    assert not result.modified and ctx.report["check-equiv"]["equivalent"]
    assert ctx.report["check-equiv"]["method"].startswith("exhaustive" if method == "sim" else "Yosys")


@pytest.mark.parametrize("method", ["auto", "sat"])
def test_changed_circuit_fails_with_counterexample(method: str) -> None:
    module = load_blif(str(Z4ML))
    ctx = PassContext(original=module, quiet=True)
    with pytest.raises(PassError, match="not equivalent") as exc:
        CheckEquivPass(method=method).apply(ctx, mutate(module))
    assert "counterexample " in exc.value.message and "_1=" in exc.value.message and " vs " in exc.value.message


def test_large_circuit_uses_sat_and_against_file(tmp_path: Path) -> None:
    module = load_bench(str(C880))  # 60 inputs: too many to enumerate

    ref = tmp_path / "c880_ref.v"
    save_verilog(module, str(ref), {})
    ctx = PassContext(quiet=True, reader=read_file)
    CheckEquivPass(against=str(ref)).apply(ctx, module.clone())
    assert ctx.report["check-equiv"]["method"] == "Yosys SAT miter"
    with pytest.raises(PassError, match=r"random vectors \(seed 5\)\): counterexample"):
        CheckEquivPass(against=str(ref), seed=5).apply(PassContext(quiet=True, reader=read_file), mutate(module, 10))
    with pytest.raises(PassError, match=r"Yosys SAT miter\): counterexample"):
        CheckEquivPass(against=str(ref), method="sat").apply(PassContext(quiet=True, reader=read_file), mutate(module, 10))


def test_word_level_circuits() -> None:
    def adder(commuted: bool, sub: bool = False) -> Module:
        g = Graph("add", "hw")
        a, b = g.add_input("a", IntType(12)), g.add_input("b", IntType(12))
        cls = word.SubOp if sub else word.AddOp
        s = g.create(cls, [b, a] if commuted else [a, b], [IntType(12)]).result
        g.set_outputs([s], ["s"])
        m = Module()
        m.add_graph(g, top=True)
        return m

    ctx = PassContext(original=adder(False), quiet=True)
    CheckEquivPass().apply(ctx, adder(True))
    with pytest.raises(PassError, match="not equivalent"):
        CheckEquivPass().apply(PassContext(original=adder(False), quiet=True), adder(False, sub=True))
    with pytest.raises(InputError, match="bit-level"):
        CheckEquivPass(method="sim").apply(PassContext(original=adder(False), quiet=True), adder(True))


def test_interface_mismatch_and_missing_reference() -> None:
    module = load_blif(str(Z4ML))
    other = load_bench(str(CORPORA / "iscas85" / "bench" / "c17.bench"))
    with pytest.raises(PassError, match="different inputs"):
        CheckEquivPass().apply(PassContext(original=other, quiet=True), module)
    with pytest.raises(InputError, match="needs a reference"):
        CheckEquivPass().apply(PassContext(quiet=True, reader=read_file), module)
