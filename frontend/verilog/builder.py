"""Emitting bits and words into a circuit graph, with constant folding and shared inverters.

Nets are lists of `i1` values (LSB first). Bitwise operators become `logic` gates on them;
arithmetic becomes `word` ops on `hw.join`ed operands whose results are `hw.split` back into
bits. `word()` and `bits()` undo each other without new ops where they can (a full split of a
value joins back to that value), so `assign s = a + b;` stays one `word.add` between ports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from axc.ir import Graph, IntType, Location, Op, Value, i1
from axc.ir.dialects import hw, logic, word
from axc.runtime.interp import word_op_value

__all__ = ["Builder"]

Bits = list[Value]


class Builder:
    """Creates ops in `graph`; every gate helper folds constant operands."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.created: list[Op] = []
        """Every op this builder made, in order (lets a repeated statement be undone)."""
        self.zero = graph.create(logic.ConstOp, (), [i1], {"value": 0}).result
        self.one = graph.create(logic.ConstOp, (), [i1], {"value": 1}).result
        self._inverse: dict[Value, Value] = {}
        self._split: dict[Value, Bits] = {}
        self._join: dict[tuple[int, ...], Value] = {}
        self._wconst: dict[tuple[int, int], Value] = {}

    # -- constants ---------------------------------------------------------------------------
    def const_bits(self, value: int, width: int) -> Bits:
        return [self.one if (value >> i) & 1 else self.zero for i in range(width)]

    def alive(self, v: Value) -> bool:
        """Whether `v` still belongs to the graph (placeholders get erased when resolved)."""
        return v.owner is None or v.owner.graph is self.graph

    def is_const(self, v: Value) -> bool:
        return v is self.zero or v is self.one

    def const_value(self, bits: Sequence[Value]) -> int | None:
        """The integer the bits spell, or None when any bit is not constant."""
        value = 0
        for i, b in enumerate(bits):
            if b is self.one:
                value |= 1 << i
            elif b is not self.zero:
                return None
        return value

    def create(self, cls: type[Op], operands: Sequence[Value], types: Sequence[Any],
               attrs: dict[str, Any] | None = None, loc: Location | None = None) -> Op:
        op = self.graph.create(cls, list(operands), list(types), attrs, loc)
        self.created.append(op)
        return op

    def discard(self, op: Op) -> None:
        """Erase `op` (whose results nothing reads) and forget what the caches hold of it."""
        if isinstance(op, hw.SplitOp):
            self._split.pop(op.operand(0), None)
        self.graph.erase(op)

    # -- gates -------------------------------------------------------------------------------
    def gate(self, cls: type[Op], args: Sequence[Value], loc: Location | None) -> Value:
        """One gate exactly as asked (gate primitives keep the netlist's structure)."""
        return self.create(cls, args, [i1], None, loc).result

    def not_(self, a: Value, loc: Location | None = None) -> Value:
        if a is self.zero:
            return self.one
        if a is self.one:
            return self.zero
        cached = self._inverse.get(a)
        if cached is not None and self.alive(cached):
            return cached
        out = self.gate(logic.NotOp, [a], loc)
        self._inverse[a] = out
        self._inverse[out] = a
        return out

    def and_(self, args: Sequence[Value], loc: Location | None = None, negate: bool = False) -> Value:
        if any(a is self.zero for a in args):
            return self.one if negate else self.zero
        rest = [a for a in args if a is not self.one]
        return self._nary(rest, logic.AndOp, logic.NandOp, self.one, negate, loc)

    def or_(self, args: Sequence[Value], loc: Location | None = None, negate: bool = False) -> Value:
        if any(a is self.one for a in args):
            return self.zero if negate else self.one
        rest = [a for a in args if a is not self.zero]
        return self._nary(rest, logic.OrOp, logic.NorOp, self.zero, negate, loc)

    def xor_(self, args: Sequence[Value], loc: Location | None = None, negate: bool = False) -> Value:
        flip = negate
        rest = []
        for a in args:
            if a is self.one:
                flip = not flip
            elif a is not self.zero:
                rest.append(a)
        return self._nary(rest, logic.XorOp, logic.XnorOp, self.zero, flip, loc)

    def _nary(self, args: list[Value], plain: type[Op], negated: type[Op], empty: Value,
              negate: bool, loc: Location | None) -> Value:
        if not args:
            return self.not_(empty) if negate else empty
        if len(args) == 1:
            return self.not_(args[0], loc) if negate else args[0]
        return self.gate(negated if negate else plain, args, loc)

    def mux(self, s: Value, t: Value, f: Value, loc: Location | None = None) -> Value:
        if s is self.one or t is f:
            return t
        if s is self.zero:
            return f
        if t is self.one and f is self.zero:
            return s
        if t is self.zero and f is self.one:
            return self.not_(s, loc)
        return self.gate(logic.MuxOp, [s, t, f], loc)

    def reduce_or(self, bits: Sequence[Value], loc: Location | None = None) -> Value:
        return self.or_(bits, loc)

    # -- words -------------------------------------------------------------------------------
    def word(self, bits: Sequence[Value], loc: Location | None = None) -> Value:
        """An `iN` value with these bits (no op when they are a whole split or constants)."""
        const = self.const_value(bits)
        if const is not None:
            key = (const, len(bits))
            if key not in self._wconst or not self.alive(self._wconst[key]):
                self._wconst[key] = self.create(
                    word.ConstOp, (), [IntType(len(bits))], {"value": const}, loc).result
            return self._wconst[key]
        if len(bits) == 1:
            return bits[0]
        first = bits[0].owner
        if isinstance(first, hw.SplitOp) and len(first.results) == len(bits) \
                and all(b is r for b, r in zip(bits, first.results)):
            return first.operand(0)
        key = tuple(id(b) for b in bits)
        cached = self._join.get(key)
        if cached is not None and self.alive(cached):
            return cached
        out = self.create(hw.JoinOp, bits, [IntType(len(bits))], None, loc).result
        self._join[key] = out
        return out

    def bits(self, value: Value, loc: Location | None = None) -> Bits:
        """The bits of an `iN` value (a split, or the operands of the join that built it)."""
        if value.type.width == 1:
            return [value]
        owner = value.owner
        if isinstance(owner, hw.JoinOp):
            return list(owner.operands)
        if isinstance(owner, word.ConstOp):
            return self.const_bits(owner.attr("value"), value.type.width)
        cached = self._split.get(value)
        if cached is not None:
            return cached
        op = self.create(hw.SplitOp, [value], [i1] * value.type.width, None, loc)
        out = list(op.results)
        self._split[value] = out
        return out

    def word_op(self, cls: type[Op], operands: Sequence[Bits], width: int,
                attrs: dict[str, Any] | None = None, loc: Location | None = None) -> Bits:
        """A word op on bit lists, folded when every operand is constant."""
        consts = [self.const_value(b) for b in operands]
        if all(c is not None for c in consts):
            value = word_op_value(cls.name, consts, [len(b) for b in operands], width, attrs or {})
            return self.const_bits(value, width)
        args = [self.word(b, loc) for b in operands]
        result = self.create(cls, args, [IntType(width)], attrs, loc).result
        return self.bits(result, loc)
