"""`bmf`: approximate logic synthesis by Boolean matrix factorization (BLASYS, improved).

The circuit is partitioned into convex subcircuits of at most `k` inputs and `m` outputs
(KaHyPar recursive bisection; a small circuit is one part), the truth table of each part is
factorized at every degree (ASSO with a τ sweep, output weights, exhaustive OR/XOR decompressor
columns, alternating refinement), and a greedy multi-track exploration lowers degrees while the
whole circuit's error, measured by bit-parallel simulation, stays within `err`. The smallest
explored design within the threshold replaces the top graph; approximated parts are recorded as
`approx.bmf` ops (inlined into plain logic unless `keep_records`). The error of the result is
measured again by simulating the rewritten graph (`axc.runtime.logicsim` + `metrics`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from axc.ir import InputError, Module, VerifyError
from axc.ir.dialects import hw, logic, word
from axc.ir.views import LogicView
from axc.runtime.bmf.explore import Explorer, Point, make_executor
from axc.runtime.bmf.partition import partition_logic
from axc.runtime.bmf.rebuild import inline_bmf, rebuild_graph
from axc.runtime.bmf.report import circuit_cost, pareto_front, write_csv, write_plot
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.metrics import compare_rows

from .base import ModulePass, PassContext, PassResult

__all__ = ["METRIC_NAMES", "NUMERIC_METRICS", "BmfPass", "check_threshold", "default_metric", "prepare_logic"]

METRIC_NAMES = ("hd", "er", "mae", "mre", "wce", "mse")
NUMERIC_METRICS = ("mae", "mre", "wce", "mse")


def check_threshold(err: float | None, pass_name: str) -> float:
    """The error threshold, or one clear `InputError` when missing or outside (0, 1]."""
    if err is None:
        raise InputError(f"{pass_name} needs an error threshold: give err (e.g. --err 0.01)")
    if not 0.0 < float(err) <= 1.0:
        raise InputError(f"{pass_name}: err must be in (0, 1] (a fraction, e.g. 0.05 for 5 %), got {err}")
    return float(err)


def default_metric(metric: str | None, view: LogicView, pass_name: str) -> str:
    """`metric`, checked; by default mae when some output port is multi-bit, else hd."""
    numeric = any(w > 1 for _, w in view.output_ports)
    if metric is None:
        return "mae" if numeric else "hd"
    metric = metric.lower()
    if metric not in METRIC_NAMES:
        raise InputError(f"{pass_name}: unknown metric '{metric}' (known: {', '.join(METRIC_NAMES)})")
    if metric in NUMERIC_METRICS and not numeric:
        raise InputError(f"{pass_name}: metric '{metric}' needs numeric (multi-bit) output ports, "
                         "but every output of this circuit is a single bit; use hd or er")
    return metric


def prepare_logic(ctx: PassContext, module: Module, pass_name: str) -> LogicView:
    """The top graph as a `LogicView`, lowering word-level ops first (clear errors otherwise)."""
    graph = module.top_graph
    if graph.kind != "hw":
        raise InputError(f"{pass_name} works on circuits; @{graph.name} is a '{graph.kind}' graph")
    allowed = (logic.LOGIC.name, word.WORD.name)
    for op in graph.ops:
        if isinstance(op, hw.InstanceOp):
            raise InputError(f"{pass_name}: the circuit still instantiates @{op.attr('callee')}; "
                             "flatten the hierarchy first", op.loc)
        if op.dialect not in allowed and not isinstance(op, hw.SplitOp | hw.JoinOp):
            raise InputError(f"{pass_name} works on combinational logic; '{op.name}' is not supported "
                             "(sequential or non-logic element)", op.loc)
    if any(op.dialect == word.WORD.name for op in graph.ops):
        try:
            from axc.passes.lower_word import LowerWordPass
        except ImportError:
            raise InputError(f"{pass_name} needs bit-level logic: run lower-word first") from None
        LowerWordPass().apply(ctx, module)
        graph = module.top_graph
    try:
        return LogicView.from_graph(graph)
    except VerifyError as exc:
        raise InputError(f"{pass_name}: {exc.message if hasattr(exc, 'message') else exc} "
                         "(a combinational loop: sequential circuits are not supported)") from None


@dataclass(frozen=True)
class BmfPass(ModulePass):
    """Approximate a combinational circuit by Boolean matrix factorization of its subcircuits
    (BLASYS): the smallest explored design whose measured error stays within `err`."""

    name: ClassVar[str] = "bmf"
    requires_dialects: ClassVar[tuple[str, ...]] = ("logic",)

    err: float | None = None
    """Error threshold in (0, 1] for the chosen metric (normalised: 0.01 = 1 %)."""
    metric: str | None = None
    """hd, er, mae, mre, wce or mse; default mae when an output port is multi-bit, else hd."""
    vectors: int = 10000
    """Random vectors when exhaustive simulation is too big (exhaustive up to max(this, 2^16))."""
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
    """Stop exploring after this many seconds (0 = no limit)."""
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
    keep_records: bool = False
    """Keep the `approx.bmf` records (with body graphs) instead of inlining them."""
    thresholds: tuple[float, ...] = ()
    """Also report, mapped and re-measured, the smallest explored design within each of these
    (lower) thresholds: one exploration serves several budgets, as in BLASYS."""
    map_front: int = 0
    """Map this many Pareto-front points (evenly spread) through the cost model for the report."""
    final_candidates: int = 3
    """Map this many of the smallest explored designs within the threshold (by the proxy area
    that ranks candidates) with the cost model and keep the smallest mapped one."""

    def _check(self) -> float:
        err = check_threshold(self.err, self.name)
        for field_name, low, high in (("k", 1, 16), ("m", 1, 20), ("step", 1, 64), ("tracks", 1, 64)):
            value = getattr(self, field_name)
            if not low <= value <= high:
                raise InputError(f"bmf: {field_name} must be in {low}..{high}, got {value}")
        if self.vectors < 1:
            raise InputError(f"bmf: vectors must be positive, got {self.vectors}")
        if self.time_budget < 0:
            raise InputError("bmf: time_budget must not be negative")
        return err

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        threshold = self._check()
        started = time.perf_counter()
        view = prepare_logic(ctx, module, self.name)
        metric = default_metric(self.metric, view, self.name)
        original = module.clone()
        vectors = VectorSet.auto(view, self.vectors, self.seed)
        partition = partition_logic(view, self.k, self.m, self.seed)
        ctx.log(f"bmf: {view.n_gates} gates in {len(partition)} parts (k ≤ {self.k}, m ≤ {self.m}); "
                f"metric {metric} ≤ {threshold:g} on {vectors.describe()}")
        executor = make_executor(self.jobs, self.scheduler)
        try:
            explorer = Explorer(view, partition, vectors.words, vectors.n_vectors, metric,
                                metric in NUMERIC_METRICS, self.algebra, executor)
            for _line in ctx.progress(explorer.iterate(threshold, self.step, self.tracks, self.time_budget,
                                                       self.sample, self.seed),
                                      "bmf exploration"):
                pass
        finally:
            executor.close()
        points = list(explorer.points.values())
        cost_opts = {k: ctx.options.get(k) for k in ("genlib", "liberty")}
        chosen = self._choose_all(original, view, partition, explorer, points, threshold, vectors, metric,
                                  cost_opts)
        best = chosen[threshold][0]
        report = self._rewrite(module, view, partition, explorer, best, vectors, metric)
        measured = report.value(metric)
        if abs(measured - best.error) > 1e-9 or measured > threshold:
            raise AssertionError(f"bmf: re-measured {metric} {measured} differs from the explored {best.error}")
        if not self.keep_records:
            inline_bmf(module)
        before = circuit_cost(original, cost_opts)
        after = circuit_cost(_flat_copy(module) if self.keep_records else module, cost_opts)
        front = self._front_rows(pareto_front(points), explorer.area0)
        summary = self._summary(ctx, view, partition, metric, threshold, vectors, before, after, report,
                                best, front, points, explorer, time.perf_counter() - started)
        ctx.report[self.name] = summary
        extra = {str(t): (None if chosen[t] is None else chosen[t][1]) for t in sorted(set(self.thresholds))}
        if extra:
            summary["thresholds"] = extra
        if self.map_front:
            picks = np.unique(np.linspace(0, len(front) - 1, min(self.map_front, len(front))).round().astype(int))
            full_front = pareto_front(points)
            for i in picks.tolist():
                m = self._mapped(original, view, partition, explorer, full_front[i], vectors, metric, cost_opts)
                front[i]["mapped_area"] = m["area"]
                front[i]["mapped_delay"] = m["delay"]
                front[i]["mapped_power"] = m["power"]
        if self.pareto:
            write_csv(self.pareto, front)
        if self.plot:
            write_plot(self.plot, front, metric, threshold, f"bmf on @{module.top}")
        self._print_table(ctx, summary)
        approximated = sum(1 for i, p in enumerate(partition.parts) if best.degrees[i] < p.m)
        return PassResult(modified=approximated > 0,
                          stats={"parts": len(partition), "approximated_parts": approximated,
                                 "explored": len(points), "area_ratio": summary["area_ratio"]},
                          errors={metric: measured})

    def _choose_all(self, original: Module, view: LogicView, partition, explorer: Explorer,
                    points: list[Point], threshold: float, vectors: VectorSet, metric: str,
                    cost_opts: dict) -> dict[float, tuple[Point, dict] | None]:
        """Per threshold (ascending), the smallest mapped design among the few smallest by proxy
        area within it and the designs chosen for the lower thresholds."""
        mapped: dict[tuple[int, ...], dict] = {}
        result: dict[float, tuple[Point, dict] | None] = {}
        earlier: list[Point] = []
        by_area = sorted(points, key=lambda p: (p.area, p.error))
        for t in sorted(set(self.thresholds) | {threshold}):
            picks = [p for p in by_area if p.error <= t][:max(1, self.final_candidates)]
            picks += [p for p in earlier if p not in picks]
            if not picks:
                result[t] = None
                continue
            for p in picks:
                if p.degrees not in mapped:
                    mapped[p.degrees] = self._mapped(original, view, partition, explorer, p, vectors, metric,
                                                     cost_opts)
            best = min(picks, key=lambda p: (mapped[p.degrees]["area"], p.error))
            earlier.append(best)
            result[t] = (best, mapped[best.degrees])
        return result

    def _mapped(self, original: Module, view: LogicView, partition, explorer: Explorer, point: Point,
                vectors: VectorSet, metric: str, cost_opts: dict) -> dict[str, Any]:
        """Mapped cost and re-measured errors of one explored design."""
        copy = original.clone()
        report = self._rewrite(copy, view, partition, explorer, point, vectors, metric)
        inline_bmf(copy)
        cost = circuit_cost(copy, cost_opts)
        return {**cost, "error": report.value(metric), "errors": report.to_dict()["overall"],
                "degrees": list(point.degrees)}

    def _rewrite(self, module: Module, view: LogicView, partition, explorer: Explorer, best: Point,
                 vectors: VectorSet, metric: str):
        part_errors = {}
        for i, part in enumerate(partition.parts):
            rel = explorer.cache.get((i, best.degrees[i]))
            if rel is not None and rel.factorization is not None:
                part_errors[i] = rel.factorization.error / float(explorer.weights[i].sum() << part.k)
        exact_out = Simulator(view).run(vectors, keep_signals=False).packed
        rebuild_graph(module, view, partition, best.degrees, explorer.cache, part_errors,
                      {metric: float(best.error)})
        new_view = LogicView.from_graph(_flat_copy(module).top_graph)
        approx_out = Simulator(new_view).run(vectors, keep_signals=False).packed
        return compare_rows(exact_out, approx_out, vectors, list(view.output_ports))

    @staticmethod
    def _front_rows(front: list[Point], area0: float) -> list[dict[str, Any]]:
        return [{"error": p.error, "area": round(float(p.area), 4), "area_ratio": round(float(p.area) / area0, 6),
                 "degrees": " ".join(map(str, p.degrees))} for p in front]

    def _summary(self, ctx, view, partition, metric, threshold, vectors, before, after, report, best,
                 front, points, explorer, seconds) -> dict[str, Any]:
        return {
            "metric": metric, "threshold": threshold, "vectors": vectors.describe(),
            "k": self.k, "m": self.m, "step": self.step, "tracks": self.tracks, "algebra": self.algebra,
            "gates": view.n_gates, "parts": len(partition),
            "original": before, "final": after,
            "area_ratio": after["area"] / before["area"] if before["area"] else 1.0,
            "errors": report.to_dict(), "error": report.value(metric),
            "degrees": list(best.degrees), "part_outputs": [p.m for p in partition.parts],
            "explored": len(points), "front": front, "stopped_by_time_budget": explorer.stopped_by_budget,
            "proxy_area_ratio": float(best.area) / explorer.area0, "runtime_s": round(seconds, 3),
        }

    @staticmethod
    def _print_table(ctx: PassContext, s: dict[str, Any]) -> None:
        def fmt(x: Any) -> str:
            return "-" if x is None else f"{x:.4g}"

        o, f = s["original"], s["final"]
        lines = [
            f"bmf summary ({s['metric']} ≤ {s['threshold']:g}, {s['vectors']}, cost: {o['cost_model']})",
            f"  {'':10}{'original':>12}{'approx':>12}{'ratio':>9}",
        ]
        for key in ("area", "delay", "power"):
            ratio = f"{f[key] / o[key]:.1%}" if o.get(key) and f.get(key) is not None else "-"
            lines.append(f"  {key:10}{fmt(o.get(key)):>12}{fmt(f.get(key)):>12}{ratio:>9}")
        errs = s["errors"].get("overall", {})
        shown = {k: errs[k] for k in ("er", "hd", "nmae", "nwce", "mre") if k in errs}
        lines.append("  error     " + "  ".join(f"{k}={v:.4g}" for k, v in shown.items()))
        lines.append(f"  {s['parts']} parts, {s['explored']} designs explored in {s['runtime_s']:.1f} s")
        for line in lines:
            ctx.log(line)


def _flat_copy(module: Module) -> Module:
    copy = module.clone()
    inline_bmf(copy)
    return copy

