"""The `logic` dialect: single-bit (`i1`) gates.

`and`/`or`/`xor`/`nand`/`nor`/`xnor` take two or more operands; `not` and `buf` one;
`mux %s, %t, %f` is `s ? t : f`; `maj` is the majority of three; `lut` applies a truth table
(operand i is bit i of the table index); `const` has a `value` of 0 or 1.

What each gate computes is data on its op class, the one place simulators, the interpreter,
synthesis, simplification and the writers read it from: `core` is the function before the
output inversion (`"and"`, `"or"`, `"xor"`, `"buf"`, `"mux"`, `"maj"`, `"const"`, `"lut"`),
`inverted` whether the output is complemented, `commutative` whether operands may be reordered.
`gate_value` evaluates a gate on bits or bit-parallel words; `gate_table` gives its truth table.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

from ..attributes import TruthTable, full_mask, literal_mask
from ..core import Op
from ..dialect import AttrDef, Dialect
from ..types import IntType

__all__ = [
    "CONTROLLING_VALUE",
    "GATE_OPS",
    "GATE_OP_BY_NAME",
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
    "gate_table",
    "gate_value",
]


class _Gate(Op):
    num_results = 1
    operand_type = IntType
    result_type = IntType
    core: ClassVar[str] = "buf"
    inverted: ClassVar[bool] = False
    commutative: ClassVar[bool] = False


class _NaryGate(_Gate):
    num_operands = (2, None)
    commutative = True


class AndOp(_NaryGate):
    """Conjunction of two or more bits."""

    name = "logic.and"
    core = "and"


class OrOp(_NaryGate):
    """Disjunction of two or more bits."""

    name = "logic.or"
    core = "or"


class XorOp(_NaryGate):
    """Parity of two or more bits."""

    name = "logic.xor"
    core = "xor"


class NandOp(_NaryGate):
    """Negated conjunction."""

    name = "logic.nand"
    core = "and"
    inverted = True


class NorOp(_NaryGate):
    """Negated disjunction."""

    name = "logic.nor"
    core = "or"
    inverted = True


class XnorOp(_NaryGate):
    """Negated parity."""

    name = "logic.xnor"
    core = "xor"
    inverted = True


class NotOp(_Gate):
    """Inverter."""

    name = "logic.not"
    core = "buf"
    inverted = True
    num_operands = 1


class BufOp(_Gate):
    """Buffer (identity); kept so that named nets survive until clean-up."""

    name = "logic.buf"
    core = "buf"
    num_operands = 1


class MuxOp(_Gate):
    """`mux %s, %t, %f` = s ? t : f."""

    name = "logic.mux"
    core = "mux"
    num_operands = 3


class MajOp(_Gate):
    """Majority of three bits."""

    name = "logic.maj"
    core = "maj"
    commutative = True
    num_operands = 3


class LutOp(_Gate):
    """A truth table over the operands (operand i is bit i of the pattern index)."""

    name = "logic.lut"
    core = "lut"
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
    core = "const"
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

GATE_OP_BY_NAME: dict[str, type[_Gate]] = {cls.name: cls for cls in GATE_OPS}

CONTROLLING_VALUE: dict[str, int] = {"and": 0, "or": 1}
"""An operand with this value decides an `and`/`or` core on its own (to that same value)."""


def _fold(core: str, args: Sequence[Any], ones: Any) -> Any:
    if core == "mux":
        s, t, f = args
        return (s & t) | ((ones ^ s) & f)
    if core == "maj":
        a, b, c = args
        return (a & b) | (c & (a | b))
    result = args[0]
    for x in args[1:]:
        if core == "and":
            result = result & x
        elif core == "or":
            result = result | x
        else:
            result = result ^ x
    return result


def gate_value(name: str, args: Sequence[Any], ones: Any = 1) -> Any:
    """The output of gate `name` on `args`: bits (`ones` = 1) or bit-parallel words (`ones` =
    the all-ones word). `logic.const` and `logic.lut` need their attributes: not handled here."""
    cls = GATE_OP_BY_NAME[name]
    if cls.core in ("const", "lut"):
        raise ValueError(f"{name} is defined by its attribute, not by its operands")
    value = _fold(cls.core, args, ones)
    return ones ^ value if cls.inverted else value


@cache
def gate_table(name: str, n: int) -> int:
    """The truth table of gate `name` with `n` operands (bit p = output at pattern p; operand i
    is bit i of p)."""
    return gate_value(name, [literal_mask(n, i) for i in range(n)], full_mask(n))
