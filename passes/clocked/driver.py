"""Approximating a clocked design: every combinational cone, registers fixed, error over cycles.

`bmf`, `prune` and `truncate` hand a module with registers to `approximate_clocked`:

1. the design is cut at its registers (`axc.ir.views.ClockedCore`); each word the core
   computes (a multiplier, a primary output or a register's next value, 2 bits or wider, with
   logic) is a cone, a combinational circuit of its own (`cones`); a multiplier keeps its net
   name in the written design;
2. the pass approximates each cone alone, with `err` as the cone's own budget (its metric on
   its own word, on its own random vectors); each changed cone is put back in the exact design
   and the whole clocked design is simulated (`cycles` × `traces`, bit-parallel) to measure its
   error at the primary outputs, through every register, feedback included;
3. each cone's own budget is searched for the largest solo error at the outputs within its
   share of `err` (err/√cones: the errors of cones partly cancel);
   cones are then combined greedily, most area saved per unit of measured error first, while
   the combination stays within `err` at the primary outputs; a cone that does not fit in the
   error left is approximated once more with its budget scaled to that headroom;
4. the combination is measured again on fresh stimulus (another seed stream, `cycles` ×
   `traces`; with a `stimulus` file, the half of its traces the search did not use): accepted when the one-sided 99 % upper bound is within `err`, else the last cone
   added is dropped and the rest measured again.

Registers (clock, resets, enable, init) are never changed. The report lists every cone: what
the pass did to it, its area before and after, its solo error at the outputs, and whether it is
in the written design; the error profile over the cycles shows error accumulating through
feedback.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axc.ir import AxcError, InputError, Module
from axc.ir.views import ClockedCore, LogicView
from axc.runtime.cost import estimate_cost, register_area
from axc.runtime.cyclesim import Stimulus
from axc.runtime.cyclestim import data_ports
from axc.runtime.metrics import metric_name

from ..circuit.lower_word import LowerWordPass
from ..infra.base import PassContext, PassResult
from .cones import cone_of, gate_count, multiplier_nets, splice
from .measure import ClockedError, ClockedReference

__all__ = ["approximate_clocked", "lowered"]

_FRESH_STREAM = 0xC10C  # mixed into the seed: fresh stimulus the search never saw
_RETRY_MARGIN = 0.8
_MIN_SCALE = 0.01
_GOOD_ENOUGH = 0.7  # a solo error this close to the threshold ends a cone's budget search
_TRIES = 6
_CONE_BOUND_VECTORS = 100_000


@dataclass
class _Cone:
    port: str
    width: int
    exact: Module
    approx: Module | None = None
    note: str = ""
    local_err: float = 0.0
    area_before: float = 0.0
    area_after: float = 0.0
    solo: ClockedError | None = None
    chosen: bool = False

    @property
    def saved(self) -> float:
        return self.area_before - self.area_after

    def row(self) -> dict[str, Any]:
        return {"port": self.port, "bits": self.width, "gates": gate_count(self.exact), "note": self.note,
                "cone_err_budget": self.local_err, "area_before": round(self.area_before, 3),
                "area_after": round(self.area_after, 3), "saved": round(self.saved, 3),
                "solo_error_at_outputs": None if self.solo is None else self.solo.estimate,
                "in_written_design": self.chosen}


def lowered(cut: ClockedCore, core: Module | None = None) -> ClockedCore:
    """`cut` with its core (or `core`) lowered to gates, for the cycle simulator."""
    work = (core or cut.core).clone()
    LowerWordPass().apply(PassContext(quiet=True), work)
    return dataclasses.replace(cut, core=work)


def _area(module: Module, library: dict[str, str | None]) -> float:
    work = module.clone()
    LowerWordPass().apply(PassContext(quiet=True), work)
    if not any(op.name.startswith("logic.") for op in work.top_graph.ops):
        return 0.0
    return estimate_cost(LogicView.from_graph(work.top_graph), power=False, **library).area_um2


def approximate_clocked(pass_: Any, ctx: PassContext, module: Module, threshold: float) -> PassResult:
    """Run `pass_` (a circuit pass with `err`, `metric`, `cycles`, `traces`) on the cones of
    clocked `module` (see the module docstring)."""
    pass_.check_cycles()
    cut = ClockedCore.cut(module)
    metric = metric_name(pass_.metric, any(w > 1 for _, w in cut.output_ports), pass_.name)
    seed = getattr(pass_, "seed", ctx.seed)
    library = pass_.cost_library() if hasattr(pass_, "cost_library") else {}
    exact = lowered(cut)
    search_stimulus, check_stimulus = _stimuli(pass_, exact, seed)
    reference = ClockedReference(exact, search_stimulus, None if pass_.stimulus else seed)
    ctx.log(f"{pass_.name}: clocked design, {len(cut.registers)} registers ({cut.n_state_bits} bits) on clock "
            f"'{cut.clock}'; {metric} ≤ {threshold:g} at the outputs over {search_stimulus.describe()}")
    stops = multiplier_nets(cut.core)
    cones = _cones(cut, stops)
    sub = PassContext(seed=ctx.seed, jobs=ctx.jobs, quiet=True, options=ctx.options, reader=ctx.reader)
    share = threshold / math.sqrt(max(1, len(cones)))
    for cone in ctx.progress(cones, f"{pass_.name}: cones", total=len(cones)):
        _search_budget(pass_, sub, cone, cut, stops, reference, metric, share, library)
    def shrink(cone: _Cone, budget: float) -> bool:
        kept = cone.area_before
        _approximate(pass_, sub, cone, budget, library)
        cone.area_before = cone.area_before or kept
        return cone.approx is not None

    chosen = _combine(cut, stops, cones, reference, metric, threshold, shrink)
    fresh = ClockedReference(exact, check_stimulus, None if pass_.stimulus else seed ^ _FRESH_STREAM)
    final, refused = _certify(cut, stops, chosen, fresh, metric, threshold)
    for cone in cones:
        cone.chosen = cone in final
    core = splice(cut.core, {c.port: c.approx for c in final}, stops)
    result = cut.rebuild(core)
    before = _clocked_area(cut, cut.core, library)
    after = _clocked_area(cut, core, library)
    measured = fresh.measure(lowered(cut, core), metric, threshold)
    module.graphs = {}
    for graph in result.graphs.values():
        module.add_graph(graph)
    module.top = result.top
    ctx.report[pass_.name] = {
        "clocked": True, "clock": cut.clock, "registers": len(cut.registers), "register_bits": cut.n_state_bits,
        "metric": metric, "threshold": threshold, "area_before": before, "area_after": after,
        "error": measured.to_dict(), "cones": [c.row() for c in cones],
        "refused_on_fresh_stimulus": [e.to_dict() for e in refused],
        "search_stimulus": search_stimulus.describe(), "check_stimulus": check_stimulus.describe(),
        "check_on_fresh_stimulus": check_stimulus is not search_stimulus,
    }
    changed = [c.port for c in final]
    ctx.log(f"{pass_.name}: {len(changed)} of {len(cones)} cones changed ({', '.join(changed) or 'none'}); area "
            f"{before['total']:.1f} → {after['total']:.1f} µm² (registers {after['registers']:.1f})")
    ctx.log(f"{pass_.name}: written design: {measured.describe()}")
    return PassResult(modified=bool(final), stats={"cones": len(cones), "cones_changed": len(final),
                                                   "area_before": before["total"], "area_after": after["total"]},
                      errors={metric: measured.estimate})


def _stimuli(pass_: Any, exact: ClockedCore, seed: int) -> tuple[Stimulus, Stimulus]:
    """(search, check) stimulus: random with two seed streams, or the halves of a file's traces."""
    if not pass_.stimulus:
        return (Stimulus.random(exact, pass_.cycles, min(pass_.traces, 256), seed),
                Stimulus.random(exact, pass_.cycles, pass_.traces, seed ^ _FRESH_STREAM))
    path = Path(pass_.stimulus)
    if path.suffix.lower() == ".npz":
        given = Stimulus.from_npz(path, exact)
    elif path.suffix.lower() == ".vcd":
        given = Stimulus.from_vcd(path, exact)
    else:
        raise InputError(f"{pass_.name}: stimulus '{pass_.stimulus}' must be an .npz or a .vcd file")
    if given.n_traces < 2:
        return given, given
    half = (given.n_traces + 1) // 2
    ports = {name: given.port_values(name) for name, _ in data_ports(exact)}
    return (Stimulus.from_ports(exact, {n: v[:, :half] for n, v in ports.items()}, f"{path.name} (first half)"),
            Stimulus.from_ports(exact, {n: v[:, half:] for n, v in ports.items()}, f"{path.name} (second half)"))


