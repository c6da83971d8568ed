"""`bmf`: approximate logic synthesis by Boolean matrix factorization (BLASYS, improved).

The circuit is partitioned into convex subcircuits of at most `k` inputs and `m` outputs
(KaHyPar recursive bisection; a small circuit is one part), the truth table of each part is
factorized at every degree (ASSO with a τ sweep, output weights, exhaustive OR/XOR decompressor
columns, alternating refinement), and a greedy multi-track exploration lowers degrees while the
whole circuit's error, measured by bit-parallel simulation, stays within `err`. Circuits of more
than 3000 gates are explored in batches of moves instead (`axc.passes.bmf.batched`): one move
per iteration cannot reach the threshold on thousands of parts in reasonable time. The smallest
explored design within the threshold replaces the top graph; approximated parts are recorded as
`approx.bmf` ops (inlined into plain logic unless `keep_records`). The error of the result is
measured again by simulating the rewritten graph (`axc.runtime.logicsim` + `metrics`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from axc.ir import InputError, Module
from axc.ir.views import LogicView, is_clocked
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.metrics import NUMERIC_METRICS, compare_rows

from ..circuit.als_report import (
    circuit_cost,
    log_summary,
    measure_against,
    spread,
    write_csv,
    write_plot,
)
from ..circuit.error_bound import Candidate, Certified, LogicReference, certify, log_bound
from ..circuit.logic_checks import (
    ErrorBudgetOptions,
    default_metric,
    prepare_logic,
)
from ..circuit.resynth import exact_rewrite, resynthesized
from ..clocked.driver import approximate_clocked
from ..infra.base import PassContext, PassResult
from ..infra.budget import RunBudget, SearchLimit
from ..prune.refine import Refinement, memo_cost, refine, refined_choices
from ..prune.search import Step
from .batched import iterate_batched
from .designs import Designs, FinishEstimate, Run, flat_copy, is_exact, rewrite
from .explore import Explorer, Point, make_executor
from .partition import partition_logic
from .rebuild import inline_bmf

__all__ = ["BmfPass"]

FINER: tuple[tuple[int, int], ...] = ((6, 4), (4, 3))
_HALFWAY = 0.5
"""The second refinement round starts from the smallest design within this share of `err`."""
LARGE_CIRCUIT_GATES = 3000
"""Above this many gates a circuit is explored in batches and only with the (k, m) partition."""

@dataclass(frozen=True)
class BmfPass(ErrorBudgetOptions):
    """Approximate a combinational circuit by Boolean matrix factorization of its subcircuits
    (BLASYS): the smallest explored design whose measured error stays within `err`."""

    name: ClassVar[str] = "bmf"

    seed: int = 0
    """Seed of the random vectors and of the partitioner."""
    k: int = 10
    """Most inputs of a subcircuit (its truth table has 2^k rows)."""
    m: int = 10
    """Most outputs of a subcircuit."""
    step: int = 1
    """How much one move lowers a subcircuit's factorization degree."""
    tracks: int = 3
    """Designs kept per iteration (multi-path exploration)."""
    algebra: Literal["or", "xor", "mixed"] = "mixed"
    """Decompressor algebra: OR, XOR, or the better of both per output column."""
    time_budget: float = 0.0
    """Seconds for the whole pass (0 = no limit): partition, exploration, refinement, final
    mapping and the error bound; the search stops early enough for the rest, and the best
    design found so far is kept. Wall time varies from run to run: use `max_iterations` for a
    reproducible limit."""
    max_iterations: int = 0
    """Stop each exploration after this many iterations (batches on large circuits) and each
    refinement after this many moves (0 = no limit): the same count gives the same design."""
    sample: int = 0
    """Try only this many random subcircuits per track and iteration (0 = all; BLASYS'
    fast_random, for circuits with thousands of parts)."""
    jobs: int = 1
    """Processes synthesizing subcircuit realisations."""
    scheduler: str | None = None
    """A Dask scheduler address (tcp://host:port) to synthesize on instead of local processes."""
    pareto: str | None = None
    """Write the explored Pareto front (error, area) to this CSV file."""
    plot: str | None = None
    """Plot the Pareto front to this image file (PNG)."""
    finer: bool = True
    """On circuits of at most 3000 gates, also explore finer partitions (k, m) = (6, 4) and
    (4, 3) and keep the smallest design (small parts suit arithmetic circuits)."""
    keep_records: bool = False
    """Keep the `approx.bmf` records (with body graphs) instead of inlining them."""
    thresholds: tuple[float, ...] = ()
    """Also report, mapped and re-measured, the smallest explored design within each of these
    (lower) thresholds: one exploration serves several budgets, as in BLASYS."""
    map_front: int = 0
    """Map this many Pareto-front points (evenly spread) through the cost model for the report."""
    batched: bool | None = None
    """Apply many moves per iteration (`axc.passes.bmf.batched`) instead of one per track;
    default: batched on circuits of more than 3000 gates, where one move per iteration cannot
    reach the threshold in reasonable time. `tracks` and `sample` apply to the per-move loop."""
    refine: bool | None = None
    """Continue from the original circuit and from each chosen design with the gate-level search
    of `prune` (signals replaced by constants or similar signals) and keep a refined design when
    it maps smaller; default: on for circuits of at most 3000 gates unless `keep_records` (a
    refined design is plain logic, without `approx.bmf` records)."""
    final_candidates: int = 3
    """Map this many of the smallest explored designs within the threshold (by the proxy area
    that ranks candidates) with the cost model and keep the smallest mapped one."""

    def _check(self) -> float:
        err = self.check_budget(self.name)
        for field_name, low, high in (("k", 1, 16), ("m", 1, 20), ("step", 1, 64), ("tracks", 1, 64)):
            value = getattr(self, field_name)
            if not low <= value <= high:
                raise InputError(f"bmf: {field_name} must be in {low}..{high}, got {value}")
        if self.time_budget < 0 or self.max_iterations < 0:
            raise InputError("bmf: time_budget and max_iterations must not be negative")
        return err

    def _settings(self, view: LogicView) -> list[tuple[int, int]]:
        settings = [(self.k, self.m)]
        if self.finer and view.n_gates <= LARGE_CIRCUIT_GATES:
            settings += [km for km in FINER if km[0] < self.k or km[1] < self.m]
        return list(dict.fromkeys(settings))

    def _batched(self, view: LogicView) -> bool:
        return view.n_gates > LARGE_CIRCUIT_GATES if self.batched is None else self.batched

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
        original = module.clone()
        vectors = VectorSet.auto(view, self.vectors, self.seed)
        budget = RunBudget(self.time_budget)
        reference = LogicReference(original, view, self.seed, self.bound_vectors)
        cost_opts = self.ranking_library(view.n_gates)
        finish = FinishEstimate(self, original, reference, cost_opts, view.n_gates <= LARGE_CIRCUIT_GATES)
        settings = self._settings(view)
        refines = self._refines(view)
        # under a time budget, a large circuit is partitioned with KaHyPar's fast settings and its
        # parts keep their own gates as exact realisations: both save seconds of fixed cost
        hurried = bool(self.time_budget) and view.n_gates > LARGE_CIRCUIT_GATES
        explore_until = 0.0
        runs: list[Run] = []
        executor = make_executor(self.jobs, self.scheduler)
        try:
            for index, (k, m) in enumerate(settings):
                partition = partition_logic(view, k, m, self.seed, fast=hurried)
                ctx.log(f"bmf: {view.n_gates} gates in {len(partition)} parts (k ≤ {k}, m ≤ {m}); "
                        f"metric {metric} ≤ {threshold:g} on {vectors.describe()}")
                explorer = Explorer(view, partition, vectors.words, vectors.n_vectors, metric,
                                    metric in NUMERIC_METRICS, self.algebra, executor,
                                    keep_layers=max(3, self.final_candidates), synthesize_exact=not hurried)
                if not explore_until:  # the exploration's share of what partitioning left
                    explore_until = time.monotonic() + budget.phase(0.6 if refines else 1.0, finish.reserve())
                seconds = (max(1e-3, (explore_until - time.monotonic()) / (len(settings) - index))
                           if self.time_budget else 0.0)
                limit = SearchLimit(seconds, self.max_iterations)
                if self._batched(view):
                    steps = iterate_batched(explorer, threshold, self.step, limit, self.thresholds)
                else:
                    steps = explorer.iterate(threshold, self.step, self.tracks, limit, self.sample, self.seed)
                for _line in ctx.progress(steps, f"bmf exploration (k={k}, m={m})"):
                    pass
                runs.append(Run(k, m, partition, explorer, list(explorer.points.values())))
        finally:
            executor.close()
        if all(run.explorer.area0 <= 0 for run in runs):
            ctx.log(f"{self.name}: the circuit has only wires and inverters, nothing to approximate")
            return PassResult(modified=False)
        reserve = finish.reserve()
        final_candidates = finish.candidates(budget.remaining())
        designs = Designs(original, view, vectors, metric, cost_opts)
        # with time for one mapping only, the smallest design by proxy area is certified first
        # and mapped after, and the original stays when it maps smaller
        map_first = not (self.time_budget and final_candidates == 1 and not refines and not self.thresholds)
        chosen = self._choose_all(designs, runs, threshold, final_candidates, map_first)
        refinements, refined = self._refine_all(ctx, designs, runs, chosen, threshold,
                                                budget.phase(1.0, reserve) if refines else 0.0, final_candidates)
        certified = self._certify(designs, runs, refinements, chosen, refined, threshold, reference)
        picked = certified.candidate.key
        if not map_first and not is_exact(*picked) and \
                designs.cost(*picked)["area"] >= finish.original_cost()["area"]:
            certified = self._certify(designs, runs, [], chosen, {}, threshold, reference, unchanged=True)
            picked = certified.candidate.key
        if isinstance(picked[0], Refinement):
            ref, step = picked
            run, best = chosen[threshold][0]
            module.remove_graph(module.top)
            module.add_graph(certified.module.top_graph, top=True)
            report = measure_against(view, certified.module, vectors)
            expected = step.error
        else:
            run, best = picked
            if is_exact(run, best):  # nothing smaller within the threshold: the circuit stays as it is
                exact_out = Simulator(view).run(vectors, keep_signals=False).packed
                report = compare_rows(exact_out, exact_out, vectors, list(view.output_ports))
            elif self.keep_records:
                report = rewrite(module, view, run, best, vectors, metric)
            else:  # the certified module is this design, built and measured once
                module.remove_graph(module.top)
                module.add_graph(certified.module.top_graph, top=True)
                report = designs.build(run, best)[1]
            expected = best.error
        measured = report.value(metric)
        if abs(measured - expected) > 1e-9 or measured > threshold:
            raise AssertionError(f"bmf: re-measured {metric} {measured} differs from the explored {expected}")
        resynthesized = False
        if not self.keep_records:
            inline_bmf(module)
            if view.n_gates <= LARGE_CIRCUIT_GATES and budget.remaining() > self.resynth_effort + 1.0:
                resynthesized = exact_rewrite(ctx, self, reference, certified, metric)
            if resynthesized:
                module.remove_graph(module.top)
                module.add_graph(certified.module.top_graph, top=True)
        before = finish.original_cost() or circuit_cost(original, cost_opts)
        if self.keep_records:
            after = circuit_cost(flat_copy(module), cost_opts)
        elif not resynthesized and not isinstance(picked[0], Refinement):
            after = designs.cost(*picked)
        else:
            after = circuit_cost(module, cost_opts)
        union = _union_front(runs, refinements)
        front = [_front_row(ratio, item) for ratio, item in union]
        summary = self._summary(view, run, runs, metric, threshold, vectors, before, after, report, best,
                                front, time.perf_counter() - started)
        summary["explored"] += sum(len(r.search.steps) - 1 for r in refinements)
        summary["stopped_by"] = summary["stopped_by"] or next(
            (r.search.stopped_by for r in refinements if r.search.stopped_by), None)
        summary["refined"] = ({"from": picked[0].label, "moves": picked[1].moves}
                              if isinstance(picked[0], Refinement) else None)
        summary["bound"] = certified.report()
        summary["resynthesized"] = resynthesized
        ctx.report[self.name] = summary
        extra = {str(t): (refined[t][2] if t in refined else None if chosen[t] is None else chosen[t][1])
                 for t in sorted(set(self.thresholds))}
        if extra:
            summary["thresholds"] = extra
        for i in spread(len(union), self.map_front):
            item = union[i][1]
            if isinstance(item[0], Refinement):
                mapped = circuit_cost(item[0].design(item[1]), cost_opts)
            else:
                mapped = self._mapped(designs, item[0], item[1])
            front[i].update(mapped_area=mapped["area"], mapped_delay=mapped["delay"], mapped_power=mapped["power"])
        if self.pareto:
            write_csv(self.pareto, front)
        if self.plot:
            write_plot(self.plot, front, metric, threshold, f"bmf on @{module.top}")
        log_summary(ctx, self.name, summary, f"{summary['parts']} parts, {summary['explored']} designs explored")
        log_bound(ctx, self.name, certified)
        approximated = sum(1 for i, p in enumerate(run.partition.parts) if best.degrees[i] < p.m)
        return PassResult(modified=approximated > 0 or summary["refined"] is not None,
                          stats={"parts": len(run.partition), "approximated_parts": approximated,
                                 "explored": summary["explored"], "area_ratio": summary["area_ratio"]},
                          errors={metric: measured})

    def _refines(self, view: LogicView) -> bool:
        default = view.n_gates <= LARGE_CIRCUIT_GATES and not self.keep_records
        return default if self.refine is None else self.refine

    def _certify(self, designs: Designs, runs: list[Run], refinements: list[Refinement],
                 chosen: dict, refined: dict, threshold: float, reference: LogicReference,
                 unchanged: bool = False) -> Certified:
        """The chosen design, or the first fallback, whose error bound holds (`error_bound`);
        the original circuit when `unchanged`."""
        metric = designs.metric

        def explored(run: Run, point: Point) -> Candidate:
            return Candidate((run, point), point.error, point.area / run.explorer.area0,
                             lambda: designs.build(run, point)[0], unchanged=is_exact(run, point))

        def refined_step(ref: Refinement, step: Step) -> Candidate:
            area0 = ref.search.steps[0].area or 1.0
            return Candidate((ref, step), step.error, step.area / area0, lambda: ref.design(step))

        first = (explored(runs[0], runs[0].explorer.exact_point) if unchanged
                 else refined_step(*refined[threshold][:2]) if threshold in refined
                 else explored(*chosen[threshold][0]))
        others = [explored(r, p) for r in runs for p in r.points if p.error <= threshold]
        others += [refined_step(ref, s) for ref in refinements for s in ref.search.steps
                   if s.error <= threshold]
        others.append(explored(runs[0], runs[0].explorer.exact_point))
        return certify(first, others, lambda design: reference.bound(design, metric, threshold), metric, threshold)

    def _refine_all(self, ctx: PassContext, designs: Designs, runs: list[Run], chosen: dict,
                    threshold: float, seconds: float, final_candidates: int
                    ) -> tuple[list[Refinement], dict[float, tuple[Refinement, Step, dict]]]:
        """Gate-level refinement of the original circuit and of the design chosen per threshold,
        within `seconds` (0 = no limit); per threshold, the refined design when its mapped area
        is smaller than the chosen one's."""
        view, vectors, metric, cost_opts = designs.view, designs.vectors, designs.metric, designs.cost_opts
        if not self._refines(view):
            return [], {}
        starts = [("the original circuit", designs.original)]
        for t, choice in sorted(chosen.items()):
            if choice is not None and not is_exact(*choice[0]):
                starts.append((f"bmf's design within {t:g}", designs.build(*choice[0])[0]))
        rounds = 2 if self.resynth_effort >= 0 else 1
        share = seconds / rounds if seconds else 0.0
        refinements = refine(ctx.progress, starts, view, vectors, metric, threshold,
                             share / len(starts), self.max_iterations, seed=self.seed)
        to_beat = {t: None if c is None else c[1]["area"] for t, c in chosen.items()}
        cost = memo_cost(lambda m: circuit_cost(m, cost_opts))
        better = refined_choices(refinements, to_beat, final_candidates, cost)
        if rounds == 1:
            return refinements, better
        # the second round starts from designs resynthesized exactly by ABC and searches on to
        # the threshold from their new structure: the best so far, and one at half the budget
        seeds = []
        for label, share_of_err in (("the best design", 1.0), ("a design at half the budget", _HALFWAY)):
            limit_err = threshold * share_of_err
            picks = [(r, st) for r in refinements for st in r.search.smallest_within(limit_err, 1)
                     if st.error <= limit_err and st.moves > 0]
            if picks:
                ref, step = min(picks, key=lambda c: (cost(*c)["area"], c[1].error))
                fresh = resynthesized(ctx, ref.design(step), self.resynth_effort, self.seed, self.cost_library())
                if fresh is not None:
                    seeds.append((f"{label}, resynthesized", fresh))
        if seeds:
            refinements += refine(ctx.progress, seeds, view, vectors, metric, threshold, share / len(seeds),
                                  self.max_iterations, seed=self.seed)
            better = refined_choices(refinements, to_beat, final_candidates, cost)
        return refinements, better

    def _choose_all(self, designs: Designs, runs: list[Run], threshold: float, final_candidates: int,
                    map_candidates: bool = True) -> dict[float, tuple | None]:
        """Per threshold (ascending), the smallest mapped design among the few smallest by proxy
        area (per partition) within it and the designs chosen for the lower thresholds; without
        `map_candidates`, the smallest by proxy area (its cost None)."""
        mapped: dict[tuple, dict] = {}
        result: dict[float, tuple | None] = {}
        earlier: list[tuple[Run, Point]] = []
        ranked = [(r, sorted(r.points, key=lambda p: (p.area, p.error))) for r in runs]
        for t in sorted(set(self.thresholds) | {threshold}):
            picks = [(r, p) for r, by_area in ranked
                     for p in [q for q in by_area if q.error <= t][:max(1, final_candidates)]]
            picks += [c for c in earlier if c not in picks]
            exact = (runs[0], runs[0].explorer.exact_point)  # the original circuit
            if exact not in picks:
                picks.append(exact)
            if not map_candidates:
                approximate = [c for c in picks if c != exact] or [exact]
                result[t] = (min(approximate, key=lambda c: (c[1].area, c[1].error)), None)
                continue
            for r, p in picks:
                if (id(r), p.degrees) not in mapped:
                    mapped[(id(r), p.degrees)] = self._mapped(designs, r, p)
            best = min(picks, key=lambda c: (mapped[(id(c[0]), c[1].degrees)]["area"], c[1].error))
            earlier.append(best)
            result[t] = (best, mapped[(id(best[0]), best[1].degrees)])
        return result

    def _mapped(self, designs: Designs, run: Run, point: Point) -> dict[str, Any]:
        """Mapped cost and re-measured errors of one explored design."""
        if is_exact(run, point):
            return {**designs.cost(run, point), "error": 0.0, "errors": {}, "degrees": list(point.degrees)}
        report = designs.build(run, point)[1]
        return {**designs.cost(run, point), "error": report.value(designs.metric),
                "errors": report.to_dict()["overall"], "degrees": list(point.degrees)}

    def _summary(self, view: LogicView, run: Run, runs: list[Run], metric: str, threshold: float,
                 vectors: VectorSet, before: dict, after: dict, report, best: Point, front: list[dict],
                 seconds: float) -> dict[str, Any]:
        return {
            "metric": metric, "threshold": threshold, "vectors": vectors.describe(),
            "k": run.k, "m": run.m, "step": self.step, "tracks": self.tracks, "algebra": self.algebra,
            "exploration": "batched" if self._batched(view) else "greedy",
            "gates": view.n_gates, "parts": len(run.partition),
            "original": before, "final": after,
            "area_ratio": after["area"] / before["area"] if before["area"] else 1.0,
            "errors": report.to_dict(), "error": report.value(metric),
            "degrees": list(best.degrees), "part_outputs": [p.m for p in run.partition.parts],
            "explored": sum(r.explorer.points.count for r in runs), "front": front,
            "partitions": [{"k": r.k, "m": r.m, "parts": len(r.partition), "explored": r.explorer.points.count,
                            "stopped_by_time_budget": r.explorer.stopped_by_budget,
                            "stopped_by": r.explorer.stopped_by} for r in runs],
            "stopped_by_time_budget": any(r.explorer.stopped_by_budget for r in runs),
            "stopped_by": next((r.explorer.stopped_by for r in runs if r.explorer.stopped_by), None),
            "proxy_area_ratio": float(best.area) / run.explorer.area0, "runtime_s": round(seconds, 3),
        }


def _union_front(runs: list[Run], refinements: list[Refinement]) -> list[tuple[float, tuple]]:
    """Pareto front (error, proxy area relative to the original's proxy area) over every run and
    every refinement step: (ratio, (run, point)) or (ratio, (refinement, step))."""
    items = [(p.error, p.area / r.explorer.area0, (r, p)) for r in runs for p in r.points]
    if refinements:
        area0 = refinements[0].search.steps[0].area or 1.0
        items += [(s.error, s.area / area0, (r, s)) for r in refinements for s in r.search.steps]
    front: list[tuple[float, tuple]] = []
    for _, ratio, item in sorted(items, key=lambda x: (x[0], x[1])):
        if not front or ratio < front[-1][0]:
            front.append((ratio, item))
    return front


def _front_row(ratio: float, item: tuple) -> dict[str, Any]:
    if isinstance(item[0], Refinement):
        return {"error": item[1].error, "area_ratio": round(ratio, 6), "origin": f"refined from {item[0].label}",
                "moves": item[1].moves}
    run, point = item
    return {"error": point.error, "area_ratio": round(ratio, 6), "origin": f"bmf {run.k}x{run.m}",
            "degrees": " ".join(map(str, point.degrees))}
