"""Gate-level structures for bit-blasting word operators (used by `lower-word`).

`BitBlaster` emits `logic` gates into a graph and folds constant operands, so zero- and
sign-extension bits, constant operands and carry-ins cost nothing. Structures: ripple-carry
adder (full adder: p = a^b, s = p^c, carry = a&b | p&c), subtraction as a + ~b + 1, array
multiplier (unsigned rows, or Baugh-Wooley rows for signed operands) truncated to the result
width, equality by xnor/and, less-than by the borrow of a - b (signed: both sign bits flipped),
logarithmic barrel shifters and per-bit muxes. Bit lists are LSB first.
"""

from __future__ import annotations

from collections.abc import Sequence

from axc.ir import Graph, Location, Op, Value, i1
from axc.ir.dialects import logic

__all__ = ["BitBlaster", "Bits"]

Bits = list[Value]


class BitBlaster:
    """Gate emitter with constant folding and gate-level arithmetic structures."""

    def __init__(self, graph: Graph, loc: Location | None = None) -> None:
        self.graph = graph
        self.loc = loc
        self.gates = 0
        self._zero: Value | None = None
        self._one: Value | None = None

    # -- constants ---------------------------------------------------------------------------
    @property
    def zero(self) -> Value:
        if self._zero is None:
            self._zero = self.graph.create(logic.ConstOp, (), [i1], {"value": 0}).result
        return self._zero

    @property
    def one(self) -> Value:
        if self._one is None:
            self._one = self.graph.create(logic.ConstOp, (), [i1], {"value": 1}).result
        return self._one

    def const(self, v: Value) -> int | None:
        owner = v.owner
        if isinstance(owner, logic.ConstOp):
            return int(owner.attr("value"))
        return None

    def const_bits(self, value: int, width: int) -> Bits:
        return [self.one if (value >> i) & 1 else self.zero for i in range(width)]

    # -- gates -------------------------------------------------------------------------------
    def _gate(self, cls: type[Op], args: Sequence[Value]) -> Value:
        self.gates += 1
        return self.graph.create(cls, list(args), [i1], loc=self.loc).result

    def not_(self, a: Value) -> Value:
        c = self.const(a)
        if c is not None:
            return self.zero if c else self.one
        if isinstance(a.owner, logic.NotOp):
            return a.owner.operand(0)
        return self._gate(logic.NotOp, [a])

    def and_(self, a: Value, b: Value) -> Value:
        ca, cb = self.const(a), self.const(b)
        if ca == 0 or cb == 0:
            return self.zero
        if ca == 1:
            return b
        if cb == 1 or a is b:
            return a
        return self._gate(logic.AndOp, [a, b])

    def or_(self, a: Value, b: Value) -> Value:
        ca, cb = self.const(a), self.const(b)
        if ca == 1 or cb == 1:
            return self.one
        if ca == 0:
            return b
        if cb == 0 or a is b:
            return a
        return self._gate(logic.OrOp, [a, b])

    def xor_(self, a: Value, b: Value) -> Value:
        ca, cb = self.const(a), self.const(b)
        if ca is not None:
            return self.not_(b) if ca else b
        if cb is not None:
            return self.not_(a) if cb else a
        if a is b:
            return self.zero
        return self._gate(logic.XorOp, [a, b])

    def mux(self, s: Value, t: Value, f: Value) -> Value:
        cs = self.const(s)
        if cs is not None:
            return t if cs else f
        if t is f:
            return t
        ct, cf = self.const(t), self.const(f)
        if ct == 1 and cf == 0:
            return s
        if ct == 0 and cf == 1:
            return self.not_(s)
        return self._gate(logic.MuxOp, [s, t, f])

    def reduce(self, kind: str, bits: Sequence[Value]) -> Value:
        """AND/OR/XOR of all bits as a balanced tree of two-input gates."""
        fn = {"and": self.and_, "or": self.or_, "xor": self.xor_}[kind]
        layer = list(bits)
        if not layer:
            return self.one if kind == "and" else self.zero
        while len(layer) > 1:
            nxt = [fn(layer[i], layer[i + 1]) for i in range(0, len(layer) - 1, 2)]
            if len(layer) % 2:
                nxt.append(layer[-1])
            layer = nxt
        return layer[0]

    # -- arithmetic --------------------------------------------------------------------------
    def full_adder(self, a: Value, b: Value, c: Value) -> tuple[Value, Value]:
        p = self.xor_(a, b)
        return self.xor_(p, c), self.or_(self.and_(a, b), self.and_(p, c))

    def add(self, a: Bits, b: Bits, carry: Value | None = None) -> tuple[Bits, Value]:
        """Ripple-carry sum of equal-width a and b (and a carry-in); returns (sum, carry-out)."""
        c = carry if carry is not None else self.zero
        out = []
        for x, y in zip(a, b):
            s, c = self.full_adder(x, y, c)
            out.append(s)
        return out, c

    def sub(self, a: Bits, b: Bits) -> tuple[Bits, Value]:
        """a - b as a + ~b + 1; the carry-out is 1 exactly when a >= b (unsigned)."""
        return self.add(a, [self.not_(x) for x in b], self.one)

    def neg(self, a: Bits) -> Bits:
        return self.sub([self.zero] * len(a), a)[0]

    def carry_out(self, a: Bits, b: Bits, carry: Value) -> Value:
        """Only the carry chain of a + b + carry."""
        c = carry
        for x, y in zip(a, b):
            p = self.xor_(x, y)
            c = self.or_(self.and_(x, y), self.and_(p, c))
        return c

    def mul(self, a: Bits, b: Bits, width: int, signed: bool) -> Bits:
        """Array multiplier, `width` result bits: partial-product rows a & b[j] summed by
        ripple-carry adders. Signed operands use Baugh-Wooley rows (the partial products with
        exactly one sign bit inverted, plus the constant 2^(n-1) + 2^(m-1) + 2^(n+m-1)), whose
        n+m-bit sum is the exact product, then truncated or sign-extended to `width`."""
        n, m = len(a), len(b)
        if not signed:
            rows = [(j, [self.and_(x, y) for x in a]) for j, y in enumerate(b)]
            return self.sum_rows(rows, width)
        rows = []
        for j, y in enumerate(b):
            row = []
            for i, x in enumerate(a):
                pp = self.and_(x, y)
                row.append(self.not_(pp) if (i == n - 1) != (j == m - 1) else pp)
            rows.append((j, row))
        full = n + m
        constant = ((1 << (n - 1)) + (1 << (m - 1)) + (1 << (full - 1))) % (1 << full)
        rows.append((0, self.const_bits(constant, full)))
        product = self.sum_rows(rows, min(width, full))
        return self.extend(product, width, True)

    def sum_rows(self, rows: list[tuple[int, Bits]], width: int) -> Bits:
        """The sum of rows (bit offset, bits) modulo 2^width, one ripple-carry adder per row."""
        acc = [self.zero] * width
        for offset, bits in rows:
            if offset >= width:
                continue
            segment = list(bits[: width - offset])
            segment += [self.zero] * (width - offset - len(segment))
            acc = acc[:offset] + self.add(acc[offset:], segment)[0]
        return acc

    def extend(self, bits: Bits, width: int, signed: bool) -> Bits:
        if len(bits) >= width:
            return list(bits)
        fill = bits[-1] if signed and bits else self.zero
        return list(bits) + [fill] * (width - len(bits))

    def less(self, a: Bits, b: Bits, signed: bool) -> Value:
        """a < b: the borrow of a - b (no carry out of a + ~b + 1)."""
        if signed and a:
            a = a[:-1] + [self.not_(a[-1])]
            b = b[:-1] + [self.not_(b[-1])]
        return self.not_(self.carry_out(a, [self.not_(x) for x in b], self.one))

    def equal(self, a: Bits, b: Bits) -> Value:
        return self.not_(self.reduce("or", [self.xor_(x, y) for x, y in zip(a, b)]))

    def compare(self, pred: str, a: Bits, b: Bits) -> Value:
        if pred == "eq":
            return self.equal(a, b)
        if pred == "ne":
            return self.not_(self.equal(a, b))
        signed = pred.startswith("s")
        kind = pred[1:]
        if kind == "lt":
            return self.less(a, b, signed)
        if kind == "gt":
            return self.less(b, a, signed)
        if kind == "le":
            return self.not_(self.less(b, a, signed))
        return self.not_(self.less(a, b, signed))

    def shift(self, value: Bits, amount: Bits, left: bool, arith: bool) -> Bits:
        """Logarithmic barrel shifter: stage k shifts by 2^k when amount bit k is set."""
        width = len(value)
        fill = value[-1] if arith and not left else self.zero
        cur = list(value)
        overflow: list[Value] = []
        for k, s in enumerate(amount):
            step = 1 << k
            if step >= width:
                overflow.append(s)
                continue
            if left:
                moved = [self.zero] * step + cur[: width - step]
            else:
                moved = cur[step:] + [fill] * step
            cur = [self.mux(s, m, c) for m, c in zip(moved, cur)]
        if overflow:
            big = self.reduce("or", overflow)
            cur = [self.mux(big, fill, c) for c in cur]
        return cur