def _cones(cut: ClockedCore, stops: dict) -> list[_Cone]:
    ports = [*stops.values()] + [n for n, _ in cut.output_ports] + [r.d_port for r in cut.registers]
    widths = ({net: v.type.width for v, net in stops.items()} | dict(cut.output_ports)
              | {r.d_port: r.width for r in cut.registers})
    cones = []
    for port in ports:
        cone = cone_of(cut.core, port, stops)
        if widths[port] > 1 and _logic_gates(cone) > 0:
            cones.append(_Cone(port, widths[port], cone))
    return cones


def _search_budget(pass_: Any, sub: PassContext, cone: _Cone, cut: ClockedCore, stops: dict,
                   reference: ClockedReference, metric: str, threshold: float, library: dict[str, str | None]
                   ) -> None:
    """Approximate `cone` with the largest own budget whose solo error at the outputs is within
    the threshold: start at the threshold, scale down by the measured excess, bisect (in log
    scale) between a budget that found nothing and one that was too large; `_TRIES` runs at most."""
    budget, low, high = threshold, 0.0, math.inf
    best: tuple[Module, str, float, float, ClockedError, float] | None = None
    for _ in range(_TRIES):
        _approximate(pass_, sub, cone, budget, library)
        if cone.approx is None:
            low = budget
        else:
            solo = reference.measure(lowered(cut, splice(cut.core, {cone.port: cone.approx}, stops)), metric,
                                     threshold)
            if solo.estimate <= threshold:
                if best is None or cone.saved > best[3] - best[2]:
                    best = (cone.approx, cone.note, cone.area_after, cone.area_before, solo, budget)
                low = budget
                if solo.estimate >= threshold * _GOOD_ENOUGH:
                    break
            else:
                high = budget
                if best is None and not low:
                    budget *= max(_MIN_SCALE, threshold / solo.estimate * _RETRY_MARGIN)
                    continue
        if math.isinf(high):
            break
        budget = math.sqrt(max(low, high * _MIN_SCALE) * high)
    if best is None:
        cone.approx = None
        return
    cone.approx, cone.note, cone.area_after, cone.area_before, cone.solo, cone.local_err = best


