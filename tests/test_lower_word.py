"""`lower-word` is exact: every word op, signed and unsigned, exhaustive for small widths and
random for wide ones, compared with the reference interpreter before lowering."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from axc.ir import Graph, IntType, Module, verify
from axc.ir.dialects import hw, word
from axc.ir.views import LogicView
from axc.passes.circuit.lower_word import LowerWordPass
from axc.passes.infra.base import PassContext
from axc.passes.infra.registry import get_pass
from axc.runtime.interp import evaluate

BINARY = [word.AddOp, word.SubOp, word.AndOp, word.OrOp, word.XorOp]
PREDICATES = word.CMP_PREDICATES


def _graph(build, widths: dict[str, int]) -> Module:
    g = Graph("t")
    args = {n: g.add_input(n, IntType(w)) for n, w in widths.items()}
    outs = build(g, args)
    g.set_outputs(list(outs.values()), list(outs))
    m = Module()
    m.add_graph(g, top=True)
    verify(m)
    return m


def _check(m: Module, vectors: dict[str, np.ndarray]) -> None:
    before = evaluate(m.top_graph, vectors)
    LowerWordPass().apply(PassContext(), m)
    verify(m)
    g = m.top_graph
    assert not any(op.dialect == "word" for op in g.ops)
    LogicView.from_graph(g)
    after = evaluate(g, vectors)
    for name in before:
        np.testing.assert_array_equal(np.asarray(after[name], dtype=object),
                                      np.asarray(before[name], dtype=object), err_msg=name)


def _exhaustive(widths: dict[str, int]) -> dict[str, np.ndarray]:
    ranges = [range(1 << w) for w in widths.values()]
    rows = np.array(list(itertools.product(*ranges)), dtype=np.uint64)
    return {n: rows[:, i] for i, n in enumerate(widths)}


def _random(widths: dict[str, int], n: int = 400, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in widths.items():
        vals = [int.from_bytes(rng.bytes((w + 7) // 8), "little") & ((1 << w) - 1) for _ in range(n)]
        vals[:4] = [0, (1 << w) - 1, 1 << (w - 1), (1 << (w - 1)) - 1]
        out[name] = np.array(vals, dtype=object)
    return out


def _ops(g: Graph, a, b, w: int) -> dict:
    t = IntType(w)
    outs = {}
    for cls in BINARY:
        outs[cls.name] = g.create(cls, [a, b], [t]).result
    outs["neg"] = g.create(word.NegOp, [a], [t]).result
    outs["not"] = g.create(word.NotOp, [a], [t]).result
    for signed in (False, True):
        for rw in (w, 2 * w, max(1, w - 1)):
            outs[f"mul{signed}{rw}"] = g.create(word.MulOp, [a, b], [IntType(rw)], {"signed": signed}).result
    for pred in PREDICATES:
        outs[pred] = g.create(word.CmpOp, [a, b], [IntType(1)], {"pred": pred}).result
    outs["shl"] = g.create(word.ShlOp, [a, b], [t]).result
    outs["shr"] = g.create(word.ShrOp, [a, b], [t]).result
    outs["sra"] = g.create(word.ShrOp, [a, b], [t], {"arith": True}).result
    outs["cat"] = g.create(word.ConcatOp, [a, b], [IntType(2 * w)]).result
    outs["zext"] = g.create(word.ZextOp, [a], [IntType(w + 3)]).result
    outs["sext"] = g.create(word.SextOp, [a], [IntType(w + 3)]).result
    outs["ext"] = g.create(word.ExtractOp, [a], [IntType(max(1, w - 1))], {"lo": 1 if w > 1 else 0}).result
    s = g.create(word.CmpOp, [a, b], [IntType(1)], {"pred": "ult"}).result
    outs["mux"] = g.create(word.MuxOp, [s, a, b], [t]).result
    for red in (word.ReduceAndOp, word.ReduceOrOp, word.ReduceXorOp):
        outs[red.name] = g.create(red, [a], [IntType(1)]).result
    outs["const"] = g.create(word.ConstOp, [], [t], {"value": (1 << w) - 2 if w > 1 else 1}).result
    return outs


@pytest.mark.parametrize("w", [1, 2, 3, 4, 5])
def test_every_op_exhaustive(w: int) -> None:
    m = _graph(lambda g, x: _ops(g, x["a"], x["b"], w), {"a": w, "b": w})
    _check(m, _exhaustive({"a": w, "b": w}))


@pytest.mark.parametrize("w", [16, 33, pytest.param(64, marks=pytest.mark.slow),
                               pytest.param(70, marks=pytest.mark.slow)])
def test_every_op_random_wide(w: int) -> None:
    m = _graph(lambda g, x: _ops(g, x["a"], x["b"], w), {"a": w, "b": w})
    _check(m, _random({"a": w, "b": w}, seed=w))


def test_shift_by_narrow_and_wide_amounts() -> None:
    def build(g: Graph, x: dict) -> dict:
        t = IntType(6)
        return {
            "shl": g.create(word.ShlOp, [x["a"], x["s"]], [t]).result,
            "shr": g.create(word.ShrOp, [x["a"], x["s"]], [t]).result,
            "sra": g.create(word.ShrOp, [x["a"], x["s"]], [t], {"arith": True}).result,
        }
    m = _graph(build, {"a": 6, "s": 4})
    _check(m, _exhaustive({"a": 6, "s": 4}))


def test_mixed_split_join_graph_becomes_a_logic_view() -> None:
    """Words built from bits and split back, as the Verilog frontend writes them."""
    def build(g: Graph, x: dict) -> dict:
        bits = g.create(hw.SplitOp, [x["a"]], [IntType(1)] * 4).results
        rev = g.create(hw.JoinOp, list(reversed(bits)), [IntType(4)]).result
        total = g.create(word.AddOp, [rev, x["b"]], [IntType(4)]).result
        parts = g.create(hw.SplitOp, [total], [IntType(1)] * 4).results
        out = g.create(hw.JoinOp, [parts[3], parts[0]], [IntType(2)]).result
        return {"y": out, "sum": total}
    m = _graph(build, {"a": 4, "b": 4})
    _check(m, _exhaustive({"a": 4, "b": 4}))


def test_multiplier_8x8_structure_and_registry() -> None:
    assert get_pass("lower-word") is LowerWordPass
    def build(g: Graph, x: dict) -> dict:
        return {"p": g.create(word.MulOp, [x["a"], x["b"]], [IntType(16)], {"signed": True}).result}
    m = _graph(build, {"a": 8, "b": 8})
    vectors = _exhaustive({"a": 8, "b": 8})
    _check(m, vectors)
    a = vectors["a"].astype(np.int64)
    b = vectors["b"].astype(np.int64)
    signed = ((a ^ 128) - 128) * ((b ^ 128) - 128)
    out = evaluate(m.top_graph, vectors)["p"].astype(np.int64)
    np.testing.assert_array_equal(out, signed & 0xFFFF)
    view = LogicView.from_graph(m.top_graph)
    assert 64 <= view.n_gates < 1000


@pytest.mark.parametrize("signed", [False, True])
def test_unequal_operand_widths_multiply(signed: bool) -> None:
    def build(g: Graph, x: dict) -> dict:
        return {f"p{w}": g.create(word.MulOp, [x["a"], x["b"]], [IntType(w)], {"signed": signed}).result
                for w in (1, 4, 6, 8, 9, 12)}
    m = _graph(build, {"a": 3, "b": 5})
    _check(m, _exhaustive({"a": 3, "b": 5}))


def test_graph_without_word_ops_is_untouched() -> None:
    m = _graph(lambda g, x: {"y": x["a"]}, {"a": 3})
    result = LowerWordPass().apply(PassContext(), m)
    assert not result.modified
