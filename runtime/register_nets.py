"""Flip-flops for the netlist writers: each register of a clocked graph as one-bit nets.

BLIF (`.latch`) and `.bench` (`DFF`) hold one-bit rising-edge flip-flops on one clock, with
no enable, reset or (in `.bench`) init. `writable_clock` checks a graph's registers for such a
format: one clock, a primary input (`seq.check_clocking`), and no asynchronous reset, which a
flip-flop of either format cannot express faithfully (the reset acts between clock edges), so a
register with one is refused with its location. `register_bits` then names, after the writer's
`NetNames`, every register bit: its output net (a register driving an output port is named by
the port; the bits of a wider one are `NAME[i]`), its data net, and the enable and synchronous
reset nets, which the writers fold into the flip-flop's data as logic (`next = srst ? value :
en ? d : q`, the order of `seq.next`).
"""

from __future__ import annotations

from dataclasses import dataclass

from axc.ir import Graph, InputError, Location, Value
from axc.ir.dialects import hw, seq

from .net_naming import Namer, NetNames

__all__ = ["RegisterBit", "bit_nets", "register_bits", "writable_clock"]


@dataclass(frozen=True)
class RegisterBit:
    """One flip-flop: bit `index` of register `name`."""

    name: str
    index: int
    q: str
    """The flip-flop's output net."""
    d: str
    """The data net (loaded when `enable` is 1 or absent and `srst` is 0 or absent)."""
    enable: str | None
    srst: str | None
    srst_value: int
    """The bit loaded while `srst` is 1."""
    init: int
    loc: Location | None


def writable_clock(graph: Graph, fmt: str) -> Value | None:
    """The clock of `graph` (None without registers); one located `InputError` when `fmt` cannot
    hold its registers (two clocks, a derived clock, an asynchronous reset)."""
    try:
        clock = seq.check_clocking(graph)
    except Exception as exc:  # VerifyError: bad input for this writer, with its location
        raise InputError(str(getattr(exc, "message", exc)), getattr(exc, "loc", None)) from None
    for reg in seq.registers(graph):
        if reg.async_reset is not None:
            raise InputError(f"register '{reg.reg_name}' has an asynchronous reset, which {fmt} flip-flops "
                             "cannot express (it acts between clock edges): write Verilog, or make the "
                             "reset synchronous", reg.loc)
    return clock


def register_bits(graph: Graph, names: NetNames, namer: Namer) -> tuple[list[RegisterBit], dict[Value, list[str]]]:
    """The flip-flops of `graph`, register by register, LSB first (see the module docstring),
    and the output nets of each register (for `bit_nets`).

    Names the bits of registers wider than one bit in `names.ref` (their `hw.split` results), so
    call it after `NetNames.of` and before writing any gate."""
    regs = seq.registers(graph)
    q_bits: dict[Value, list[str]] = {}
    ports = dict(names.outputs)
    for reg in regs:
        v, width = reg.result, reg.width
        base = names.ref[v]
        if width == 1:
            q_bits[v] = [base]
        elif ports.get(base) == width:
            q_bits[v] = [f"{base}[{i}]" for i in range(width)]
        else:
            q_bits[v] = [namer.take(f"{base}[{i}]") for i in range(width)]
        for op in v.users():
            if isinstance(op, hw.SplitOp):
                names.ref.update(zip(op.results, q_bits[v]))
    flops = []
    for reg in regs:
        nxt = seq.next_of(reg)
        d = bit_nets(nxt.data, names, q_bits)
        en = names.ref[nxt.enable] if nxt.enable is not None else None
        srst = names.ref[nxt.sync_reset] if nxt.sync_reset is not None else None
        srst_value = int(nxt.attr("srst_value", 0))
        for i, q in enumerate(q_bits[reg.result]):
            flops.append(RegisterBit(reg.reg_name, i, q, d[i], en, srst, srst_value >> i & 1,
                                     reg.init >> i & 1, reg.loc))
    return flops, q_bits


def bit_nets(v: Value, names: NetNames, q_bits: dict[Value, list[str]]) -> list[str]:
    """The net of each bit of `v` (LSB first): a one-bit value's net, a register's flip-flops,
    the bits of an input port or the operands of a `hw.join`."""
    width = v.type.width
    if width == 1:
        return [names.ref[v]]
    if v in q_bits:
        return q_bits[v]
    if v.owner is None:
        return [f"{names.ref[v]}[{i}]" for i in range(width)]
    if isinstance(v.owner, hw.JoinOp) and all(b.type.width == 1 for b in v.owner.operands):
        return [names.ref[b] for b in v.owner.operands]
    raise InputError(f"a {width}-bit register input computed by '{v.owner.name}': lower word-level ops "
                     "first (lower-word)", v.owner.loc)
