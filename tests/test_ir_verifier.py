"""The verifier rejects broken IR with located messages."""

from __future__ import annotations

import pytest
from axc.ir import (
    FileLoc,
    Graph,
    IntType,
    Module,
    NameLoc,
    TensorType,
    TruthTable,
    VerifyError,
    i1,
    verify,
)
from axc.ir.dialects import approx, hw, logic, nn, word


def _module() -> tuple[Module, Graph]:
    m = Module()
    g = m.add_graph(Graph("t"))
    return m, g


def test_width_mismatch_is_located() -> None:
    m, g = _module()
    a, b = g.add_input("a", IntType(4)), g.add_input("b", IntType(3))
    add = g.create(word.AddOp, [a, b], [IntType(4)], loc=FileLoc("add.v", 7, 12))
    g.set_outputs([add.result], ["y"])
    with pytest.raises(VerifyError) as info:
        verify(m)
    assert info.value.headline() == "add.v:7:12: error: 'word.add' op operand 1 is i3, result is i4: widths must match"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda g, a: g.create(logic.AndOp, [a], [i1]), "expects at least 2 operands, got 1"),
        (lambda g, a: g.create(logic.LutOp, [a, a], [i1], {"table": TruthTable(1, 1)}), "table has 1 inputs"),
        (lambda g, a: g.create(logic.ConstOp, [], [i1], {"value": 2}), "must be one of 0, 1"),
        (lambda g, a: g.create(logic.ConstOp, [], [i1]), "requires attribute 'value'"),
        (lambda g, a: g.create(logic.NotOp, [a], [i1], {"bogus": 1}), "unknown attribute 'bogus'"),
        (lambda g, a: g.create(word.ExtractOp, [a], [IntType(2)], {"lo": 0}), "outside i1"),
        (lambda g, a: g.create(word.CmpOp, [a, a], [i1], {"pred": "lt"}), "must be one of eq"),
        (lambda g, a: g.create(hw.SplitOp, [a], [i1, i1]), "must split an i1 into 1 i1 results"),
        (lambda g, a: g.create(approx.MulOp, [a], [i1], {"origin": "x"}), "requires a dict attribute 'error'"),
        (lambda g, a: g.create(approx.BmfOp, [a], [i1], {"origin": "x", "error": {}, "body": "nope"}),
         "body @nope is not a graph"),
        (lambda g, a: g.create(hw.InstanceOp, [a], [i1], {"callee": "missing"}), "unknown graph @missing"),
    ],
)
def test_op_rules(build, message: str) -> None:
    m, g = _module()
    a = g.add_input("a", i1)
    op = build(g, a)
    op.loc = NameLoc("node7")
    g.set_outputs([op.results[0]] if op.results else [a], ["y"])
    with pytest.raises(VerifyError) as info:
        verify(m)
    assert message in info.value.message
    assert info.value.headline().startswith("node7: error:")


def test_logic_operands_must_be_bits() -> None:
    m, g = _module()
    a = g.add_input("a", IntType(2))
    op = g.create(logic.AndOp, [a, a], [IntType(2)])
    g.set_outputs([op.result], ["y"])
    with pytest.raises(VerifyError, match="must be i1"):
        verify(m)


def test_cycle_is_rejected() -> None:
    m, g = _module()
    a = g.add_input("a", i1)
    x = g.create(logic.AndOp, [a, a], [i1])
    y = g.create(logic.OrOp, [x.result, a], [i1])
    x.set_operand(1, y.result)
    g.set_outputs([y.result], ["y"])
    with pytest.raises(VerifyError, match="cycle"):
        verify(m)


def test_value_from_another_graph_or_erased_op() -> None:
    m, g = _module()
    other = m.add_graph(Graph("o"))
    b = other.add_input("b", i1)
    other.set_outputs([b], ["b"])
    a = g.add_input("a", i1)
    x = g.create(logic.AndOp, [a, b], [i1])
    g.set_outputs([x.result], ["y"])
    with pytest.raises(VerifyError, match="outside the graph"):
        verify(m)
    x.set_operand(1, a)
    verify(m)
    n = g.create(logic.NotOp, [a], [i1])
    x.set_operand(0, n.result)
    g.erase(n, force=True)
    with pytest.raises(VerifyError, match="erased op"):
        verify(m)


def test_stale_use_list_is_caught() -> None:
    m, g = _module()
    a = g.add_input("a", i1)
    x = g.create(logic.NotOp, [a], [i1])
    g.set_outputs([x.result], ["y"])
    x._operands[0] = g.add_input("b", i1)
    with pytest.raises(VerifyError, match="missing from the use list"):
        verify(m)


def test_nn_shape_rules() -> None:
    m = Module()
    g = m.add_graph(Graph("n", "nn"))
    x = g.add_input("x", TensorType((1, 3, 8, 8)))
    w = g.add_input("w", TensorType((4, 3, 3)))
    c = g.create(nn.ConvOp, [x, w], [TensorType((1, 4, 6, 6))])
    g.set_outputs([c.result], ["y"])
    with pytest.raises(VerifyError, match="rank"):
        verify(m)
    bad = g.create(nn.ReluOp, [x], [IntType(3)])
    g.set_outputs([bad.result], ["y"])
    with pytest.raises(VerifyError):
        verify(m)
