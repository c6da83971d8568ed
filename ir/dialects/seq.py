"""The `seq` dialect: registers (edge-triggered D flip-flops) of a clocked circuit.

A register is two ops, so that every graph stays acyclic and every loop of the circuit goes
through a register by construction:

    %q = seq.reg %clk {name = "acc", init = 0} : i16            // the state read this cycle
    %q2 = seq.reg %clk, %rst {name = "r", arst_value = 0} : i8   // with an asynchronous reset
    seq.next %q, %d                                              // what it holds next cycle
    seq.next %q, %d, %en {enable = true}                         // loaded only when %en is 1
    seq.next %q, %d, %en, %srst {enable = true, srst_value = 0}  // synchronous reset first

`seq.reg` takes the clock (an `i1`, rising edge) and optionally an active-high asynchronous
reset; while that reset is 1 the register reads `arst_value`. An active-low reset port
(`negedge rst_n`) is the `logic.not` of that port. `seq.next` names the register
(its `seq.reg` result), the next value `d`, then, when present, the enable and the synchronous
reset. Per rising clock edge: asynchronous reset, else synchronous reset, else (enable or no
enable) load `d`, else hold. `init` is the value before the first edge (0 when absent). Every
`seq.reg` has exactly one `seq.next`. One clock per graph: `check_clocking` says which.
"""

from __future__ import annotations

from typing import ClassVar

from ..core import Graph, Op, Value
from ..diagnostics import VerifyError
from ..dialect import AttrDef, Dialect
from ..types import IntType

__all__ = ["SEQ", "NextOp", "RegOp", "async_reset_port", "check_clocking", "next_of", "registers"]


def _fits(value: int, width: int) -> bool:
    return 0 <= value < (1 << width)


class RegOp(Op):
    """A register's value this cycle; operand 0 the clock, operand 1 an optional asynchronous reset."""

    name = "seq.reg"
    num_operands = (1, 2)
    num_results = 1
    operand_type = IntType
    result_type = IntType
    attr_defs: ClassVar = {
        "name": AttrDef(str, required=False, doc="the register's name in the source"),
        "init": AttrDef(int, required=False, doc="value before the first clock edge (default 0)"),
        "arst_value": AttrDef(int, required=False, doc="value while the asynchronous reset is 1"),
    }

    @property
    def width(self) -> int:
        return self.result.type.width

    @property
    def init(self) -> int:
        return int(self.attr("init", 0))

    @property
    def async_reset(self) -> Value | None:
        return self.operand(1) if len(self.operands) > 1 else None

    @property
    def reg_name(self) -> str:
        return self.attr("name", None) or self.result.name or "reg"

    def verify_(self) -> None:
        if any(v.type.width != 1 for v in self.operands):
            raise self.error("clock and asynchronous reset must be i1")
        has_arst = len(self.operands) > 1
        if has_arst != ("arst_value" in self.attributes):
            raise self.error("an asynchronous reset operand and the arst_value attribute go together")
        for key in ("init", "arst_value"):
            if key in self.attributes and not _fits(int(self.attributes[key]), self.width):
                raise self.error(f"{key} {self.attributes[key]} does not fit i{self.width}")
        nexts = [u.op for u in self.result.uses if isinstance(u.op, NextOp) and u.index == 0]
        if len(nexts) != 1 and self.graph is not None:
            raise self.error(f"register '{self.reg_name}' needs exactly one seq.next, has {len(nexts)}")


