"""IR core: use lists stay consistent under edits, clone, topological order, views."""

from __future__ import annotations

import numpy as np
from axc.ir import Graph, IntType, Module, TruthTable, Value, i1, verify
from axc.ir.dialects import hw, logic
from axc.ir.views import GATE_CODES, LogicView
from hypothesis import given, settings
from hypothesis import strategies as st
from ir_strategies import modules


def _uses_match_operands(g: Graph) -> None:
    expected: dict[Value, set] = {}
    for op in [*g.ops, g.output_op]:
        for i, v in enumerate(op.operands):
            expected.setdefault(v, set()).add((id(op), i))
    values = list(g.inputs) + [r for op in g.ops for r in op.results]
    for v in values:
        assert {(id(u.op), u.index) for u in v.uses} == expected.get(v, set())


@settings(max_examples=40, deadline=None)
@given(modules(), st.data())
def test_use_lists_survive_random_edits(module: Module, data: st.DataObject) -> None:
    g = module.graphs["logic"]
    for _ in range(data.draw(st.integers(1, 8))):
        ops = [op for op in g.ops if op.operands and not isinstance(op, hw.SplitOp)]
        if not ops:
            break
        op = data.draw(st.sampled_from(ops))
        order = g.topo_order()
        earlier = [r for o in order[: order.index(op)] for r in o.results if r.type == i1]
        if not earlier:
            continue
        action = data.draw(st.integers(0, 2))
        if action == 0:
            op.set_operand(data.draw(st.integers(0, len(op.operands) - 1)), data.draw(st.sampled_from(earlier)))
        elif action == 1 and op.results and op.results[0].type == i1:
            op.result.replace_all_uses_with(data.draw(st.sampled_from(earlier)))
            g.erase(op)
        else:
            new = g.create(logic.NotOp, [data.draw(st.sampled_from(earlier))], [i1])
            if op.results and op.results[0].type == i1:
                op.result.replace_all_uses_with(new.result)
        _uses_match_operands(g)
        verify(module)


def test_erase_refuses_used_values_and_clone_is_deep() -> None:
    m = Module()
    g = m.add_graph(Graph("t"))
    a = g.add_input("a", IntType(2))
    s = g.create(hw.SplitOp, [a], [i1, i1])
    x = g.create(logic.XorOp, s.results, [i1], names=["x"])
    g.set_outputs([x.result], ["y"])
    try:
        g.erase(x)
    except ValueError as exc:
        assert "still in use" in str(exc)
    else:
        raise AssertionError("erase of a used op must fail")
    c = m.clone()
    verify(c)
    cx = c.top_graph.output_op.operand(0).owner
    assert cx is not x and cx.name == "logic.xor" and cx.result.name == "x"
    cx.set_operand(0, c.top_graph.inputs[0].users()[0].results[1])
    assert x.operand(0) is s.results[0]


def test_logic_view_levels_and_codes() -> None:
    g = Graph("t")
    a = g.add_input("a", IntType(3))
    b0, b1, b2 = g.create(hw.SplitOp, [a], [i1] * 3).results
    n = g.create(logic.NandOp, [b0, b1], [i1])
    buf = g.create(logic.BufOp, [n.result], [i1])
    lut = g.create(logic.LutOp, [buf.result, b2], [i1], {"table": TruthTable(2, 0b0110)})
    one = g.create(logic.ConstOp, [], [i1], {"value": 1})
    y = g.create(hw.JoinOp, [lut.result, one.result, b2], [IntType(3)])
    g.set_outputs([y.result], ["y"])
    view = LogicView.from_graph(g)
    assert view.n_inputs == 3 and view.n_gates == 2
    assert list(view.codes) == [GATE_CODES["logic.nand"], GATE_CODES["logic.lut"]]
    assert list(view.level) == [1, 2]
    assert list(view.fanin) == [2, 3, 5, 4]
    assert list(view.outputs) == [6, 1, 4]
    np.testing.assert_array_equal(view.lut_bits, [0, 1, 1, 0])
