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

from .search import GateSearch, Step

__all__ = ["Refinement", "refine", "smallest_refined"]


@dataclass
class Refinement:
    """One gate-level search and the design it started from."""

    label: str
    start: Module
    search: GateSearch

    def design(self, step: Step) -> Module:
        return self.search.design(self.start, step)


def refine(progress: Callable, starts: Sequence[tuple[str, Module]], reference: LogicView, vectors: VectorSet,
           metric: str, threshold: float, time_budget: float = 0.0, **options: Any) -> list[Refinement]:
    """Search from every (label, module) start to `threshold`; `options` go to `GateSearch`."""
    out = []
    for label, start in starts:
        search = GateSearch(LogicView.from_graph(start.top_graph), vectors, metric, reference=reference, **options)
        for _line in progress(search.iterate(threshold, time_budget), f"gate-level refinement from {label}"):
            pass
        out.append(Refinement(label, start, search))
    return out


def smallest_refined(refinements: Sequence[Refinement], threshold: float, count: int,
                     area_of: Callable[[Refinement, Step], float]) -> tuple[Refinement, Step] | None:
    """Among the `count` smallest designs (proxy area) within `threshold` of every search, the
    one of smallest `area_of` (the mapped area); None when no search has a design within it."""
    picks = [(r, s) for r in refinements for s in r.search.smallest_within(threshold, count)
             if s.error <= threshold]
    if not picks:
        return None
    return min(picks, key=lambda c: (area_of(*c), c[1].error))
