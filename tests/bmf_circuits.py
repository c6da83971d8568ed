"""Small gate-level circuits built directly in the IR, for the `bmf` and `truncate` tests."""

from __future__ import annotations

from axc.ir import Graph, IntType, Module, i1
from axc.ir.dialects import hw, logic

__all__ = ["ripple_adder", "array_multiplier", "random_logic"]


def _ports(g: Graph, names: list[str], width: int) -> list[list]:
    bits = []
    for n in names:
        v = g.add_input(n, IntType(width))
        bits.append(list(g.create(hw.SplitOp, [v], [i1] * width).results))
    return bits


def _gate(g: Graph, cls, *ops):
    return g.create(cls, list(ops), [i1]).result


def _full_adder(g: Graph, a, b, c):
    t = _gate(g, logic.XorOp, a, b)
    s = _gate(g, logic.XorOp, t, c)
    co = _gate(g, logic.OrOp, _gate(g, logic.AndOp, a, b), _gate(g, logic.AndOp, t, c))
    return s, co


def ripple_adder(width: int = 8) -> Module:
    """`s = a + b` (width+1 bits) as a gate-level ripple-carry adder."""
    g = Graph("adder")
    a, b = _ports(g, ["a", "b"], width)
    outs = []
    s0 = _gate(g, logic.XorOp, a[0], b[0])
    carry = _gate(g, logic.AndOp, a[0], b[0])
    outs.append(s0)
    for i in range(1, width):
        s, carry = _full_adder(g, a[i], b[i], carry)
        outs.append(s)
    outs.append(carry)
    g.add_output("s", g.create(hw.JoinOp, outs, [IntType(width + 1)]).result)
    m = Module()
    m.add_graph(g, top=True)
    return m


def array_multiplier(width: int = 4) -> Module:
    """`p = a * b` (2·width bits) as an array of AND gates and ripple rows of full adders."""
    g = Graph("mul")
    a, b = _ports(g, ["a", "b"], width)
    zero = g.create(logic.ConstOp, [], [i1], {"value": 0}).result
    acc = [_gate(g, logic.AndOp, a[i], b[0]) for i in range(width)] + [zero] * width
    for j in range(1, width):
        carry = zero
        for i in range(width):
            pp = _gate(g, logic.AndOp, a[i], b[j])
            acc[i + j], carry = _full_adder(g, acc[i + j], pp, carry)
        acc[width + j] = carry
    g.add_output("p", g.create(hw.JoinOp, acc, [IntType(2 * width)]).result)
    m = Module()
    m.add_graph(g, top=True)
    return m


def random_logic(n_inputs: int, n_gates: int, n_outputs: int, seed: int = 0) -> Module:
    """A random DAG of 2-input gates with single-bit ports (like an ISCAS control circuit)."""
    import random

    rng = random.Random(seed)
    g = Graph("rand")
    sigs = [g.add_input(f"i{n}", i1) for n in range(n_inputs)]
    kinds = [logic.AndOp, logic.OrOp, logic.XorOp, logic.NandOp, logic.NorOp]
    for _ in range(n_gates):
        window = sigs[-max(8, len(sigs) // 3):]
        x, y = rng.sample(window, 2)
        sigs.append(_gate(g, rng.choice(kinds), x, y))
    for n, v in enumerate(sigs[-n_outputs:]):
        g.add_output(f"o{n}", v)
    m = Module()
    m.add_graph(g, top=True)
    return m
