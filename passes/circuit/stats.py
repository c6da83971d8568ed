"""The `stats` pass: area, delay, power, gate counts, depth and ports of the top circuit."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from axc.ir import InputError, Module
from axc.ir.views import GATE_CODES, ClockedCore, LogicView, is_clocked
from axc.runtime.cost import estimate_cost, register_area

from ..infra.base import CellLibraryOptions, PassContext, PassResult

__all__ = ["StatsPass", "circuit_stats", "format_stats"]

_KIND = {code: name.split(".")[1] for name, code in GATE_CODES.items()}


@dataclass(frozen=True)
class StatsPass(CellLibraryOptions):
    """Report area, delay, power, gate counts (by kind), depth and port sizes of the top circuit.

    Area (µm²), critical-path delay (ns) and cell counts come from technology mapping through
    Yosys+ABC onto the shipped NanGate-45 X1 genlib (or `genlib=`/`liberty=`); power (µW) from
    the switching activity of the mapped netlist simulated on seeded random vectors. Results go to
    the run report under "stats" and are printed as a table on stderr (unless quiet). The module
    is not changed.
    """

    name: ClassVar[str] = "stats"

    cost: bool = True
    """Map the circuit for area/delay/power (False: gate counts and depth only, no Yosys)."""
    power: bool = True
    """Estimate power (simulates the mapped netlist)."""
    vectors: int = 4096
    """Random input vectors for the switching activity."""
    seed: int = 0
    """Seed of those vectors."""
    vdd: float = 1.1
    """Supply voltage (V) of the power estimate."""
    frequency_mhz: float = 1000.0
    """Clock frequency (MHz) of the power estimate; one input vector per cycle."""

    def requires(self, module: Module) -> None:
        graph = module.top_graph
        if graph is None or graph.kind != "hw":
            raise InputError("'stats' reports on circuits: the top graph is not an 'hw' graph")
        if self.vectors <= 0:
            raise InputError(f"stats: vectors must be positive, got {self.vectors}")
        if self.vdd <= 0 or self.frequency_mhz <= 0:
            raise InputError("stats: vdd and frequency_mhz must be positive")

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        stats = circuit_stats(module, self)
        ctx.report[self.name] = stats
        if not ctx.quiet:
            print(format_stats(stats), file=sys.stderr)
        flat = {k: v for k, v in stats.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        return PassResult(modified=False, stats=flat)


def circuit_stats(module: Module, options: StatsPass | None = None) -> dict[str, Any]:
    """The numbers `stats` reports, as a JSON-ready dict. For a clocked design: those of its
    combinational core (register outputs in, next values out), the register count and bits, and
    an area that adds the registers (`axc.runtime.cost.register_area`); power is the core's."""
    opts = options or StatsPass()
    if is_clocked(module):
        return _clocked_stats(module, opts)
    graph = module.top_graph
    out: dict[str, Any] = {"circuit": graph.name}
    out["input_ports"] = len(graph.inputs)
    out["output_ports"] = len(graph.outputs)
    out["inputs"] = sum(getattr(v.type, "width", 0) for v in graph.inputs)
    out["outputs"] = sum(getattr(v.type, "width", 0) for v in graph.outputs)
    try:
        view = LogicView.from_graph(graph)
    except InputError:
        view = None
    if view is not None:
        kinds = Counter(_KIND[int(c)] for c in view.codes)
        out["gates"] = view.n_gates
        out["depth"] = view.depth
    else:
        kinds = Counter(op.name for op in graph.ops if op.name not in ("hw.split", "hw.join"))
        out["gates"] = sum(kinds.values())
        out["depth"] = None
    out["gates_by_kind"] = dict(sorted(kinds.items()))
    if opts.cost:
        report = estimate_cost(module, opts.genlib, opts.liberty, power=opts.power, view=view,
                               n_power_vectors=opts.vectors, seed=opts.seed, vdd=opts.vdd,
                               frequency_mhz=opts.frequency_mhz)
        out["area_um2"] = report.area_um2
        out["delay_ns"] = report.delay_ns
        if report.power_uw is not None:
            out["power_uw"] = report.power_uw["total"]
            out["power_breakdown_uw"] = report.power_uw
        out["cells"] = report.cells
        out["n_cells"] = report.n_cells
        out["cost_model"] = {"library": report.library, "script": report.script,
                             "power_conditions": report.power_conditions,
                             "notes": report.notes}
    return out


def _clocked_stats(module: Module, opts: StatsPass) -> dict[str, Any]:
    cut = ClockedCore.cut(module)
    out = circuit_stats(cut.core, opts)
    graph = module.top_graph
    out.update(circuit=graph.name, input_ports=len(graph.inputs), output_ports=len(graph.outputs),
               inputs=sum(w for _, w in cut.input_ports), outputs=sum(w for _, w in cut.output_ports),
               clock=cut.clock, registers=len(cut.registers), register_bits=cut.n_state_bits)
    if "area_um2" in out:
        registers = sum(register_area(slot) for slot in cut.registers)
        out["logic_area_um2"] = out["area_um2"]
        out["register_area_um2"] = registers
        out["area_um2"] = out["area_um2"] + registers
        out["cost_model"]["notes"] = [*out["cost_model"]["notes"], "area adds NanGate45 flip-flops per register "
                                      "bit; delay and power are those of the combinational core"]
    return out


def format_stats(stats: dict[str, Any]) -> str:
    """A small text table of `circuit_stats` output."""
    rows = [("circuit", stats["circuit"]),
            ("inputs / outputs", f"{stats['inputs']} / {stats['outputs']} bits "
                                 f"({stats['input_ports']} / {stats['output_ports']} ports)"),
            ("gates", f"{stats['gates']}  " + " ".join(f"{k}:{v}" for k, v in stats["gates_by_kind"].items())),
            ("depth", "-" if stats["depth"] is None else str(stats["depth"]))]
    if "registers" in stats:
        rows.append(("registers", f"{stats['registers']} ({stats['register_bits']} bits, clock {stats['clock']})"))
    if "area_um2" in stats:
        rows.append(("area", f"{stats['area_um2']:.3f} um^2 ({stats['n_cells']} cells, "
                             f"{stats['cost_model']['library']})"))
        if "register_area_um2" in stats:
            rows.append(("", f"logic {stats['logic_area_um2']:.3f} + registers {stats['register_area_um2']:.3f} um^2"))
        rows.append(("delay", f"{stats['delay_ns']:.4f} ns"))
    if "power_uw" in stats:
        cond = stats["cost_model"]["power_conditions"]
        rows.append(("power", f"{stats['power_uw']:.3f} uW at {cond['frequency_mhz']:g} MHz, "
                              f"{cond['vdd_v']:g} V"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