class NextOp(Op):
    """The value register `q` (operand 0) holds after the next clock edge: `d` (operand 1), then
    the enable when `enable`, then the synchronous reset when `srst_value` is set."""

    name = "seq.next"
    num_operands = (2, 4)
    num_results = 0
    operand_type = IntType
    attr_defs: ClassVar = {
        "enable": AttrDef(bool, required=False, doc="operand 2 is a load enable"),
        "srst_value": AttrDef(int, required=False, doc="value loaded while the synchronous reset is 1"),
    }

    @property
    def register(self) -> RegOp:
        owner = self.operand(0).owner
        assert isinstance(owner, RegOp)
        return owner

    @property
    def data(self) -> Value:
        return self.operand(1)

    @property
    def enable(self) -> Value | None:
        return self.operand(2) if self.attr("enable", False) else None

    @property
    def sync_reset(self) -> Value | None:
        return self.operand(len(self.operands) - 1) if "srst_value" in self.attributes else None

    def verify_(self) -> None:
        if not isinstance(self.operand(0).owner, RegOp):
            raise self.error("operand 0 must be a seq.reg result")
        width = self.operand(0).type.width
        if self.operand(1).type.width != width:
            raise self.error(f"next value is i{self.operand(1).type.width}, the register i{width}")
        expected = 2 + bool(self.attr("enable", False)) + ("srst_value" in self.attributes)
        if len(self.operands) != expected:
            raise self.error(f"expects {expected} operands (register, value, then enable and synchronous "
                             f"reset as declared), got {len(self.operands)}")
        if any(v.type.width != 1 for v in self.operands[2:]):
            raise self.error("enable and synchronous reset must be i1")
        if "srst_value" in self.attributes and not _fits(int(self.attributes["srst_value"]), width):
            raise self.error(f"srst_value {self.attributes['srst_value']} does not fit i{width}")


def registers(graph: Graph) -> list[RegOp]:
    """The registers of `graph`, in op order."""
    return [op for op in graph.ops if isinstance(op, RegOp)]


def next_of(reg: RegOp) -> NextOp:
    """The `seq.next` of `reg`."""
    for use in reg.result.uses:
        if isinstance(use.op, NextOp) and use.index == 0:
            return use.op
    raise VerifyError(f"register '{reg.reg_name}' has no seq.next", reg.loc)


def check_clocking(graph: Graph) -> Value | None:
    """The one clock of `graph` (None without registers). Clocks and asynchronous resets must be
    graph inputs; registers on two clocks are refused (one located `VerifyError`)."""
    clock: Value | None = None
    first: RegOp | None = None
    for reg in registers(graph):
        clk = reg.operand(0)
        if clk.owner is not None:
            raise VerifyError(f"register '{reg.reg_name}' has no clock input: its clock is driven by "
                              f"'{clk.owner.name}' logic, not by a port (gated or derived clocks are not "
                              "supported)", reg.loc)
        if clock is None:
            clock, first = clk, reg
        elif clk is not clock:
            raise VerifyError(f"multiple clock domains are not supported: register '{reg.reg_name}' is clocked "
                              f"by '{clk.name}', register '{first.reg_name}' by '{clock.name}' "
                              "(axc-opt handles one clock per design)", reg.loc)
        arst = reg.async_reset
        if arst is not None and async_reset_port(reg) is None:
            raise VerifyError(f"register '{reg.reg_name}': its asynchronous reset must come from a port "
                              f"(or its inverse), not from '{arst.owner.name}' logic", reg.loc)
    return clock


def async_reset_port(reg: RegOp) -> tuple[Value, bool] | None:
    """The port that resets `reg` asynchronously and whether it is active low (the reset is
    the `logic.not` of the port); None without a reset or when logic drives it."""
    arst = reg.async_reset
    if arst is None:
        return None
    if arst.owner is None:
        return arst, False
    if arst.owner.name == "logic.not" and arst.owner.operand(0).owner is None:
        return arst.owner.operand(0), True
    return None


def _rule(op: Op) -> None:
    if isinstance(op, RegOp) and op.graph is not None and op.graph.kind != "hw":
        raise op.error("registers belong in circuit (hw) graphs")


SEQ = Dialect("seq", [RegOp, NextOp], doc="Registers: edge-triggered flip-flops of one clock.", rule=_rule)
