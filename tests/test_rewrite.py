"""The rewrite layer (`axc.ir.rewrite`): fresh names, constants, replace, erase, the pattern driver;
and the gate semantics the `logic` dialect carries as data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from axc.ir import Graph, Module, Op, TensorType, verify
from axc.ir.dialects import logic, nn
from axc.ir.rewrite import Builder, RewritePattern, apply_patterns

F4 = TensorType((4,), "f32")


def _graph() -> tuple[Graph, Builder]:
    g = Graph("t", kind="nn")
    x = g.add_input("x", F4)
    b = Builder(g)
    w = b.constant(np.ones(4, np.float32), "w")
    y = b.create(nn.AddOp, [x, w], [F4], names=["y"]).result
    g.set_outputs([y], ["y"])
    return g, b


def test_names_are_fresh_and_reserved() -> None:
    g, b = _graph()
    assert b.fresh_name("w") == "w_1" and b.fresh_name("w") == "w_2" and b.fresh_name("z") == "z"
    assert b.constant(np.zeros(4, np.float32), "y").name == "y_1"
    assert b.constant(np.float32(2.0), "scale").type.shape == ()  # 0-d stays 0-d
    assert b.fresh_node("n").name == "n" and b.fresh_node("n").name == "n_1"


def test_replace_and_erase_dead_follow_operands_as_far_as_allowed() -> None:
    g, b = _graph()
    add = g.outputs[0].owner
    x, w = add.operands
    mul = b.create(nn.MulOp, [x, x], [F4], names=["m"])
    b.replace(add, [mul.result])
    assert g.outputs[0] is mul.result and not g.contains(add)
    b.erase_dead([w], erasable=lambda op: not isinstance(op, nn.ConstantOp))
    assert w.owner.graph is g  # kept: constants were not erasable
    b.erase_dead([w])
    assert w.owner.graph is None
    module = Module()
    module.add_graph(g, top=True)
    verify(module)


class _AddToMul(RewritePattern):
    name = "add-to-mul"
    root = (nn.AddOp,)

    def rewrite(self, op: Op, builder: Builder) -> bool:
        if op.operand(0) is op.operand(1):
            return False
        builder.replace(op, [builder.create(nn.MulOp, list(op.operands), [F4]).result])
        return True


def test_patterns_run_once_per_op_and_count() -> None:
    g, b = _graph()
    x = g.inputs[0]
    same = b.create(nn.AddOp, [x, x], [F4]).result
    g.set_outputs([g.outputs[0], same], ["y", "z"])
    assert apply_patterns(g, [_AddToMul()]) == {"add-to-mul": 1}
    assert len(g.ops_of(nn.AddOp)) == 1 and len(g.ops_of(nn.MulOp)) == 1


@pytest.mark.parametrize("gate", [g for g in logic.GATE_OPS if g.core not in ("const", "lut")])
def test_gate_tables_agree_with_evaluation_on_bits(gate: type[Op]) -> None:
    arity = gate.num_operands
    sizes = [arity] if isinstance(arity, int) else [2, 3, 4]
    for n in sizes:
        table = logic.gate_table(gate.name, n)
        for p, bits in enumerate(itertools.product((0, 1), repeat=n)):
            bits = bits[::-1]  # input i = bit i of the pattern
            assert (table >> p) & 1 == logic.gate_value(gate.name, list(bits)), (gate.name, bits)
    known = {"logic.and": 0b1000, "logic.or": 0b1110, "logic.xor": 0b0110, "logic.nand": 0b0111,
             "logic.nor": 0b0001, "logic.xnor": 0b1001, "logic.not": 0b01, "logic.buf": 0b10,
             "logic.mux": 0b11011000, "logic.maj": 0b11101000}
    n = 2 if gate.num_operands == (2, None) else gate.num_operands
    assert logic.gate_table(gate.name, n) == known[gate.name]
