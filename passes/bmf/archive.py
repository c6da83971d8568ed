"""The explored designs of one exploration, in bounded memory.

A greedy run on a circuit with hundreds of parts measures millions of designs, each an f-stream
of one degree per part: keeping them all would take tens of GB. What the pass needs afterwards
is the Pareto front (error, area) and, for each threshold t, the few smallest designs within t.
Those are exactly the designs with fewer than `keep_layers` others at no more error and less
area, i.e. the first `keep_layers` non-dominated layers; whenever more than `limit` designs are
held, everything beyond those layers is dropped (a dropped design is dominated by enough others,
and later designs only add to them). The designs seen are remembered by hash only, so none is
measured twice; `count` is the number measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["PointArchive"]


class PointArchive:
    """Explored points (objects with `degrees`, `error`, `area`) keyed by their degrees."""

    def __init__(self, keep_layers: int = 3, limit: int = 20_000) -> None:
        self.keep_layers = max(1, keep_layers)
        self.limit = max(limit, 1)
        self.count = 0
        self._seen: set[int] = set()
        self._points: dict[tuple[int, ...], Any] = {}

    def __contains__(self, degrees: tuple[int, ...]) -> bool:
        return hash(degrees) in self._seen

    def __len__(self) -> int:
        return len(self._points)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._points.values())

    def values(self) -> list[Any]:
        return list(self._points.values())

    def add(self, point: Any) -> None:
        """Keep `point` unless its degrees were seen before (the first measurement stays)."""
        key = hash(point.degrees)
        if key in self._seen:
            return
        self._seen.add(key)
        self.count += 1
        self._points[point.degrees] = point
        if len(self._points) > self.limit:
            self._compact()

    def _compact(self) -> None:
        minima = [float("inf")] * self.keep_layers  # least area so far in each layer
        kept = {}
        for p in sorted(self._points.values(), key=lambda p: (p.error, p.area)):
            for layer, least in enumerate(minima):
                if p.area <= least:
                    minima[layer] = p.area
                    kept[p.degrees] = p
                    break
        self._points = kept
