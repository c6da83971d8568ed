"""The bounded archive of explored designs keeps the front and the few smallest per threshold."""

from __future__ import annotations

import numpy as np
from axc.passes.bmf.archive import PointArchive
from axc.passes.bmf.explore import Point


def _random_points(n: int, seed: int) -> list[Point]:
    rng = np.random.default_rng(seed)
    errors = rng.integers(0, 200, n) / 1000.0  # ties in error and area on purpose
    areas = rng.integers(0, 300, n).astype(float)
    return [Point((i,), float(e), float(a)) for i, (e, a) in enumerate(zip(errors, areas))]


def test_compaction_keeps_the_smallest_designs_within_every_threshold() -> None:
    points = _random_points(5000, seed=1)
    archive = PointArchive(keep_layers=3, limit=200)
    for p in points:
        archive.add(p)
    kept = {p.degrees for p in archive}
    assert len(kept) < 1000 and archive.count == 5000
    for t in np.unique([p.error for p in points]):
        within = sorted((p for p in points if p.error <= t), key=lambda p: p.area)
        third = within[min(2, len(within) - 1)].area
        # every design among the 3 smallest within t (ties included) survives
        assert all(p.degrees in kept for p in within if p.area < third)
        assert sorted(p.area for p in archive if p.error <= t)[:3] == [p.area for p in within[:3]]


def test_seen_designs_are_not_added_twice() -> None:
    archive = PointArchive()
    archive.add(Point((1, 2), 0.1, 5.0))
    archive.add(Point((1, 2), 0.0, 1.0))
    assert (1, 2) in archive and (2, 1) not in archive
    assert archive.count == 1 and archive.values() == [Point((1, 2), 0.1, 5.0)]
