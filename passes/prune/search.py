"""Greedy gate-level approximation: substitute signals by constants or by similar signals.

Each step tries, for every live gate signal `s`, making all its readers read constant 0,
constant 1 or one of the `candidates` earlier signals that agree with `s` on the most sample
vectors; and for every output bit, reading a constant or one of the signals most similar to
it. A trial's error is that of the whole circuit (its fan-out cone re-simulated on the sample
vectors) and its gain the proxy area of the gates left without readers. The `verify` best
trials by error added per area freed are measured again on all vectors and the best of those
within the threshold is applied, followed by constant propagation (`simplify`). Every applied
step is a design on the explored trajectory, from the starting circuit down to the threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from axc.ir import Module
from axc.ir.views import LogicView
from axc.runtime import simkernels as K
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.row_errors import METRICS, metric_error, tail_mask

from ..bmf.partsim import Netlist
from ..bmf.rebuild import replace_top
from ..bmf.synth import gate_area
from ..infra.budget import SearchLimit
from .kernels import (
    RESUB_FUNCTIONS,
    best_resubstitutions,
    freed_area,
    freed_by_rewrite,
    live_signals,
    nearest_signals,
    reference_counts,
    try_substitutions,
)
from .simplify import AND, BUF, NAND, NARY, NOT, effective_inputs, simplify

__all__ = ["GateSearch", "Move", "Step"]

_SAMPLE_MARGIN = 1.25
"""Moves whose error on the ranking sample is up to this factor over the threshold are still
measured on all vectors."""
_SIMILARITY_WORDS = 16
"""Sample words (64 vectors each) compared when ranking similar signals."""
_RESUB_KEEP = 2
"""Resubstitutions (function of two similar signals) tried per gate and step."""
_RESUB_FUNCTIONS = np.array(RESUB_FUNCTIONS, dtype=np.int64)


@dataclass(frozen=True)
class Move:
    """Readers of `signal` (or only output bit `output_bit` when ≥ 0) read `replacement`; with a
    gate code `function` ≠ 0, gate `signal` becomes that gate of `replacement` (and `second`)
    instead: an approximate resubstitution."""

    signal: int
    replacement: int
    output_bit: int = -1
    second: int = -1
    function: int = 0


@dataclass(frozen=True)
class Step:
    """One design of the trajectory: the moves so far, its measured error and proxy area."""

    moves: int
    error: float
    area: float


class _Words:
    """Signal words of the current design on one vector set, and the exact outputs."""

    def __init__(self, search: GateSearch, vectors: VectorSet, reference: LogicView | None) -> None:
        self.n_vectors = vectors.n_vectors
        self.tail = tail_mask(vectors.n_vectors)
        self.values = np.zeros((search.n_signals, vectors.n_words), dtype=np.uint64)
        self.values[1] = ~np.uint64(0)
        self.values[2:search.base] = vectors.words
        search.evaluate(self.values)
        if reference is None:
            self.exact = np.ascontiguousarray(self.values[search.outputs])
        else:
            self.exact = np.ascontiguousarray(Simulator(reference).run(vectors, keep_signals=False).packed)

    def error(self, search: GateSearch) -> float:
        return float(metric_error(search.which, self.exact, np.ascontiguousarray(self.values[search.outputs]),
                                  self.tail, self.n_vectors))


class GateSearch:
    """The state of one greedy gate-level search (see the module docstring)."""

    def __init__(self, view: LogicView, vectors: VectorSet, metric: str, sample: int = 8192, seed: int = 0,
                 candidates: int = 4, verify: int = 8, reference: LogicView | None = None,
                 resub: bool = True) -> None:
        """Search from the circuit `view`; errors are against `reference` (same ports), by
        default `view` itself. `resub` adds approximate resubstitution moves: a gate becomes a
        one- or two-input function of signals similar to it."""
        self.resub = resub
        self.base = view.first_gate_signal
        self.n_signals = view.n_signals
        self.which = METRICS.index(metric)
        self.candidates = candidates
        self.verify = verify
        self._initial = (np.ascontiguousarray(view.codes, dtype=np.int8).copy(),
                         np.ascontiguousarray(view.fanin, dtype=np.int64).copy(),
                         np.ascontiguousarray(view.outputs, dtype=np.int64).copy())
        self.fanin_ptr = np.ascontiguousarray(view.fanin_ptr, dtype=np.int64)
        self.lut_ptr = np.ascontiguousarray(view.lut_ptr, dtype=np.int64)
        self.lut_bits = np.ascontiguousarray(view.lut_bits, dtype=np.uint8)
        self.codes, self.fanin, self.outputs = (a.copy() for a in self._initial)
        self.full = _Words(self, vectors, reference)
        self.sample = (self.full if vectors.n_vectors <= sample
                       else _Words(self, VectorSet.random(view, sample, seed), reference))
        self.moves: list[Move] = []
        self.steps: list[Step] = [Step(0, self.full.error(self), self.area())]
        self.stopped_by: str | None = None
        """The limit that stopped `iterate` (`time_budget`, `max_iterations`), or None."""

    # ------------------------------------------------------------------ state
    def evaluate(self, values: np.ndarray) -> None:
        order = np.arange(self.codes.size, dtype=np.int64)
        K.eval_blocked(order, self.codes, self.fanin_ptr, self.fanin, np.zeros(self.fanin.size, np.uint64),
                       self.lut_ptr, self.lut_bits, self.base, values, 64)

    def live(self) -> np.ndarray:
        return live_signals(self.fanin_ptr, self.fanin, self.base, self.n_signals, self.outputs)

    def gate_areas(self, live: np.ndarray) -> np.ndarray:
        areas = np.zeros(self.codes.size)
        for g in np.flatnonzero(live[self.base:]).tolist():
            ins = self.fanin[self.fanin_ptr[g]:self.fanin_ptr[g + 1]]
            areas[g] = gate_area(int(self.codes[g]), effective_inputs(ins))
        return areas

    def area(self) -> float:
        return float(self.gate_areas(self.live()).sum())

    def apply(self, move: Move) -> None:
        """Apply one move and simplify (values are not updated: see `step`)."""
        if move.output_bit >= 0:
            self.outputs[move.output_bit] = move.replacement
        elif move.function:
            g = move.signal - self.base
            p, q = int(self.fanin_ptr[g]), int(self.fanin_ptr[g + 1])
            ins = [move.replacement] + ([move.second] if move.second >= 0 else [])
            pad = move.replacement if move.function == NOT else (1 if move.function in (AND, NAND) else 0)
            self.codes[g] = move.function
            self.fanin[p:q] = ins + [pad] * (q - p - len(ins))
        else:
            self.fanin[self.fanin == move.signal] = move.replacement
            self.outputs[self.outputs == move.signal] = move.replacement
        simplify(self.codes, self.fanin_ptr, self.fanin, self.outputs, self.base, self.live())

    def replay(self, moves: int) -> None:
        """Go back to the start and apply the first `moves` moves (the design of that step)."""
        self.codes, self.fanin, self.outputs = (a.copy() for a in self._initial)
        for move in self.moves[:moves]:
            self.apply(move)

    def netlist(self) -> Netlist:
        """The current design with only its live gates, renumbered (inputs as in the view)."""
        live = self.live()
        keep = np.flatnonzero(live[self.base:])
        new_id = np.arange(self.n_signals, dtype=np.int64)
        new_id[self.base + keep] = self.base + np.arange(keep.size)
        fan = [_gate_inputs(int(self.codes[g]), new_id[self.fanin[self.fanin_ptr[g]:self.fanin_ptr[g + 1]]])
               for g in keep.tolist()]
        luts = [self.lut_bits[self.lut_ptr[g]:self.lut_ptr[g + 1]] for g in keep.tolist()]
        return Netlist(
            k=self.base - 2, codes=self.codes[keep].copy(),
            fanin_ptr=np.concatenate([[0], np.cumsum([f.size for f in fan])]).astype(np.int64),
            fanin=np.concatenate(fan).astype(np.int64) if fan else np.zeros(0, np.int64),
            lut_ptr=np.concatenate([[0], np.cumsum([t.size for t in luts])]).astype(np.int64),
            lut_bits=np.concatenate(luts).astype(np.uint8) if luts else np.zeros(0, np.uint8),
            outputs=new_id[self.outputs].copy(), area=self.steps[-1].area,
        )

    # ------------------------------------------------------------------ search
    def _trials(self, live: np.ndarray) -> tuple[list[Move], np.ndarray]:
        ref = reference_counts(self.fanin_ptr, self.fanin, self.base, self.n_signals, self.outputs, live)
        areas = self.gate_areas(live)
        targets = self.base + np.flatnonzero(live[self.base:])
        pool = np.concatenate([np.arange(2, self.base), targets]).astype(np.int64)
        words = self.sample.values[:, :_SIMILARITY_WORDS]
        near = nearest_signals(targets, targets, pool, words, self.candidates)
        out_near = nearest_signals(self.outputs, np.full(self.outputs.size, self.n_signals), pool, words,
                                   self.candidates)
        stack = np.empty(self.codes.size + 1, dtype=np.int64)
        undo = np.empty(self.fanin.size + self.outputs.size + 1, dtype=np.int64)
        moves: list[Move] = []
        gains: list[float] = []
        for i, s in enumerate(targets.tolist()):
            for r in (0, 1, *near[i].tolist()):
                if r < 0:
                    continue
                gain = freed_area(s, ref[s], r, ref, self.fanin_ptr, self.fanin, self.base, areas, stack, undo)
                if gain > 0:
                    moves.append(Move(s, r))
                    gains.append(gain)
        if self.resub:
            self._resub_trials(targets, pool, words, near, ref, areas, stack, undo, moves, gains)
        for o, s in enumerate(self.outputs.tolist()):
            for r in (0, 1, *out_near[o].tolist()):
                if r < 0 or r == s:
                    continue
                gain = freed_area(s, 1, r, ref, self.fanin_ptr, self.fanin, self.base, areas, stack, undo)
                if gain > 0:
                    moves.append(Move(s, r, o))
                    gains.append(gain)
        return moves, np.array(gains)

    def _resub_trials(self, targets: np.ndarray, pool: np.ndarray, words: np.ndarray, near: np.ndarray,
                      ref: np.ndarray, areas: np.ndarray, stack: np.ndarray, undo: np.ndarray,
                      moves: list[Move], gains: list[float]) -> None:
        """Resubstitution moves: each gate as the function of two signals near it (or of their
        complements, or NOT of one) that disagrees with it least on the ranking words."""
        near_inverted = nearest_signals(targets, targets, pool, words, self.candidates, True)
        picks, _ = best_resubstitutions(targets, np.concatenate([near, near_inverted], axis=1), words,
                                        _RESUB_FUNCTIONS, _RESUB_KEEP)
        for i, s in enumerate(targets.tolist()):
            g = s - self.base
            slots = int(self.fanin_ptr[g + 1] - self.fanin_ptr[g])
            for d1, d2, func in picks[i].tolist():
                n_in = 1 if d2 < 0 else 2
                if d1 < 0 or slots < n_in:
                    continue
                gain = (freed_by_rewrite(s, d1, d2, ref, self.fanin_ptr, self.fanin, self.base, areas, stack, undo)
                        + areas[g] - gate_area(func, n_in))
                if gain > 1e-9:
                    moves.append(Move(s, d1, -1, d2, func))
                    gains.append(gain)

    def _errors(self, words: _Words, moves: list[Move], live: np.ndarray) -> np.ndarray:
        order = np.flatnonzero(live[self.base:]).astype(np.int64)
        return try_substitutions(
            np.array([m.signal for m in moves], dtype=np.int64),
            np.array([m.replacement for m in moves], dtype=np.int64),
            np.array([m.output_bit for m in moves], dtype=np.int64),
            order, self.codes, self.fanin_ptr, self.fanin, self.lut_ptr, self.lut_bits, self.base,
            words.values, self.outputs, words.exact, words.tail, words.n_vectors, self.which,
            np.array([m.second for m in moves], dtype=np.int64),
            np.array([m.function for m in moves], dtype=np.int64))

    def step(self, threshold: float) -> bool:
        """Apply the best move within `threshold`; False when none is left."""
        live = self.live()
        moves, gains = self._trials(live)
        if not moves:
            return False
        current = self.steps[-1].error
        sample_now = self.sample.error(self)
        est = self._errors(self.sample, moves, live)
        score = (est - sample_now) / gains
        # near the threshold the best ratios overshoot it: rank only moves that may fit (sampled
        # estimates get a margin for sampling noise; all vectors decide)
        margin = 1.0 if self.sample is self.full else _SAMPLE_MARGIN
        fits = np.flatnonzero(est <= threshold * margin)
        order = fits[np.lexsort((-gains[fits], score[fits]))]
        for start in range(0, min(order.size, 4 * self.verify), self.verify):
            picks = order[start:start + self.verify]
            chosen = [moves[i] for i in picks.tolist()]
            exact = est[picks] if self.sample is self.full else self._errors(self.full, chosen, live)
            ok = exact <= threshold
            if not ok.any():
                continue
            full_score = np.where(ok, (exact - current) / gains[picks], np.inf)
            best = int(np.lexsort((-gains[picks], full_score))[0])
            self.moves.append(chosen[best])
            self.apply(chosen[best])
            for words in {id(self.full): self.full, id(self.sample): self.sample}.values():
                self.evaluate(words.values)
            self.steps.append(Step(len(self.moves), self.full.error(self), self.area()))
            return True
        return False

    @property
    def stopped_by_budget(self) -> bool:
        return self.stopped_by == "time_budget"

    def iterate(self, threshold: float, limit: SearchLimit | float = 0.0) -> Iterator[str]:
        """Apply moves until none fits within `threshold` or `limit` (seconds, or a
        `SearchLimit` whose iterations count moves) stops it; one progress line per step."""
        limit = limit if isinstance(limit, SearchLimit) else SearchLimit(float(limit))
        while self.step(threshold):
            s = self.steps[-1]
            yield f"step {s.moves}: error {s.error:.4g}, area {s.area:.1f}"
            if not limit.count():
                self.stopped_by = limit.stopped_by
                return

    # ------------------------------------------------------------------ results
    def smallest_within(self, threshold: float, count: int) -> list[Step]:
        """The `count` steps of smallest proxy area whose error is within `threshold`."""
        ok = [s for s in self.steps if s.error <= threshold]
        return sorted(ok, key=lambda s: (s.area, s.error))[:max(1, count)]

    def design(self, start: Module, step: Step) -> Module:
        """A copy of `start` (the module searched from) holding the design of `step`."""
        self.replay(step.moves)
        copy = start.clone()
        replace_top(copy, self.netlist())
        return copy


def _gate_inputs(code: int, ins: np.ndarray) -> np.ndarray:
    """Fan-ins as the IR gate takes them: one for NOT/BUF; no padding constants for n-ary gates
    (after `simplify` a constant fan-in of a live AND/OR/XOR-like gate is its identity)."""
    if code in (NOT, BUF):
        return ins[:1]
    if code in NARY:
        kept = ins[ins >= 2]
        return kept if kept.size >= 2 else ins
    return ins
