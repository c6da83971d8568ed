"""Turning Boolean functions (covers, truth tables) into `logic` ops.

Netlist frontends describe each node by a function of its fan-ins: a BLIF cover, a genlib gate
expression, a `.bench` gate. `FunctionBuilder.build` recognises the simple ones (constants,
buffers, inverters, and/or/nand/nor/xor/xnor with any input polarity, mux, majority) and emits
the matching gate plus inverters; anything else becomes a `logic.lut` (up to `MAX_LUT_INPUTS`
inputs) or, for wider covers, a sum of products of `and`/`or`/`not`.

Truth tables are Python ints: bit `p` is the function at input pattern `p`, input `i` is bit `i`
of `p` (the `TruthTable` convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from axc.ir import Graph, Location, TruthTable, Value, i1
from axc.ir.attributes import full_mask, literal_mask
from axc.ir.dialects import logic
from axc.runtime.cover import cover_table

__all__ = ["MAX_LUT_INPUTS", "FunctionBuilder"]

MAX_LUT_INPUTS = 16
"""Widest function kept as one truth table; wider covers become and/or/not logic."""


def _support(n: int, table: int) -> tuple[int, ...]:
    keep = []
    for i in range(n):
        pos = literal_mask(n, i)
        if (table & pos) >> (1 << i) != table & ~pos & full_mask(n):
            keep.append(i)
    return tuple(keep)


def _project(n: int, table: int, support: tuple[int, ...]) -> int:
    """The table restricted to `support` (the other inputs do not matter)."""
    if len(support) == n:
        return table
    bits = TruthTable(n, table).to_array().reshape([2] * n) if n else None
    # Axis k of the C-order reshape is input n-1-k; fix the unused inputs at 0.
    index = tuple(slice(None) if (n - 1 - k) in support else 0 for k in range(n))
    sub = np.asarray(bits[index]).reshape(-1)
    return TruthTable.from_array(sub).bits if len(support) else int(sub[0])


Recipe = tuple
"""How to build a function: ("const", v) | ("buf", i) | ("not", i) | ("gate", cls, lits) |
("mux", s, t, f) | ("maj",) | ("lut", table); lits are (input, negated) pairs."""


@cache
def _recipe(n: int, table: int) -> tuple[tuple[int, ...], Recipe]:
    """The support of the function and how to build it from the supporting inputs."""
    if table == 0:
        return (), ("const", 0)
    if table == full_mask(n):
        return (), ("const", 1)
    support = _support(n, table)
    if len(support) < n:
        table = _project(n, table, support)
        n = len(support)
    full = full_mask(n)
    if n == 1:
        return support, ("buf", 0) if table == 0b10 else ("not", 0)
    if table.bit_count() == 1:
        minterm = table.bit_length() - 1
        negated = [not (minterm >> i) & 1 for i in range(n)]
        return support, _polar_gate(negated, logic.AndOp, logic.NorOp)
    if table.bit_count() == (1 << n) - 1:
        offterm = (full ^ table).bit_length() - 1
        negated = [bool((offterm >> i) & 1) for i in range(n)]
        return support, _polar_gate(negated, logic.OrOp, logic.NandOp)
    if table == logic.gate_table("logic.xor", n):
        return support, ("gate", logic.XorOp, tuple((i, False) for i in range(n)))
    if table == logic.gate_table("logic.xnor", n):
        return support, ("gate", logic.XnorOp, tuple((i, False) for i in range(n)))
    if n == 3:
        if table == logic.gate_table("logic.maj", 3):
            return support, ("maj",)
        for s, t, f in ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
            if table == logic.gate_value("logic.mux", [literal_mask(3, k) for k in (s, t, f)], full):
                return support, ("mux", s, t, f)
    return support, ("lut", table)


def _polar_gate(negated: list[bool], positive: type, complemented: type) -> Recipe:
    """An and-like (or or-like) gate of literals, choosing the form with fewer inverters."""
    n_neg = sum(negated)
    if n_neg * 2 <= len(negated):
        return ("gate", positive, tuple((i, neg) for i, neg in enumerate(negated)))
    return ("gate", complemented, tuple((i, not neg) for i, neg in enumerate(negated)))


class FunctionBuilder:
    """Emits ops for Boolean functions into one graph, sharing inverters of the same value."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._inverted: dict[Value, Value] = {}
        self._consts: dict[int, Value] = {}

    def const(self, value: int, name: str | None = None, loc: Location | None = None) -> Value:
        if name is not None:
            return self.graph.create(logic.ConstOp, (), [i1], {"value": value}, loc, [name]).result
        if value not in self._consts:
            self._consts[value] = self.graph.create(logic.ConstOp, (), [i1], {"value": value}).result
        return self._consts[value]

    def invert(self, v: Value, loc: Location | None = None) -> Value:
        if v not in self._inverted:
            self._inverted[v] = self.graph.create(logic.NotOp, [v], [i1], loc=loc).result
        return self._inverted[v]

    def gate(
        self, cls: type, operands: Sequence[Value], name: str | None, loc: Location | None,
        attributes: dict | None = None,
    ) -> Value:
        return self.graph.create(cls, list(operands), [i1], attributes, loc, [name]).result

    def build(
        self, table: int, operands: Sequence[Value], name: str | None, loc: Location | None
    ) -> Value:
        """A value computing `table` over `operands` (at most MAX_LUT_INPUTS), named `name`."""
        n = len(operands)
        support, recipe = _recipe(n, table & full_mask(n))
        ins = [operands[i] for i in support]
        kind = recipe[0]
        if kind == "const":
            return self.const(recipe[1], name, loc)
        if kind == "buf":
            return self.gate(logic.BufOp, [ins[0]], name, loc)
        if kind == "not":
            return self.gate(logic.NotOp, [ins[0]], name, loc)
        if kind == "gate":
            lits = [self.invert(ins[i], loc) if neg else ins[i] for i, neg in recipe[2]]
            return self.gate(recipe[1], lits, name, loc)
        if kind == "maj":
            return self.gate(logic.MajOp, ins, name, loc)
        if kind == "mux":
            return self.gate(logic.MuxOp, [ins[k] for k in recipe[1:]], name, loc)
        table_attr = TruthTable(len(ins), recipe[1])
        return self.gate(logic.LutOp, ins, name, loc, {"table": table_attr})

    def build_cover(
        self, cubes: Sequence[str], on_set: bool, operands: Sequence[Value], name: str | None,
        loc: Location | None,
    ) -> Value:
        """A value for a cover (ON-set cubes, or OFF-set cubes when not `on_set`)."""
        n = len(operands)
        if n <= MAX_LUT_INPUTS:
            table = cover_table(n, cubes)
            return self.build(table if on_set else full_mask(n) ^ table, operands, name, loc)
        terms: list[Value] = []
        for cube in cubes:
            lits = [
                operands[i] if c == "1" else self.invert(operands[i], loc)
                for i, c in enumerate(cube) if c != "-"
            ]
            if not lits:
                return self.const(1 if on_set else 0, name, loc)
            terms.append(lits[0] if len(lits) == 1 else self.gate(logic.AndOp, lits, None, loc))
        if not terms:
            return self.const(0 if on_set else 1, name, loc)
        if len(terms) == 1:
            cls = logic.BufOp if on_set else logic.NotOp
            return self.gate(cls, terms, name, loc)
        return self.gate(logic.OrOp if on_set else logic.NorOp, terms, name, loc)
