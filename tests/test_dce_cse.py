"""The generic `dce` and `cse` passes on circuits built in code."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir import Graph, IntType, Module, Value, i1, lookup_op, verify
from axc.ir.dialects import hw, logic, word
from axc.passes.common.cse import COMMUTATIVE_OPS, CommonSubexpressionPass
from axc.passes.common.dce import DeadCodePass
from axc.passes.infra.base import PassContext
from axc.passes.infra.manager import PassManager
from logic_graphs import random_circuit


def _check_use_lists(module: Module) -> None:
    """Every operand slot is in its value's use list and every use is a live operand slot."""
    verify(module)
    for graph in module.graphs.values():
        slots = {}
        for op in [*graph.ops, graph.output_op]:
            for i, v in enumerate(op.operands):
                slots.setdefault(v, set()).add((op, i))
        values = list(graph.inputs) + [r for op in graph.ops for r in op.results]
        for v in values:
            assert {(u.op, u.index) for u in v.uses} == slots.get(v, set())


def _word_module() -> tuple[Module, Graph]:
    module = Module()
    graph = module.add_graph(Graph("w"))
    a = graph.add_input("a", IntType(8))
    b = graph.add_input("b", IntType(8))
    s1 = graph.create(word.AddOp, [a, b], [IntType(8)]).result
    s2 = graph.create(word.AddOp, [b, a], [IntType(8)]).result
    d1 = graph.create(word.SubOp, [a, b], [IntType(8)]).result
    d2 = graph.create(word.SubOp, [b, a], [IntType(8)]).result
    lo = graph.create(word.ExtractOp, [s1], [IntType(4)], {"lo": 0}).result
    hi = graph.create(word.ExtractOp, [s2], [IntType(4)], {"lo": 4}).result
    lo2 = graph.create(word.ExtractOp, [s2], [IntType(4)], {"lo": 0}).result
    graph.set_outputs([lo, hi, lo2, d1, d2], ["lo", "hi", "lo2", "d1", "d2"])
    return module, graph


def test_cse_merges_commutative_duplicates_and_chains() -> None:
    module, graph = _word_module()
    result = CommonSubexpressionPass().apply(PassContext(), module)
    assert result.stats == {"ops_merged": 2}  # the add, then the extract that became equal
    assert [op.name for op in graph.ops].count("word.add") == 1
    assert [op.name for op in graph.ops].count("word.sub") == 2  # order matters for sub
    lo, hi, lo2, _, _ = graph.outputs
    assert lo is lo2 and lo is not hi  # different `lo` attribute: not merged
    _check_use_lists(module)


def test_cse_respects_operand_order_when_asked() -> None:
    module, graph = _word_module()
    result = CommonSubexpressionPass(commutative=False).apply(PassContext(), module)
    assert result.stats == {"ops_merged": 0}
    assert not result.modified


def test_cse_keeps_different_result_types_apart() -> None:
    module = Module()
    graph = module.add_graph(Graph("t"))
    a = graph.add_input("a", IntType(4))
    z1 = graph.create(word.ZextOp, [a], [IntType(6)]).result
    z2 = graph.create(word.ZextOp, [a], [IntType(8)]).result
    graph.set_outputs([z1, z2], ["z1", "z2"])
    assert CommonSubexpressionPass().apply(PassContext(), module).stats["ops_merged"] == 0


def test_commutative_set_only_names_real_ops() -> None:
    assert all(lookup_op(name) is not None for name in COMMUTATIVE_OPS)


def test_dce_removes_dead_cones_and_keeps_outputs_and_inputs() -> None:
    module = Module()
    graph = module.add_graph(Graph("d"))
    a = graph.add_input("a", IntType(2))
    unused = graph.add_input("unused", IntType(1))
    x, y = graph.create(hw.SplitOp, [a], [i1, i1]).results
    keep = graph.create(logic.AndOp, [x, y], [i1]).result
    dead1 = graph.create(logic.OrOp, [x, unused], [i1], names=["wire"]).result
    graph.create(logic.NotOp, [dead1], [i1])
    graph.set_outputs([keep], ["o"])
    named = module.clone()
    result = DeadCodePass().apply(PassContext(), module)
    assert result.stats == {"ops_removed": 2}
    assert [op.name for op in graph.ops] == ["hw.split", "logic.and"]
    assert [v.name for v in graph.inputs] == ["a", "unused"]
    assert unused.uses == ()
    _check_use_lists(module)
    kept = DeadCodePass(keep_named=True).apply(PassContext(), named)
    assert kept.stats == {"ops_removed": 1}  # the named `wire` stays


def _inject_duplicates(module: Module, seed: int) -> int:
    """Copy some gates (operands permuted for commutative ones) and move readers onto the copies."""
    rng = np.random.default_rng(seed)
    graph = module.top_graph
    candidates = [op for op in graph.ops if isinstance(op, logic.AndOp | logic.XorOp | logic.MuxOp | logic.LutOp)]
    injected = 0
    for op in candidates[: max(1, len(candidates) // 3)]:
        operands: list[Value] = list(op.operands)
        if op.name in COMMUTATIVE_OPS:
            operands = [operands[i] for i in rng.permutation(len(operands))]
        copy = graph.create(type(op), operands, [r.type for r in op.results], op.attributes)
        uses = list(op.result.uses)
        for use in uses[: len(uses) // 2 + 1]:
            use.op.set_operand(use.index, copy.result)
        injected += 1
    return injected


@pytest.mark.parametrize("seed", range(6))
def test_cse_dce_keep_random_circuits_equivalent(seed: int) -> None:
    module = random_circuit(seed, n_gates=60)
    injected = _inject_duplicates(module, seed)
    verify(module)
    before = len(module.top_graph)
    result = PassManager.parse("cse,dce,check-equiv{method=sim}").run(module)
    assert result.stats["cse"]["ops_merged"] >= injected
    assert len(module.top_graph) <= before - injected
    merged, removed = result.stats["cse"]["ops_merged"], result.stats["dce"]["ops_removed"]
    assert len(module.top_graph) == before - merged - removed
    outputs = set(module.top_graph.outputs)
    dead = [op for op in module.top_graph.ops if not any(r.uses or r in outputs for r in op.results)]
    assert not dead, f"dce left {len(dead)} ops that nothing reads"
    _check_use_lists(module)
    again = PassManager.parse("cse,dce").run(module)
    assert again.stats == {"cse": {"ops_merged": 0}, "dce": {"ops_removed": 0}}
