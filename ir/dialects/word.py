"""The `word` dialect: bit-vector (`iN`) arithmetic and wiring.

Widths are explicit: `add sub and or xor not neg` take operands of the result's width (a
frontend extends operands first, as Verilog's sizing rules say). `mul` reads its operands
zero-extended (or sign-extended with `signed = true`) and keeps the low result-width bits.
`concat` puts operand 0 in the least significant bits. `extract` takes result-width bits from
bit `lo`. `cmp` compares by `pred` (eq ne ult ule ugt uge slt sle sgt sge). `shl`/`shr` shift by
an unsigned amount; `shr` is arithmetic with `arith = true`. `reduce_*` fold all bits into one.
"""

from __future__ import annotations

from typing import ClassVar

from ..core import Op
from ..dialect import AttrDef, Dialect
from ..types import IntType

__all__ = [
    "CMP_PREDICATES",
    "WORD",
    "AddOp", "AndOp", "CmpOp", "ConcatOp", "ConstOp", "ExtractOp", "MulOp", "MuxOp", "NegOp",
    "NotOp", "OrOp", "ReduceAndOp", "ReduceOrOp", "ReduceXorOp", "SextOp", "ShlOp", "ShrOp",
    "SubOp", "XorOp", "ZextOp",
]

CMP_PREDICATES = ("eq", "ne", "ult", "ule", "ugt", "uge", "slt", "sle", "sgt", "sge")


class _WordOp(Op):
    num_results = 1
    operand_type = IntType
    result_type = IntType


class _SameWidth(_WordOp):
    def verify_(self) -> None:
        w = self.result.type.width
        for i, v in enumerate(self.operands):
            if v.type.width != w:
                raise self.error(f"operand {i} is {v.type}, result is i{w}: widths must match")


class ConstOp(_WordOp):
    """A constant bit-vector; `value` is read modulo 2^width (non-negative)."""

    name = "word.const"
    num_operands = 0
    attr_defs: ClassVar = {"value": AttrDef(int, doc="the value, 0 <= value < 2^width")}

    def verify_(self) -> None:
        v = self.attr("value")
        if not 0 <= v < (1 << self.result.type.width):
            raise self.error(f"value {v} does not fit in {self.result.type}")


class AddOp(_SameWidth):
    """Sum modulo 2^width."""

    name = "word.add"
    num_operands = 2


class SubOp(_SameWidth):
    """Difference modulo 2^width."""

    name = "word.sub"
    num_operands = 2


class NegOp(_SameWidth):
    """Two's-complement negation."""

    name = "word.neg"
    num_operands = 1


class AndOp(_SameWidth):
    """Bitwise AND."""

    name = "word.and"
    num_operands = (2, None)


class OrOp(_SameWidth):
    """Bitwise OR."""

    name = "word.or"
    num_operands = (2, None)


class XorOp(_SameWidth):
    """Bitwise XOR."""

    name = "word.xor"
    num_operands = (2, None)


class NotOp(_SameWidth):
    """Bitwise NOT."""

    name = "word.not"
    num_operands = 1


class MulOp(_WordOp):
    """Product of the extended operands, modulo 2^(result width)."""

    name = "word.mul"
    num_operands = 2
    attr_defs: ClassVar = {"signed": AttrDef(bool, required=False, doc="sign-extend operands")}


class ShlOp(_WordOp):
    """Shift left by an unsigned amount (operand 1)."""

    name = "word.shl"
    num_operands = 2

    def verify_(self) -> None:
        if self.operand(0).type != self.result.type:
            raise self.error("shifted value and result must have the same width")


class ShrOp(ShlOp):
    """Shift right by an unsigned amount; arithmetic when `arith`."""

    name = "word.shr"
    attr_defs: ClassVar = {"arith": AttrDef(bool, required=False, doc="replicate the sign bit")}


class CmpOp(_WordOp):
    """Comparison by `pred`, an i1 result."""

    name = "word.cmp"
    num_operands = 2
    attr_defs: ClassVar = {"pred": AttrDef(str, choices=CMP_PREDICATES, doc="predicate")}

    def verify_(self) -> None:
        if self.operand(0).type != self.operand(1).type:
            raise self.error("compared operands must have the same width")
        if self.result.type.width != 1:
            raise self.error("result must be i1")


class ConcatOp(_WordOp):
    """Concatenation; operand 0 is least significant."""

    name = "word.concat"
    num_operands = (1, None)

    def verify_(self) -> None:
        total = sum(v.type.width for v in self.operands)
        if total != self.result.type.width:
            raise self.error(f"operands total {total} bits, result is {self.result.type}")


class ExtractOp(_WordOp):
    """Bits lo .. lo+width-1 of the operand."""

    name = "word.extract"
    num_operands = 1
    attr_defs: ClassVar = {"lo": AttrDef(int, doc="lowest extracted bit")}

    def verify_(self) -> None:
        lo = self.attr("lo")
        if lo < 0 or lo + self.result.type.width > self.operand(0).type.width:
            raise self.error(f"bits {lo}..{lo + self.result.type.width - 1} outside {self.operand(0).type}")


class MuxOp(_WordOp):
    """`mux %s, %t, %f` = s ? t : f with an i1 selector."""

    name = "word.mux"
    num_operands = 3

    def verify_(self) -> None:
        if self.operand(0).type.width != 1:
            raise self.error("selector must be i1")
        if not self.operand(1).type == self.operand(2).type == self.result.type:
            raise self.error("both arms and the result must have the same width")


class ZextOp(_WordOp):
    """Zero extension."""

    name = "word.zext"
    num_operands = 1

    def verify_(self) -> None:
        if self.result.type.width < self.operand(0).type.width:
            raise self.error("cannot extend to a narrower width")


class SextOp(ZextOp):
    """Sign extension."""

    name = "word.sext"


class _Reduce(_WordOp):
    num_operands = 1

    def verify_(self) -> None:
        if self.result.type.width != 1:
            raise self.error("result must be i1")


class ReduceAndOp(_Reduce):
    """AND of all bits."""

    name = "word.reduce_and"


class ReduceOrOp(_Reduce):
    """OR of all bits."""

    name = "word.reduce_or"


class ReduceXorOp(_Reduce):
    """XOR of all bits."""

    name = "word.reduce_xor"


WORD = Dialect(
    "word",
    [ConstOp, AddOp, SubOp, NegOp, AndOp, OrOp, XorOp, NotOp, MulOp, ShlOp, ShrOp, CmpOp,
     ConcatOp, ExtractOp, MuxOp, ZextOp, SextOp, ReduceAndOp, ReduceOrOp, ReduceXorOp],
    doc="Bit-vector operators.",
)
