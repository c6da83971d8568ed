"""A clocked circuit cut at its registers: a combinational core plus the registers around it.

```python
cut = ClockedCore.cut(module)          # module: a top hw graph with seq.reg / seq.next
cut.core                               # combinational Module: ports + register state in, next out
cut.rebuild(changed_core)              # the clocked Module again, around a changed core
```

The core's inputs are the primary inputs without the clock, then one port `NAME@q` per
register (its value this cycle, asynchronous reset applied). Its outputs are the primary
outputs, then per register `NAME@d` (the next value) and, when the register has them,
`NAME@en` (load enable) and `NAME@srst` (synchronous reset). The registers keep their clock,
resets, enable, init and reset values; `rebuild` puts them back unchanged around a core with the
same interface, so a pass that changes only the core leaves the registers fixed. Simulators
read the register semantics from `RegisterSlot` (see `axc.ir.dialects.seq`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import Graph, Module, Op, Value
from ..diagnostics import InputError, Location
from ..dialects import logic
from ..dialects.seq import NextOp, RegOp, async_reset_port, check_clocking, next_of, registers
from ..types import IntType

__all__ = ["ClockedCore", "RegisterSlot", "is_clocked"]


def is_clocked(module: Module) -> bool:
    """Whether the top graph has registers."""
    return module.top is not None and any(isinstance(op, RegOp) for op in module.top_graph.ops)


@dataclass(frozen=True)
class RegisterSlot:
    """One register and the core ports that carry it."""

    name: str
    width: int
    init: int
    q_port: str
    d_port: str
    en_port: str | None = None
    srst_port: str | None = None
    srst_value: int | None = None
    arst_port: str | None = None
    """The primary input (a core input) that resets it asynchronously."""
    arst_value: int | None = None
    arst_active_low: bool = False
    """The reset is active while `arst_port` is 0 (`negedge rst_n`)."""
    loc: Location | None = None


@dataclass(frozen=True)
class ClockedCore:
    """The combinational core of a clocked top graph and the registers cut from it."""

    core: Module
    clock: str
    registers: tuple[RegisterSlot, ...]
    input_ports: tuple[tuple[str, int], ...]
    """The primary inputs in order, clock included (the clocked graph's interface)."""
    output_ports: tuple[tuple[str, int], ...]
    """The primary outputs (the core's first outputs)."""

    @property
    def n_state_bits(self) -> int:
        return sum(r.width for r in self.registers)

    @staticmethod
    def cut(module: Module) -> ClockedCore:
        """Cut the top graph of `module` at its registers (one `InputError` if it cannot be)."""
        graph = module.top_graph
        try:
            clock = check_clocking(graph)
        except Exception as exc:  # VerifyError: report as bad input with its location
            raise InputError(str(getattr(exc, "message", exc)), getattr(exc, "loc", None)) from None
        if clock is None:
            raise InputError(f"@{graph.name} has no registers")
        regs = registers(graph)
        clock_readers = [u.op for u in clock.uses if not (isinstance(u.op, RegOp) and u.index == 0)]
        if clock_readers:
            raise InputError(f"the clock '{clock.name}' also drives '{clock_readers[0].name}' logic: a clock "
                             "may only clock registers", clock_readers[0].loc)
        names = _register_names(regs)
        core = Graph(graph.name, "hw", graph.attributes)
        core.loc = graph.loc
        vmap: dict[Value, Value] = {}
        for v in graph.inputs:
            if v is not clock:
                vmap[v] = core.add_input(v.name, v.type)
        for reg in regs:
            vmap[reg.result] = core.add_input(f"{names[reg]}@q", reg.result.type)
        core.copy_ops([op for op in graph.topo_order() if not (isinstance(op, RegOp | NextOp) or _only_resets(op))],
                      vmap)
        outputs = [vmap[v] for v in graph.outputs]
        out_names = list(graph.output_names)
        slots = []
        for reg in regs:
            nxt, name = next_of(reg), names[reg]
            outputs.append(vmap[nxt.data])
            out_names.append(f"{name}@d")
            en_port = srst_port = None
            if nxt.enable is not None:
                en_port = f"{name}@en"
                outputs.append(vmap[nxt.enable])
                out_names.append(en_port)
            if nxt.sync_reset is not None:
                srst_port = f"{name}@srst"
                outputs.append(vmap[nxt.sync_reset])
                out_names.append(srst_port)
            arst = async_reset_port(reg)
            slots.append(RegisterSlot(
                name, reg.width, reg.init, f"{name}@q", f"{name}@d", en_port, srst_port,
                nxt.attr("srst_value"), arst[0].name if arst is not None else None, reg.attr("arst_value"),
                arst is not None and arst[1], reg.loc))
        core.set_outputs(outputs, out_names)
        result = Module(dict(module.attributes))
        result.add_graph(core, top=True)
        return ClockedCore(result, clock.name, tuple(slots),
                           tuple((v.name, v.type.width) for v in graph.inputs),
                           tuple((n, v.type.width) for n, v in zip(graph.output_names, graph.outputs)))

    def rebuild(self, core_module: Module | None = None) -> Module:
        """The clocked module: the registers around `core_module` (default: the cut core)."""
        core = (core_module or self.core).top_graph
        graph = Graph(core.name, "hw", core.attributes)
        graph.loc = core.loc
        vmap: dict[Value, Value] = {}
        for name, width in self.input_ports:
            port = graph.add_input(name, IntType(width))
            if name != self.clock:
                vmap[core.input(name)] = port
        clock = graph.input(self.clock)
        regs = {}
        inverted: dict[Value, Value] = {}
        for slot in self.registers:
            operands = [clock]
            if slot.arst_port:
                arst = graph.input(slot.arst_port)
                if slot.arst_active_low:
                    if arst not in inverted:
                        inverted[arst] = graph.create(logic.NotOp, [arst], [IntType(1)], loc=slot.loc).result
                    arst = inverted[arst]
                operands.append(arst)
            attrs: dict = {"name": slot.name}
            if slot.init:
                attrs["init"] = slot.init
            if slot.arst_port:
                attrs["arst_value"] = slot.arst_value
            reg = graph.create(RegOp, operands, [IntType(slot.width)], attrs, slot.loc, [slot.name])
            regs[slot] = reg
            vmap[core.input(slot.q_port)] = reg.result
        graph.copy_ops(core.topo_order(), vmap)
        for slot in self.registers:
            operands = [regs[slot].result, vmap[core.output(slot.d_port)]]
            attrs = {}
            if slot.en_port:
                operands.append(vmap[core.output(slot.en_port)])
                attrs["enable"] = True
            if slot.srst_port:
                operands.append(vmap[core.output(slot.srst_port)])
                attrs["srst_value"] = slot.srst_value
            graph.create(NextOp, operands, [], attrs, slot.loc)
        graph.set_outputs([vmap[core.output(n)] for n, _ in self.output_ports], [n for n, _ in self.output_ports])
        module = Module(dict((core_module or self.core).attributes))
        module.add_graph(graph, top=True)
        return module


def _only_resets(op: Op) -> bool:
    """Whether `op` is an active-low reset's inverter read by registers only (not core logic)."""
    return isinstance(op, logic.NotOp) and op.operand(0).owner is None and op.result.has_uses \
        and all(isinstance(u.op, RegOp) and u.index == 1 for u in op.result.uses)


def _register_names(regs: list[RegOp]) -> dict[RegOp, str]:
    """A unique name per register: its own, made unique against the others."""
    names: dict[RegOp, str] = {}
    used: set[str] = set()
    for reg in regs:
        base = reg.reg_name
        name, n = base, 1
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[reg] = name
    return names