def _cone_overrides(pass_: Any) -> dict[str, Any]:
    """A cone's own bound needs no 10^6 fresh vectors: the clocked measurement is the check."""
    if getattr(pass_, "bound_vectors", 0) > _CONE_BOUND_VECTORS:
        return {"bound_vectors": _CONE_BOUND_VECTORS}
    return {}


def _logic_gates(cone: Module) -> int:
    work = cone.clone()
    LowerWordPass().apply(PassContext(quiet=True), work)
    return sum(1 for op in work.top_graph.ops if op.name.startswith("logic.") and op.name != "logic.const")


def _approximate(pass_: Any, sub: PassContext, cone: _Cone, err: float, library: dict[str, str | None]) -> None:
    work = cone.exact.clone()
    local = dataclasses.replace(pass_, err=err, **_cone_overrides(pass_))
    cone.local_err = err
    try:
        outcome = local.apply(sub, work)
    except AxcError as exc:
        cone.approx, cone.note = None, f"left exact: {exc}"
        return
    if not outcome.modified:
        cone.approx, cone.note = None, "left exact: the pass found nothing within the budget"
        return
    cone.area_before = _area(cone.exact, library)
    cone.area_after = _area(work, library)
    if cone.area_after >= cone.area_before:
        cone.approx, cone.note = None, "left exact: no smaller"
        return
    cone.approx, cone.note = work, f"{pass_.name}{{err={err:.4g}}}"


def _combine(cut: ClockedCore, stops: dict, cones: list[_Cone], reference: ClockedReference, metric: str,
             threshold: float, shrink: Any) -> list[_Cone]:
    """Cones in the order they were added, the combination within the threshold on the search
    stimulus. A cone that does not fit in the error left is approximated once more, its own
    budget scaled to that headroom (`shrink(cone, budget)`), and added if it then fits."""
    usable = [c for c in cones if c.approx is not None and c.solo is not None and c.solo.estimate <= threshold]
    usable.sort(key=lambda c: -c.saved / max(c.solo.estimate, threshold * 1e-6))
    chosen: list[_Cone] = []
    current = 0.0

    def measured(trial: list[_Cone]) -> float:
        design = splice(cut.core, {c.port: c.approx for c in trial}, stops)
        return reference.measure(lowered(cut, design), metric, threshold).estimate

    for cone in usable:
        error = measured([*chosen, cone])
        if error > threshold and current < threshold * _GOOD_ENOUGH:
            headroom = (threshold - current) / max(error - current, 1e-300)
            kept = (cone.approx, cone.note, cone.area_after, cone.local_err)
            if shrink(cone, cone.local_err * headroom * _RETRY_MARGIN):
                error = measured([*chosen, cone])
            if error > threshold:
                cone.approx, cone.note, cone.area_after, cone.local_err = kept
        if error <= threshold:
            chosen, current = [*chosen, cone], error
    return chosen


def _certify(cut: ClockedCore, stops: dict, chosen: list[_Cone], fresh: ClockedReference, metric: str, threshold: float
             ) -> tuple[list[_Cone], list[ClockedError]]:
    refused = []
    while chosen:
        error = fresh.measure(lowered(cut, splice(cut.core, {c.port: c.approx for c in chosen}, stops)), metric,
                              threshold)
        if error.holds:
            break
        refused.append(error)
        chosen = chosen[:-1]
    return chosen, refused


def _clocked_area(cut: ClockedCore, core: Module, library: dict[str, str | None]) -> dict[str, float]:
    logic = _area(core, library)
    registers = sum(register_area(slot) for slot in cut.registers)
    return {"logic": round(logic, 3), "registers": round(registers, 3), "total": round(logic + registers, 3)}


