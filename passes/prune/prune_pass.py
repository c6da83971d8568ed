"""`prune`: gate-level approximate logic synthesis by signal substitution and resubstitution.

A greedy search (`axc.passes.prune.search`) makes, one move at a time, the readers of a gate
(or one output bit) read constant 0, constant 1 or an earlier signal that mostly agrees with it,
or rewrites a gate as a one- or two-input function of such signals (approximate
resubstitution, as in ResubALS: its fan-in cone is freed), choosing the move that adds the least error per area freed, with the whole circuit's error
measured by bit-parallel simulation (sampled to rank, all vectors to accept) and constants
propagated after every move. It stops when no move stays within `err`. The few smallest
designs on that trajectory (proxy area) are mapped by the cost model and the smallest mapped
one replaces the top graph; its error is measured again on the rewritten graph. The same
search refines the designs of `bmf` (`bmf{refine=true}`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from axc.ir import InputError, Module
from axc.ir.views import is_clocked
from axc.runtime.logicsim import VectorSet

from ..circuit.als_report import (
    circuit_cost,
    log_summary,
    measure_against,
    pareto_front,
    spread,
    write_csv,
    write_plot,
)
from ..circuit.error_bound import Candidate, LogicReference, certify, log_bound
from ..circuit.logic_checks import (
    ErrorBudgetOptions,
    check_threshold,
    default_metric,
    prepare_logic,
)
from ..circuit.resynth import exact_rewrite
from ..clocked.driver import approximate_clocked
from ..infra.base import PassContext, PassResult
from ..infra.budget import RunBudget, SearchLimit
from .search import GateSearch, Step

__all__ = ["PrunePass"]


@dataclass(frozen=True)
class PrunePass(ErrorBudgetOptions):
    """Approximate a combinational circuit at gate level: substitute signals by constants or by
    similar signals while the measured error stays within `err`."""

    name: ClassVar[str] = "prune"

    seed: int = 0
    """Seed of the random vectors and of the ranking sample."""
    candidates: int = 4
    """Similar signals tried as replacements of each signal (besides the two constants)."""
    sample: int = 8192
    """Vectors that rank the moves (all vectors when there are fewer)."""
    verify: int = 8
    """Best-ranked moves measured on all vectors before one is applied."""
    resub: bool = True
    """Also try approximate resubstitution: a gate becomes a one- or two-input function (AND,
    OR, XOR and their complements, NOT) of signals similar to it, freeing its fan-in cone."""
    time_budget: float = 0.0
    """Seconds for the whole pass (0 = no limit): the search stops early enough to map the
    candidates and bound the error, keeping the best design so far. Wall time varies from run
    to run: use `max_moves` for a reproducible limit."""
    max_moves: int = 0
    """Stop the search after this many moves (0 = no limit): the same count gives the same design."""
    final_candidates: int = 3
    """Map this many of the smallest designs within the threshold; keep the smallest mapped."""
    thresholds: tuple[float, ...] = ()
    """Also report, mapped and re-measured, the smallest design within each of these thresholds."""
    map_front: int = 0
    """Map this many Pareto-front points (evenly spread) through the cost model for the report."""
    pareto: str | None = None
    """Write the explored Pareto front (error, area) to this CSV file."""
    plot: str | None = None
    """Plot the Pareto front to this image file (PNG)."""

    def _check(self) -> float:
        err = self.check_budget(self.name)
        for field_name, low in (("candidates", 0), ("sample", 64), ("verify", 1)):
            if getattr(self, field_name) < low:
                raise InputError(f"prune: {field_name} must be at least {low}, got {getattr(self, field_name)}")
        if self.time_budget < 0 or self.max_moves < 0:
            raise InputError("prune: time_budget and max_moves must not be negative")
        for t in self.thresholds:
            check_threshold(t, self.name)
        return err

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        threshold = self._check()
        if is_clocked(module):
            return approximate_clocked(self, ctx, module, threshold)
        started = time.perf_counter()
        view = prepare_logic(ctx, module, self.name)
        if view.n_gates == 0:
            ctx.log(f"{self.name}: the circuit has no gates, nothing to approximate")
            return PassResult(modified=False)
        metric = default_metric(self.metric, view, self.name)
        vectors = VectorSet.auto(view, self.vectors, self.seed)
        original = module.clone()
        ctx.log(f"prune: {view.n_gates} gates; metric {metric} ≤ {threshold:g} on {vectors.describe()}")
        search = GateSearch(view, vectors, metric, self.sample, self.seed, self.candidates, self.verify,
                            resub=self.resub)
        budget = RunBudget(self.time_budget)
        reference = LogicReference(original, view, self.seed, self.bound_vectors)
        cost_opts = self.ranking_library(view.n_gates)
        reserve = 0.0
        if self.time_budget:  # keep time for mapping the candidates and bounding the error
            mark = time.monotonic()
            circuit_cost(original, cost_opts)
            mapping = time.monotonic() - mark
            reserve = mapping * (self.final_candidates + 2)
            reserve += 0.0 if self.resynth_effort < 0 else self.resynth_effort + 2 * mapping
            reference.slices()
            reserve += 2 * reference.seconds
        limit = SearchLimit(budget.phase(1.0, reserve), self.max_moves, "max_moves")
        for _line in ctx.progress(search.iterate(threshold, limit), "prune search"):
            pass
        mapped: dict[int, dict[str, Any]] = {}

        def cost_of(step: Step) -> dict[str, Any]:
            if step.moves not in mapped:
                mapped[step.moves] = circuit_cost(search.design(original, step), cost_opts)
            return mapped[step.moves]

        chosen: dict[float, Step] = {}
        for t in sorted(set(self.thresholds) | {threshold}):
            picks = search.smallest_within(t, self.final_candidates) + list(chosen.values()) + [search.steps[0]]
            chosen[t] = min(picks, key=lambda s: (cost_of(s)["area"], s.error))
        area0 = search.steps[0].area or 1.0

        def candidate(step: Step) -> Candidate:
            return Candidate(step, step.error, step.area / area0, lambda: search.design(original, step),
                             unchanged=step.moves == 0)

        certified = certify(candidate(chosen[threshold]), [candidate(s) for s in search.steps if s.error <= threshold],
                            lambda design: reference.bound(design, metric, threshold), metric, threshold)
        best = certified.candidate.key
        resynthesized = (budget.remaining() > self.resynth_effort + 1.0
                         and exact_rewrite(ctx, self, reference, certified, metric))
        result = certified.module
        report = measure_against(view, result, vectors)
        measured = report.value(metric)
        if abs(measured - best.error) > 1e-9 or measured > threshold:
            raise AssertionError(f"prune: re-measured {metric} {measured} differs from the searched {best.error}")
        module.remove_graph(module.top)
        module.add_graph(result.top_graph, top=True)
        before = circuit_cost(original, cost_opts)
        after = circuit_cost(result, cost_opts) if resynthesized else cost_of(best)
        front = self._front(search, cost_of)
        summary = {
            "metric": metric, "threshold": threshold, "vectors": vectors.describe(), "gates": view.n_gates,
            "original": before, "final": after,
            "area_ratio": after["area"] / before["area"] if before["area"] else 1.0,
            "errors": report.to_dict(), "error": measured, "moves": best.moves, "explored": len(search.steps),
            "front": front, "stopped_by_time_budget": search.stopped_by_budget, "stopped_by": search.stopped_by,
            "proxy_area_ratio": best.area / search.steps[0].area if search.steps[0].area else 1.0,
            "runtime_s": round(time.perf_counter() - started, 3), "bound": certified.report(),
            "resynthesized": resynthesized,
        }
        lower = {str(t): {**cost_of(s), "error": measure_against(view, search.design(original, s), vectors).value(metric)}
                 for t, s in chosen.items() if t != threshold}  # re-measured on the rewritten graph
        if lower:
            summary["thresholds"] = lower
        ctx.report[self.name] = summary
        if self.pareto:
            write_csv(self.pareto, front)
        if self.plot:
            write_plot(self.plot, front, metric, threshold, f"prune on @{module.top}")
        log_summary(ctx, self.name, summary, f"{best.moves} moves of {len(search.steps) - 1} searched")
        log_bound(ctx, self.name, certified)
        return PassResult(modified=best.moves > 0,
                          stats={"moves": best.moves, "area_ratio": summary["area_ratio"]},
                          errors={metric: measured})

    def _front(self, search: GateSearch, cost_of) -> list[dict[str, Any]]:
        area0 = search.steps[0].area or 1.0
        front: list[Step] = pareto_front(search.steps)
        rows = [{"error": s.error, "area_ratio": round(s.area / area0, 6), "moves": s.moves} for s in front]
        for i in spread(len(front), self.map_front):
            cost = cost_of(front[i])
            rows[i].update(mapped_area=cost["area"], mapped_delay=cost["delay"], mapped_power=cost["power"])
        return rows
