"""The `logic` dialect: single-bit (`i1`) gates.

`and`/`or`/`xor`/`nand`/`nor`/`xnor` take two or more operands; `not` and `buf` one;
`mux %s, %t, %f` is `s ? t : f`; `maj` is the majority of three; `lut` applies a truth table
(operand i is bit i of the table index); `const` has a `value` of 0 or 1.
"""

from __future__ import annotations

from typing import ClassVar

from ..attributes import TruthTable
from ..core import Op
from ..dialect import AttrDef, Dialect
from ..types import IntType

__all__ = [
    "GATE_OPS",
    "LOGIC",
    "AndOp",
    "BufOp",
    "ConstOp",
    "LutOp",
    "MajOp",
    "MuxOp",
    "NandOp",
    "NorOp",
    "NotOp",
    "OrOp",
    "XnorOp",
    "XorOp",
]


class _Gate(Op):
    num_results = 1
    operand_type = IntType
    result_type = IntType


class _NaryGate(_Gate):
    num_operands = (2, None)


class AndOp(_NaryGate):
    """Conjunction of two or more bits."""

    name = "logic.and"


class OrOp(_NaryGate):
    """Disjunction of two or more bits."""

    name = "logic.or"


class XorOp(_NaryGate):
    """Parity of two or more bits."""

    name = "logic.xor"


class NandOp(_NaryGate):
    """Negated conjunction."""

    name = "logic.nand"


class NorOp(_NaryGate):
    """Negated disjunction."""

    name = "logic.nor"


class XnorOp(_NaryGate):
    """Negated parity."""

    name = "logic.xnor"


class NotOp(_Gate):
    """Inverter."""

    name = "logic.not"
    num_operands = 1


class BufOp(_Gate):
    """Buffer (identity); kept so that named nets survive until clean-up."""

    name = "logic.buf"
    num_operands = 1


class MuxOp(_Gate):
    """`mux %s, %t, %f` = s ? t : f."""

    name = "logic.mux"
    num_operands = 3


class MajOp(_Gate):
    """Majority of three bits."""

    name = "logic.maj"
    num_operands = 3


class LutOp(_Gate):
    """A truth table over the operands (operand i is bit i of the pattern index)."""

    name = "logic.lut"
    num_operands = (0, 24)
    attr_defs: ClassVar = {"table": AttrDef(TruthTable, doc="the function")}

    def verify_(self) -> None:
        if self.attr("table").n_inputs != len(self.operands):
            raise self.error(
                f"table has {self.attr('table').n_inputs} inputs but op has {len(self.operands)} operands"
            )


class ConstOp(_Gate):
    """A constant bit."""

    name = "logic.const"
    num_operands = 0
    attr_defs: ClassVar = {"value": AttrDef(int, choices=(0, 1), doc="0 or 1")}


GATE_OPS: tuple[type[Op], ...] = (
    ConstOp, BufOp, NotOp, AndOp, OrOp, XorOp, NandOp, NorOp, XnorOp, MuxOp, MajOp, LutOp,
)
"""Every logic op, in the order of the gate codes used by array views."""


def _bits_only(op: Op) -> None:
    for v in (*op.operands, *op.results):
        if v.type != IntType(1):
            raise op.error(f"operands and results must be i1, got {v.type}")


LOGIC = Dialect("logic", list(GATE_OPS), doc="Single-bit gates.", rule=_bits_only)
