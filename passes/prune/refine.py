"""Gate-level refinement of designs found by another search (`bmf{refine=true}`).

A factorized design still holds gates that a whole-circuit view can drop: the greedy gate-level
search of `search` continues from each starting design (and from the original circuit) down to
the threshold, with errors measured against the original. The smallest mapped design within a
threshold then competes with the starting designs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from axc.ir import Module
from axc.ir.views import LogicView
from axc.runtime.logicsim import VectorSet

from ..infra.budget import SearchLimit
from .search import GateSearch, Step

__all__ = ["Refinement", "memo_cost", "refine", "refined_choices"]


@dataclass
class Refinement:
    """One gate-level search and the design it started from."""

    label: str
    start: Module
    search: GateSearch

    def design(self, step: Step) -> Module:
        return self.search.design(self.start, step)


def refine(progress: Callable, starts: Sequence[tuple[str, Module]], reference: LogicView, vectors: VectorSet,
           metric: str, threshold: float, time_budget: float = 0.0, max_moves: int = 0,
           **options: Any) -> list[Refinement]:
    """Search from every (label, module) start to `threshold`, each for at most `time_budget`
    seconds and `max_moves` moves (0 = no limit); `options` go to `GateSearch`."""
    out = []
    for label, start in starts:
        search = GateSearch(LogicView.from_graph(start.top_graph), vectors, metric, reference=reference, **options)
        limit = SearchLimit(time_budget, max_moves)
        for _line in progress(search.iterate(threshold, limit), f"gate-level refinement from {label}"):
            pass
        out.append(Refinement(label, start, search))
    return out


def memo_cost(cost_of_module: Callable[[Module], dict]) -> Callable[[Refinement, Step], dict]:
    """Cost of a refined design (`cost_of_module` of its module, with its error), computed once."""
    done: dict[tuple[int, int], dict] = {}

    def cost(r: Refinement, step: Step) -> dict:
        key = (id(r), step.moves)
        if key not in done:
            done[key] = {**cost_of_module(r.design(step)), "error": step.error}
        return done[key]

    return cost


def refined_choices(refinements: Sequence[Refinement], to_beat: dict[float, float | None], count: int,
                    cost: Callable[[Refinement, Step], dict]) -> dict[float, tuple[Refinement, Step, dict]]:
    """Per threshold of `to_beat` (mapped area of the design to beat, None for none), the
    smallest mapped of the `count` smallest-proxy refined designs within it, where it maps
    smaller: {threshold: (refinement, step, its cost)}."""
    better = {}
    for t, area in to_beat.items():
        picks = [(r, s) for r in refinements for s in r.search.smallest_within(t, count) if s.error <= t]
        if not picks:
            continue
        found = min(picks, key=lambda c: (cost(*c)["area"], c[1].error))
        if area is None or cost(*found)["area"] < area:
            better[t] = (*found, cost(*found))
    return better
