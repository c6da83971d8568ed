"""The designs of one `bmf` run: explorations (`Run`), explored designs built as modules and
mapped at most once (`Designs`), and, under a time budget, the seconds the phases after the
search need (`FinishEstimate`)."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from axc.ir import Module
from axc.ir.views import LogicView
from axc.runtime.logicsim import VectorSet

from ..circuit.als_report import circuit_cost, measure_against, timed_circuit_cost
from ..circuit.error_bound import LogicReference
from .explore import Explorer, Point
from .rebuild import inline_bmf, rebuild_graph

__all__ = ["Designs", "FinishEstimate", "Run", "flat_copy", "is_exact", "rebuild", "rewrite"]


@dataclass
class Run:
    """One exploration: its partition limits, partition, explorer and explored points."""

    k: int
    m: int
    partition: Any
    explorer: Explorer
    points: list[Point]


class FinishEstimate:
    """Under a time budget, the seconds to keep for the phases after the search, measured on
    the original in a background thread (mapping it, simulating it on the bound's vectors): one
    candidate's mapping, building and bounding it and one fallback should its bound fail (three
    times the original's simulation on the bound's vectors), and the exact resynthesis where it
    runs."""

    def __init__(self, options: Any, original: Module, reference: LogicReference, cost_opts: dict,
                 resynthesizes: bool) -> None:
        self.options, self.resynthesizes = options, resynthesizes
        self._future: Future | None = None
        self._measured: tuple[dict, float, float] | None = None
        self.reference = reference
        if options.time_budget:
            pool = ThreadPoolExecutor(1)
            self._future = pool.submit(self._measure, original, cost_opts)
            pool.shutdown(wait=False)
            reference.slices()

    @staticmethod
    def _measure(original: Module, cost_opts: dict) -> tuple[dict, float, float]:
        mark = time.monotonic()
        cost, mapping = timed_circuit_cost(original, cost_opts)
        return cost, mapping, time.monotonic() - mark

    def _result(self) -> tuple[dict, float, float] | None:
        if self._future is not None and self._measured is None:
            self._measured = self._future.result()
        return self._measured

    def original_cost(self) -> dict | None:
        measured = self._result()
        return None if measured is None else measured[0]

    def mapping(self) -> float:
        """Seconds one candidate's mapping and cost report take."""
        measured = self._result()
        return 0.0 if measured is None else max(measured[1], measured[2])

    def reserve(self) -> float:
        if self._future is None:
            return 0.0
        effort = self.options.resynth_effort
        resynthesis = effort + 2 * self.mapping() if self.resynthesizes and effort >= 0 else 0.0
        return self.mapping() + 3 * self.reference.seconds + resynthesis

    def candidates(self, remaining: float) -> int:
        """How many of the smallest designs to map, as many as the rest of the budget allows."""
        wanted = self.options.final_candidates
        if self._future is None:
            return wanted
        spare = remaining - (self.reserve() - self.mapping())
        return max(1, min(wanted, int(spare / max(self.mapping(), 1e-3))))


class Designs:
    """Explored designs built as modules (a copy of the original, inlined) with their error
    reports and mapped costs, each built and mapped at most once per pass run."""

    def __init__(self, original: Module, view: LogicView, vectors: VectorSet, metric: str, cost_opts: dict) -> None:
        self.original, self.view, self.vectors, self.metric, self.cost_opts = original, view, vectors, metric, cost_opts
        self._built: dict[tuple, tuple[Module, Any]] = {}
        self._costs: dict[tuple, dict] = {}

    def build(self, run: Run, point: Point) -> tuple[Module, Any]:
        key = (id(run), point.degrees)
        if key not in self._built:
            copy = self.original.clone()
            rebuild(copy, self.view, run, point, self.metric)
            inline_bmf(copy)
            self._built[key] = (copy, measure_against(self.view, copy, self.vectors))
        return self._built[key]

    def cost(self, run: Run, point: Point) -> dict[str, Any]:
        key = (id(run), point.degrees)
        if key not in self._costs:
            module = self.original.clone() if is_exact(run, point) else self.build(run, point)[0]
            self._costs[key] = circuit_cost(module, self.cost_opts)
        return self._costs[key]


def rewrite(module: Module, view: LogicView, run: Run, best: Point, vectors: VectorSet, metric: str):
    """Replace the top graph of `module` by the explored design `best`; its error report."""
    rebuild(module, view, run, best, metric)
    return measure_against(view, flat_copy(module), vectors)


def rebuild(module: Module, view: LogicView, run: Run, best: Point, metric: str) -> None:
    """Replace the top graph of `module` by the explored design `best` (with `approx.bmf` records)."""
    partition, explorer = run.partition, run.explorer
    part_errors = {}
    for i, part in enumerate(partition.parts):
        rel = explorer.cache.get((i, best.degrees[i]))
        if rel is not None and rel.factorization is not None:
            part_errors[i] = rel.factorization.error / float(explorer.weights[i].sum() << part.k)
    rebuild_graph(module, view, partition, best.degrees, explorer.cache, part_errors, {metric: float(best.error)})


def is_exact(run: Run, point: Point) -> bool:
    return all(f >= p.m for f, p in zip(point.degrees, run.partition.parts))


def flat_copy(module: Module) -> Module:
    copy = module.clone()
    inline_bmf(copy)
    return copy

