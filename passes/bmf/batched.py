"""Batched greedy exploration for circuits with hundreds or thousands of parts.

BLASYS' greedy loop lowers one part per iteration, so a circuit of 2,600 parts needs thousands
of iterations, each simulating thousands of neighbours. Here one iteration applies a *batch* of
moves at once:

1. Every part has a next move, its degree lowered by `step` or straight to 0 (constant outputs,
   which frees the logic feeding only it), whichever adds less error per area saved, and an
   estimate of the error and area that move adds to the current design, from an incremental
   simulation of that single move.
2. Estimates go stale when the design changes. Before each batch, the most promising stale ones
   (by error added per area saved) are measured again, so the batch is chosen on fresh figures;
   a full refresh runs whenever no fresh candidate is left.
3. The batch takes moves in that order while their added errors sum to at most a quarter of the
   slack to the next threshold (the given lower thresholds first, then `threshold`), and at most
   `cap` moves. Moves that add no error and save area are always taken.
4. The batched design is simulated as a whole (the union of the moved parts' downstream cones).
   Within the threshold it becomes the current design; otherwise the batch is halved and tried
   again, and a single move that fails is marked infeasible until the next refresh. `cap` grows
   after a success and shrinks after a failure.

It stops when a full refresh finds no move within the threshold (or at the time budget). Every
measured design is a point of the Pareto front, as in the per-move loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..infra.budget import SearchLimit

if TYPE_CHECKING:
    from .explore import Explorer

__all__ = ["iterate_batched"]

_STALE_REFRESH = 128
_INITIAL_CAP = 8
_MAX_CAP = 256
_SLACK_FRACTION = 0.25
_TIMED_FIRST = 96
"""Under a time budget, the first measurement covers only this many parts (the largest)."""
_MEASURE_CHUNK = 256
"""Moves are measured this many parts at a time; a spent time budget stops between chunks."""
_TIMED_CAP = 32
"""Under a time budget, the first batch may take this many moves (a failed batch is halved)."""


def iterate_batched(ex: Explorer, threshold: float, step: int = 1, limit: SearchLimit | float = 0.0,
                    thresholds: Sequence[float] = ()) -> Iterator[str]:
    """Batched greedy loop (module docstring); fills `ex.points`, one summary line per batch.
    `limit` (seconds, or a `SearchLimit`) stops it after a batch; `ex.stopped_by` says why."""
    parts = ex.partition.parts
    n = len(parts)
    limit = limit if isinstance(limit, SearchLimit) else SearchLimit(float(limit))
    degrees = np.array(ex.begin().degrees, dtype=np.int64)
    values = ex.exact_values.copy()
    error, area = 0.0, ex.area0
    targets = sorted({t for t in thresholds if t < threshold} | {threshold})
    d_err = np.full(n, np.inf)
    saved = np.zeros(n)
    fresh = np.zeros(n, dtype=np.bool_)
    move_to = np.zeros(n, dtype=np.int64)
    movable = np.array([ex.can_lower(i) and p.m > 0 for i, p in enumerate(parts)], dtype=np.bool_)
    cap = _TIMED_CAP if limit.seconds else _INITIAL_CAP
    iteration = 0

    def measure(which: np.ndarray) -> None:
        which = which[movable[which]]
        for start in range(0, which.size, _MEASURE_CHUNK):
            measure_chunk(which[start:start + _MEASURE_CHUNK])
            if limit.out_of_time():
                return

    def measure_chunk(which: np.ndarray) -> None:
        wanted = [(int(i), f) for i in which.tolist() for f in _moves(int(degrees[i]), step)]
        ex.ensure(wanted)
        rids = ex.rids(degrees)
        scratch = values.copy()
        for i in which.tolist():
            old = int(degrees[i])
            best = (np.inf, 0.0, old)
            for f in _moves(old, step):
                added = ex.sim.try_pooled(values, rids, i, ex.cache[(i, f)].rid, scratch) - error
                degrees[i] = f
                gain = area - ex.area(degrees)
                degrees[i] = old
                if best[2] == old or _cost(added, gain) < _cost(best[0], best[1]):
                    best = (added, gain, f)
            d_err[i], saved[i], move_to[i] = best
            fresh[i] = True

    level = 0
    full = True
    while True:
        stale = movable & ~fresh
        if full:
            which = np.flatnonzero(stale)
            if limit.seconds and which.size > _TIMED_FIRST and not fresh.any():
                # under a time budget the first batch must come soon: the largest parts first
                sizes = np.array([ex.cache[(i, parts[i].m)].netlist.area for i in which.tolist()])
                which = which[np.argsort(-sizes, kind="stable")[:_TIMED_FIRST]]
            measure(which)
            full = False
        elif stale.any():
            measure(_ranked(d_err, saved, stale)[:max(_STALE_REFRESH, 2 * cap)])
        batch = _select(d_err, saved, movable & fresh, targets[level] - error, cap)
        if batch.size == 0:
            if limit.out_of_time():
                ex.stopped_by = limit.stopped_by
                break
            if (movable & ~fresh).any():
                full = True  # nothing fits among the fresh: measure every move before giving up
                continue
            if level + 1 < len(targets):
                level += 1
                continue
            break
        accepted = False
        while batch.size:
            trial = degrees.copy()
            trial[batch] = move_to[batch]
            cone = np.unique(np.concatenate([ex.sim.downstream[i] for i in batch.tolist()]))
            trial_values = values.copy()
            ex.sim.run_pooled(cone, ex.rids(trial), trial_values)
            err = ex.sim.error(trial_values)
            key = tuple(trial.tolist())
            new_area = ex.area(key)
            ex.record(key, err, new_area)
            if err <= targets[level] and new_area < area:
                accepted = True
                break
            if batch.size == 1:
                d_err[batch[0]] = np.inf  # fails on its own: skip it until the design changes
                break
            batch = batch[: batch.size // 2]
        iteration += 1
        if accepted:
            cap = min(_MAX_CAP, cap * 2) if batch.size >= cap else cap
            degrees, values, error, area = trial, trial_values, err, new_area
            fresh[:] = False
            movable &= degrees > 0
        else:
            cap = max(1, cap // 2)
        yield (f"batch {iteration}: {batch.size if accepted else 0} moves, "
               f"{area / ex.area0:.1%} of the area at error {error:.4g}")
        if not limit.count():
            ex.stopped_by = limit.stopped_by
            break


def _moves(degree: int, step: int) -> tuple[int, ...]:
    """The degrees a part at `degree` may move to: `step` lower, and straight to 0 (constants)."""
    lower = max(degree - step, 0)
    return (lower,) if lower == 0 else (lower, 0)


def _cost(added: np.ndarray | float, saved: np.ndarray | float) -> np.ndarray:
    """Error added per area saved (a move that saves nothing costs infinity)."""
    saved = np.asarray(saved, dtype=np.float64)
    return np.where(saved > 0, np.maximum(added, 0.0) / np.maximum(saved, 1e-12), np.inf)


def _ranked(d_err: np.ndarray, saved: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Candidate parts in `mask`, cheapest error per area saved first (no saving: last)."""
    idx = np.flatnonzero(mask)
    return idx[np.argsort(_cost(d_err[idx], saved[idx]), kind="stable")]


def _select(d_err: np.ndarray, saved: np.ndarray, mask: np.ndarray, slack: float, cap: int) -> np.ndarray:
    """The batch: free moves, then the cheapest moves while their added errors stay within
    `_SLACK_FRACTION` of the slack (the first one may use all of it) and `cap` moves."""
    chosen: list[int] = []
    budget = _SLACK_FRACTION * slack
    used = 0.0
    for i in _ranked(d_err, saved, mask).tolist():
        if saved[i] <= 0 or not np.isfinite(d_err[i]):
            break
        cost = max(d_err[i], 0.0)
        if cost > slack:
            continue
        if cost > 0 and chosen and (used + cost > budget or len(chosen) >= cap):
            break
        chosen.append(i)
        used += cost
    return np.array(chosen, dtype=np.int64)
