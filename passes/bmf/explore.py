"""Greedy design-space exploration over the factorization degrees of the parts (BLASYS Alg. 1).

A design is an *f-stream*: one degree per part (its output count m means exact). Starting from
the exact circuit, each iteration lowers one part's degree by `step` in each of the `tracks`
current designs (multi-path exploration), evaluates every such neighbour — error of the whole
circuit by incremental bit-parallel simulation, area as the sum of the parts' realisation areas
(live parts only: a part none of whose outputs is read any more counts zero) — and keeps the
`tracks` best by BLASYS' loss (area/area₀ − 1) / error among those within the threshold. It
stops when no neighbour stays within the threshold (or at the time budget). The answer is the
smallest explored design within the threshold; every explored point feeds the Pareto front.

Realisations (factorization + ABC-synthesized compressor) are made on demand, a few degrees
ahead, cached per (part, degree), and synthesized in batches through an executor: in-process,
a local process pool (`jobs` > 1), or a Dask scheduler (`scheduler="tcp://host:port"`).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numba as nb
import numpy as np
from axc.ir import import_extra
from axc.ir.views import LogicView
from axc.runtime.processes import die_with_parent

from ..infra.budget import SearchLimit
from .archive import PointArchive
from .factor import Factorization, factorize_all
from .partition import Partition
from .partsim import DesignSim, Netlist, exact_netlist, part_truth_table
from .synth import netlist_area, realise, synthesize

__all__ = ["Explorer", "Point", "make_executor", "output_weights"]

_LOOKAHEAD = 10
_LOOKAHEAD_LARGE = 2
_LARGE_PARTS = 400
_MAX_WEIGHT_EXP = 24


@dataclass(frozen=True)
class Point:
    """One explored design: its f-stream, measured error (the chosen metric) and proxy area."""

    degrees: tuple[int, ...]
    error: float
    area: float


@dataclass
class _Realisation:
    factorization: Factorization | None
    compressor: Netlist | None
    netlist: Netlist
    support: np.ndarray | None = None
    rid: int = -1

    def __post_init__(self) -> None:
        if self.factorization is not None:
            self.support = self.netlist.support()


def output_weights(view: LogicView, numeric: bool) -> np.ndarray:
    """Significance exponent of every signal: the lowest primary-output bit it reaches.

    With a numeric metric, part output j gets weight 2^(exp_j − min exp of the part); else 1.
    """
    exp = np.full(view.n_signals, np.iinfo(np.int64).max, dtype=np.int64)
    if not numeric:
        return np.zeros(view.n_signals, dtype=np.int64)
    for bit, s in enumerate(view.outputs.tolist()):
        exp[s] = min(exp[s], bit)
    first = view.first_gate_signal
    ptr, fanin = view.fanin_ptr, view.fanin
    for g in range(view.n_gates - 1, -1, -1):
        e = exp[first + g]
        srcs = fanin[ptr[g]:ptr[g + 1]]
        np.minimum.at(exp, srcs, e)
    exp[exp == np.iinfo(np.int64).max] = 0
    return exp


@nb.njit(cache=True)
def _live_area(degrees, po_part, area, support, feed_ptr, feed_src, feed_idx):
    """Σ realisation area over parts some live reader still needs (reverse topological)."""
    n = degrees.size
    live = np.zeros(n, dtype=np.bool_)
    total = 0.0
    for i in range(n - 1, -1, -1):
        if not (po_part[i] or live[i]):
            continue
        f = degrees[i]
        total += area[i, f]
        for e in range(feed_ptr[i], feed_ptr[i + 1]):
            if support[i, f, feed_idx[e]]:
                live[feed_src[e]] = True
    return total


@nb.njit(cache=True)
def _live_areas(degrees, parts, lowered, po_part, area, support, feed_ptr, feed_src, feed_idx):
    """`_live_area` of `degrees` with part parts[t] at degree lowered[t], for each t."""
    out = np.empty(parts.size)
    for t in range(parts.size):
        p = parts[t]
        old = degrees[p]
        degrees[p] = lowered[t]
        out[t] = _live_area(degrees, po_part, area, support, feed_ptr, feed_src, feed_idx)
        degrees[p] = old
    return out


def _synth_chunk(items: list[tuple[int, Factorization]]) -> list[tuple[Netlist, Netlist]]:
    return realise(items)


def _synth_exact_chunk(functions: list[tuple[int, np.ndarray]]) -> list[Netlist]:
    return synthesize(functions)


class _Executor:
    """Maps a function over chunks: in-process, process pool, or Dask."""

    def __init__(self, jobs: int = 1, scheduler: str | None = None) -> None:
        self.jobs = max(1, jobs)
        self.scheduler = scheduler
        self._pool = None
        self._client = None
        if scheduler:
            distributed = import_extra("distributed", "--scheduler")
            self._client = distributed.Client(scheduler)
            self.jobs = max(self.jobs, sum(self._client.nthreads().values()))
        elif self.jobs > 1:
            self._pool = ProcessPoolExecutor(self.jobs, initializer=_start_worker)

    def map(self, fn: Callable, chunks: Sequence) -> list:
        if self._client is not None:
            return self._client.gather(self._client.map(fn, list(chunks), pure=False))
        if self._pool is not None:
            return list(self._pool.map(fn, chunks))
        return [fn(c) for c in chunks]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        if self._client is not None:
            self._client.close()


def _start_worker() -> None:
    """A worker leaves Ctrl-C to the main process (no traceback per worker) and, on Linux, is
    killed when the main process dies, however it dies (`PR_SET_PDEATHSIG`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


def make_executor(jobs: int = 1, scheduler: str | None = None) -> _Executor:
    """The executor for synthesis batches (see the module docstring)."""
    return _Executor(jobs, scheduler)


def _chunks(items: list, n: int) -> list[list]:
    n = max(1, min(n, len(items)))
    return [items[i::n] for i in range(n)]


@dataclass
class Explorer:
    """Greedy BMF exploration of one partitioned circuit (see the module docstring)."""

    view: LogicView
    partition: Partition
    vectors: np.ndarray
    n_vectors: int
    metric: str
    numeric: bool
    algebra: str = "mixed"
    executor: _Executor = field(default_factory=_Executor)
    keep_layers: int = 3
    """Explored designs kept: the first this many Pareto layers (see `PointArchive`)."""
    synthesize_exact: bool = True
    """Also synthesize every part's exact function with ABC and take the smaller of that and its
    own gates as its exact area; False keeps its own gates (saves one ABC run over all parts,
    seconds on circuits with hundreds of parts, for runs under a time budget)."""

    def __post_init__(self) -> None:
        parts = self.partition.parts
        self.exact = [exact_netlist(self.view, p.gates, p.inputs, p.outputs) for p in parts]
        self.tables = [part_truth_table(n) if p.m and p.k <= 16 else None
                       for n, p in zip(self.exact, parts)]
        exp = output_weights(self.view, self.numeric)
        self.weights = []
        for p in parts:
            e = exp[p.outputs] if p.m else np.zeros(0, dtype=np.int64)
            rel = np.minimum(e - (e.min() if e.size else 0), _MAX_WEIGHT_EXP)
            self.weights.append(np.int64(1) << rel)
        self.factorizations: list[dict[int, Factorization]] = [{} for _ in parts]
        self.cache: dict[tuple[int, int], _Realisation] = {}
        self._build_sim()
        functions = [(p.k, (_expand(t, p.m) if t is not None else None)) for p, t in zip(parts, self.tables)]
        todo = [i for i, (_, t) in enumerate(functions) if t is not None] if self.synthesize_exact else []
        exact_areas = {}
        if todo:
            flat = [functions[i] for i in todo]
            results = self.executor.map(_synth_exact_chunk, _chunks(flat, self.executor.jobs))
            merged = _unchunk(results, len(flat), self.executor.jobs)
            exact_areas = {i: net.area for i, net in zip(todo, merged)}
        self.exact_area = np.array([min(exact_areas.get(i, np.inf), netlist_area(n))
                                    for i, n in enumerate(self.exact)])
        n = len(parts)
        m_max = max((p.m for p in parts), default=0)
        k_max = max((p.k for p in parts), default=0)
        self.area_table = np.zeros((n, m_max + 1))
        self.support_table = np.zeros((n, m_max + 1, max(k_max, 1)), dtype=np.bool_)
        for i, p in enumerate(parts):
            self.area_table[i, p.m] = self.exact_area[i]
            self.support_table[i, p.m, :] = True
        self.po_part = np.zeros(n, dtype=np.bool_)
        self.po_part[list(self.po_parts)] = True
        self.feed_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(f) for f in self.feeds], out=self.feed_ptr[1:])
        self.feed_src = np.array([q for f in self.feeds for q, _ in f], dtype=np.int64)
        self.feed_idx = np.array([j for f in self.feeds for _, j in f], dtype=np.int64)

    # ------------------------------------------------------------------ simulation set-up
    def _build_sim(self) -> None:
        parts = self.partition.parts
        n = len(parts)
        owner = np.full(self.view.n_signals, -1, dtype=np.int64)
        first = self.view.first_gate_signal
        for i, p in enumerate(parts):
            owner[first + p.gates] = i
        self.consumers: list[list[int]] = [[] for _ in range(n)]
        self.feeds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for i, p in enumerate(parts):
            src = owner[p.inputs]
            for q in sorted(set(src[src >= 0].tolist())):
                self.consumers[q].append(i)
            self.feeds[i] = [(int(owner[s]), j) for j, s in enumerate(p.inputs.tolist()) if owner[s] >= 0]
        downstream = []
        for i in range(n):
            seen = {i}
            stack = [i]
            while stack:
                for q in self.consumers[stack.pop()]:
                    if q not in seen:
                        seen.add(q)
                        stack.append(q)
            downstream.append(np.array(sorted(seen), dtype=np.int64))
        self.sim = DesignSim(self.view.n_signals, self.vectors, self.n_vectors,
                             [p.inputs for p in parts], [p.outputs for p in parts], downstream,
                             self.view.outputs, self.metric)
        self.po_parts = {int(owner[s]) for s in self.view.outputs.tolist() if owner[s] >= 0}
        self.exact_rid = [self.sim.pool.add(net) for net in self.exact]
        for i, net in enumerate(self.exact):
            self.cache[(i, parts[i].m)] = _Realisation(None, None, net, rid=self.exact_rid[i])
        self.sim.run_pooled(np.arange(n, dtype=np.int64), np.asarray(self.exact_rid, dtype=np.int64),
                            self.sim.values)
        self.sim.exact_out = self.sim.values[self.view.outputs].copy()
        self.exact_values = self.sim.values.copy()

    # ------------------------------------------------------------------ realisations
    def _factorizations(self, i: int) -> dict[int, Factorization]:
        if not self.factorizations[i]:
            p = self.partition.parts[i]
            self.factorizations[i] = factorize_all(self.tables[i], p.m, self.weights[i], self.algebra)
        return self.factorizations[i]

    def can_lower(self, i: int) -> bool:
        return self.tables[i] is not None

    def ensure(self, wanted: Iterable[tuple[int, int]]) -> None:
        """Realise every (part, degree) in `wanted` (and a few lower degrees) in one batch."""
        todo: list[tuple[int, int]] = []
        for i, f in wanted:
            ahead = _LOOKAHEAD if len(self.partition) <= _LARGE_PARTS else _LOOKAHEAD_LARGE
            for g in range(f, max(-1, f - ahead), -1):
                if (i, g) not in self.cache and (i, g) not in todo:
                    todo.append((i, g))
        if not todo:
            return
        items = [(self.partition.parts[i].k, self._factorizations(i)[f]) for i, f in todo]
        results = _unchunk(self.executor.map(_synth_chunk, _chunks(items, self.executor.jobs)),
                           len(items), self.executor.jobs)
        for (i, f), (fac, (comp, net)) in zip(todo, zip((it[1] for it in items), results)):
            self._record(i, f, _Realisation(fac, comp, net))

    def rids(self, degrees: Sequence[int]) -> np.ndarray:
        """Pool ids of the realisations of a design."""
        return np.array([self.cache[(i, f)].rid for i, f in enumerate(degrees)], dtype=np.int64)

    def netlists(self, degrees: Sequence[int]) -> list[Netlist]:
        return [self.cache[(i, f)].netlist for i, f in enumerate(degrees)]

    # ------------------------------------------------------------------ area
    def area(self, degrees: Sequence[int]) -> float:
        """Proxy area: realisation areas of the parts whose outputs are still read."""
        return float(_live_area(np.asarray(degrees, dtype=np.int64), self.po_part, self.area_table,
                                self.support_table, self.feed_ptr, self.feed_src, self.feed_idx))

    def _record(self, i: int, f: int, rel: _Realisation) -> None:
        rel.rid = self.sim.pool.add(rel.netlist)
        self.cache[(i, f)] = rel
        if f < self.partition.parts[i].m:
            self.area_table[i, f] = rel.netlist.area
            self.support_table[i, f, :rel.support.size] = rel.support

    # ------------------------------------------------------------------ the greedy loop
    def _neighbours(self, current: list[tuple[int, ...]], tried: dict[tuple[int, ...], list[int]],
                    states: dict[tuple[int, ...], np.ndarray], step: int) -> list[tuple[Point, tuple[int, ...], int]]:
        """Evaluate, for each design, lowering each part in `tried[design]` by `step`."""
        self.ensure((i, max(d[i] - step, 0)) for d in current for i in tried[d])
        candidates: list[tuple[Point, tuple[int, ...], int]] = []
        for d in current:
            moves = [(i, d[:i] + (max(d[i] - step, 0),) + d[i + 1:]) for i in tried[d]]
            moves = [(i, nd) for i, nd in moves if nd not in self.points]
            if not moves:
                continue
            parts = np.array([i for i, _ in moves], dtype=np.int64)
            lowered = np.array([nd[i] for i, nd in moves], dtype=np.int64)
            base = states[d]
            errs = self.sim.try_many(base, self.rids(d), parts,
                                     np.array([self.cache[(i, f)].rid for i, f in zip(parts.tolist(), lowered.tolist())],
                                              dtype=np.int64), base.copy())
            areas = _live_areas(np.asarray(d, dtype=np.int64), parts, lowered, self.po_part, self.area_table,
                                self.support_table, self.feed_ptr, self.feed_src, self.feed_idx)
            for (i, nd), err, area in zip(moves, errs.tolist(), areas.tolist()):
                pt = Point(nd, err, area)
                self.points.add(pt)
                candidates.append((pt, d, i))
        return candidates

    def begin(self) -> Point:
        """Start an exploration: the explored points hold only the exact design, returned."""
        exact = tuple(p.m for p in self.partition.parts)
        self.area0 = self.area(exact)
        self.exact_point = Point(exact, 0.0, self.area0)
        self.points = PointArchive(self.keep_layers)
        self.points.add(self.exact_point)
        self.stopped_by = None
        return self.exact_point

    def record(self, degrees: tuple[int, ...], error: float, area: float) -> None:
        """Add an explored design (the first measurement of a design stays)."""
        self.points.add(Point(degrees, error, area))

    @property
    def stopped_by_budget(self) -> bool:
        return self.stopped_by == "time_budget"

    def run(self, threshold: float, step: int = 1, tracks: int = 3, limit: SearchLimit | float = 0.0,
            sample: int = 0, seed: int = 0) -> list[Point]:
        """Explore to the end; return the explored points kept (see `PointArchive`)."""
        for _ in self.iterate(threshold, step, tracks, limit, sample, seed):
            pass
        return list(self.points.values())

    def iterate(self, threshold: float, step: int = 1, tracks: int = 3, limit: SearchLimit | float = 0.0,
                sample: int = 0, seed: int = 0) -> Iterator[str]:
        """The greedy loop, one yield (a summary line) per iteration; fills `self.points`.
        `limit` (seconds, or a `SearchLimit`) stops it after an iteration; `stopped_by` says why.

        With `sample` > 0, each track tries only that many randomly chosen parts per iteration
        (BLASYS' `--fast_random`, for circuits with thousands of parts).
        """
        parts = self.partition.parts
        rng = np.random.default_rng(seed)
        limit = limit if isinstance(limit, SearchLimit) else SearchLimit(float(limit))
        best = self.begin()
        exact = best.degrees
        states = {exact: self.exact_values}
        current = [exact]
        iteration = 0
        while current:
            iteration += 1
            movable = {d: [i for i in range(len(parts)) if d[i] > 0 and self.can_lower(i)] for d in current}
            tried = {}
            for d, options in movable.items():
                if sample and len(options) > sample:
                    options = sorted(rng.choice(options, sample, replace=False).tolist())
                tried[d] = options
            candidates = self._neighbours(current, tried, states, step)
            feasible = [c for c in candidates if c[0].error <= threshold]
            if not feasible and sample:  # the sample found nothing: try every other part first
                rest = {d: sorted(set(movable[d]) - set(tried[d])) for d in current}
                candidates += self._neighbours(current, rest, states, step)
                feasible = [c for c in candidates if c[0].error <= threshold]
            if not feasible:
                break
            feasible.sort(key=lambda c: (_loss(c[0], self.area0), c[0].area))
            chosen = feasible[:tracks]
            new_states = {}
            for pt, parent, i in chosen:
                values = states[parent].copy()
                self.sim.run_pooled(self.sim.downstream[i], self.rids(pt.degrees), values)
                new_states[pt.degrees] = values
            states = new_states
            current = [c[0].degrees for c in chosen]
            best = min([best, *(c[0] for c in feasible)], key=lambda p: p.area)
            yield (f"iteration {iteration}: {len(candidates)} designs, best within threshold "
                   f"{best.area / self.area0:.1%} of the area at error {best.error:.4g}")
            if not limit.count():
                self.stopped_by = limit.stopped_by
                break


def _loss(pt: Point, area0: float) -> float:
    gain = pt.area / area0 - 1.0
    if pt.error <= 0.0:
        return -np.inf if gain < 0 else (0.0 if gain == 0 else np.inf)
    return gain / pt.error


def _expand(rows: np.ndarray, m: int) -> np.ndarray:
    return ((rows[None, :] >> np.arange(m, dtype=np.int64)[:, None]) & 1).astype(np.uint8)


def _unchunk(results: list[list], n: int, jobs: int) -> list:
    chunks = max(1, min(jobs, n))
    out: list = [None] * n
    for c, res in enumerate(results):
        for j, item in enumerate(res):
            out[c + j * chunks] = item
    return out
