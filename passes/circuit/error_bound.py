"""The error of a written design, bounded on vectors its search never used.

The circuit passes search on samples, but the design they write is checked again here:

* up to 24 input bits, exhaustively (all 2^n vectors, a slice of 2^20 at a time): the exact
  figure, and the bound is the figure itself;
* above, on `fresh` random vectors (10^6 by default) from a seed stream the search never draws
  from: the estimate and a one-sided 99 % upper confidence bound: the Wilson score bound for
  `er`, mean + z·s/√n (normal approximation) for the other mean metrics;
* `wce` is never sampled: exhaustive up to 24 inputs, above by a SAT proof that no input gives
  a larger error (a Yosys miter with a threshold comparator).

A design is accepted when its bound is within the threshold. `certify` starts from the chosen
design and, while the bound fails, falls back to the smallest design whose searched error is
lower by at least the excess just seen (the original circuit, unchanged, always holds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from axc.ir import Module
from axc.ir.views import LogicView
from axc.runtime.equiv import prove_error_within
from axc.runtime.error_sums import ErrorSums
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.simvectors import MAX_EXHAUSTIVE_INPUTS, exhaustive_words, n_words_for, tail_mask

__all__ = ["FRESH_VECTORS", "PROOF_SECONDS", "Candidate", "Certified", "ErrorBound", "LogicReference", "bound_error",
           "certify", "compared_slices", "keep_if_same_error", "log_bound", "vector_slices"]

FRESH_VECTORS = 1_000_000
"""Fresh random vectors that bound the error of a design with more than 24 input bits."""
CONFIDENCE = 0.99
_Z = 2.3263478740408408  # the standard normal quantile of CONFIDENCE
_FRESH_STREAM = 0xF7E5  # mixed into the seed: these vectors are never the search's
_CHUNK_WORDS = 1 << 14  # 2^20 vectors per simulated slice
PROOF_SECONDS = 60.0
"""How long a SAT proof of a wce bound may run before the design counts as unproven."""

OutputPair = Callable[[VectorSet], tuple[np.ndarray, np.ndarray]]
"""Packed (exact, approximate) output rows of the two designs on a slice of vectors."""


@dataclass(frozen=True)
class ErrorBound:
    """How large a design's error can be, and how that was established."""

    metric: str
    estimate: float
    bound: float
    vectors: int
    method: str
    threshold: float
    seed: int | None = None

    @property
    def holds(self) -> bool:
        return self.bound <= self.threshold * (1 + 1e-12)

    def describe(self) -> str:
        if self.method == "exhaustive":
            return f"{self.metric} {self.estimate:.4g} on all {self.vectors} input vectors (exhaustive)"
        if self.method == "unchanged":
            return f"{self.metric} 0 (the circuit is unchanged)"
        if self.method == "sat":
            return (f"{self.metric} ≤ {self.threshold:.4g} proven by SAT for every input "
                    f"({self.estimate:.4g} largest on {self.vectors} fresh vectors)")
        return (f"{self.metric} {self.estimate:.4g}, {100 * CONFIDENCE:.0f} % upper bound {self.bound:.4g} "
                f"on {self.vectors} fresh random vectors (seed {self.seed})")

    def to_dict(self) -> dict[str, Any]:
        how = {"exhaustive": "exhaustive simulation of every input vector",
               "sample": (f"one-sided {100 * CONFIDENCE:.0f} % upper confidence bound on fresh random vectors "
                          + ("(Wilson score)" if self.metric == "er" else "(normal approximation, mean + z s / sqrt n)")),
               "sat": "SAT proof on a miter with a threshold comparator (Yosys), no input exceeds the bound",
               "unchanged": "the original circuit: no error"}
        return {"metric": self.metric, "estimate": self.estimate, "bound": self.bound, "threshold": self.threshold,
                "holds": self.holds, "vectors": self.vectors, "method": self.method,
                "how": how[self.method], "seed": self.seed}


def vector_slices(n_inputs: int, seed: int = 0, fresh: int = FRESH_VECTORS) -> Iterator[VectorSet]:
    """The bound's vectors a slice at a time: every input vector up to 24 input bits, else
    `fresh` random ones from a stream of `seed` the search never draws from."""
    if n_inputs <= MAX_EXHAUSTIVE_INPUTS:
        total = n_words_for(1 << n_inputs)
        for first in range(0, total, _CHUNK_WORDS):
            count = min(_CHUNK_WORDS, total - first)
            n = min(count * 64, (1 << n_inputs) - first * 64)
            words = exhaustive_words(n_inputs, first, count) & tail_mask(n)
            yield VectorSet.from_words(words, n, "exhaustive")
        return
    rng = np.random.default_rng([seed, _FRESH_STREAM])
    for start in range(0, fresh, _CHUNK_WORDS * 64):
        n = min(_CHUNK_WORDS * 64, fresh - start)
        words = rng.integers(0, 1 << 64, size=(n_inputs, n_words_for(n)), dtype=np.uint64, endpoint=False)
        yield VectorSet.from_words(words & tail_mask(n), n, "random", seed)


def _wilson_upper(p: float, n: int) -> float:
    z2 = _Z * _Z
    centre = p + z2 / (2 * n)
    spread = _Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z2 / n))


def compared_slices(n_inputs: int, outputs: OutputPair, seed: int = 0, fresh: int = FRESH_VECTORS
                    ) -> Iterator[tuple[VectorSet, np.ndarray, np.ndarray]]:
    """(vectors, exact rows, approximate rows) slice by slice on the bound's vectors."""
    for vectors in vector_slices(n_inputs, seed, fresh):
        yield (vectors, *outputs(vectors))


def bound_error(n_inputs: int, compared: Iterable[tuple[VectorSet, np.ndarray, np.ndarray]], metric: str,
                threshold: float, seed: int = 0, prove: Callable[[float], bool | None] | None = None
                ) -> ErrorBound:
    """The bound of `metric` from the `compared` slices (see the module docstring).
    `prove(threshold)` proves wce ≤ threshold for every input above 24 input bits (True),
    disproves it (False) or gives up (None)."""
    sums = ErrorSums()
    for vectors, exact, approx in compared:
        sums.add(exact, approx, vectors.n_vectors)
    estimate = sums.mean(metric)
    if n_inputs <= MAX_EXHAUSTIVE_INPUTS:
        return ErrorBound(metric, estimate, estimate, sums.n_vectors, "exhaustive", threshold)
    if metric == "wce":
        proven = prove(threshold) if prove is not None and estimate <= threshold else False
        return ErrorBound(metric, estimate, threshold if proven else math.inf, sums.n_vectors, "sat",
                          threshold, seed)
    n = max(1, sums.count(metric))
    bound = (_wilson_upper(estimate, n) if metric == "er"
             else estimate + _Z * sums.std(metric) / math.sqrt(n))
    return ErrorBound(metric, estimate, bound, sums.n_vectors, "sample", threshold, seed)


class LogicReference:
    """The original circuit and its outputs on the bound's vectors, simulated once (timed in
    `seconds`) for every gate-level design bounded against it. Both simulations spread their
    vector blocks over every core (numba threads)."""

    def __init__(self, original: Module, view: LogicView, seed: int = 0, fresh: int = FRESH_VECTORS) -> None:
        self.original, self.view, self.seed, self.fresh = original, view, seed, fresh
        self._slices: list[tuple[VectorSet, np.ndarray]] | None = None
        self.seconds = 0.0

    def slices(self) -> list[tuple[VectorSet, np.ndarray]]:
        if self._slices is None:
            started = time.monotonic()
            gold = Simulator(self.view)
            self._slices = [(vs, gold.run(vs, keep_signals=False, threads=0).packed)
                            for vs in vector_slices(self.view.n_inputs, self.seed, self.fresh)]
            self.seconds = time.monotonic() - started
        return self._slices

    def bound(self, module: Module, metric: str, threshold: float) -> ErrorBound:
        """`bound_error` of the top graph of `module` against the original."""
        gate = Simulator(LogicView.from_graph(module.top_graph))
        width = sum(w for _, w in self.view.output_ports)

        def prove(limit: float) -> bool | None:
            return prove_error_within(self.original, module, int(math.floor(limit * 2.0 ** width)), PROOF_SECONDS)

        compared = ((vs, exact, gate.run(vs, keep_signals=False, threads=0).packed) for vs, exact in self.slices())
        return bound_error(self.view.n_inputs, compared, metric, threshold, self.seed, prove)


@dataclass(frozen=True)
class Candidate:
    """A design a search found: its searched error, its (proxy) area and how to build it.
    `unchanged` marks the original circuit."""

    key: Any
    error: float
    area: float
    build: Callable[[], Module]
    unchanged: bool = False


@dataclass
class Certified:
    """The design accepted, its module and bound, and the bounds of the designs refused."""

    candidate: Candidate
    module: Module
    bound: ErrorBound
    refused: list[ErrorBound]

    def report(self) -> dict[str, Any]:
        return {**self.bound.to_dict(), "refused": [b.to_dict() for b in self.refused]}


def certify(chosen: Candidate, others: Iterable[Candidate], bound_of: Callable[[Module], ErrorBound],
            metric: str, threshold: float) -> Certified:
    """The first design whose bound holds, from `chosen` on (see the module docstring)."""
    pool = sorted(others, key=lambda c: (c.area, c.error))
    original = next(c for c in pool if c.unchanged)
    current, refused = chosen, []
    while True:
        module = current.build()
        if current.unchanged:
            return Certified(current, module, ErrorBound(metric, 0.0, 0.0, 0, "unchanged", threshold), refused)
        bound = bound_of(module)
        if bound.holds:
            return Certified(current, module, bound, refused)
        refused.append(bound)
        if math.isfinite(bound.bound):
            target = threshold - (bound.bound - current.error)
            lower = [c for c in pool if c.error <= target and c.error < current.error]
        else:  # unproven: the next design of lower error
            lower = [c for c in pool if c.error < current.error]
        current = lower[0] if lower else original


def log_bound(ctx: Any, pass_name: str, certified: Certified) -> None:
    """One line for the bound of the written design, and one for designs it refused."""
    ctx.log(f"{pass_name}: written design: {certified.bound.describe()}")
    if certified.refused:
        worst = certified.refused[0]
        ctx.log(f"{pass_name}: {len(certified.refused)} smaller design(s) refused: their bound exceeded "
                f"{worst.threshold:g} on vectors the search never saw (first: {worst.describe()})")


def keep_if_same_error(reference: LogicReference, certified: Certified, fresh: Module, metric: str) -> bool:
    """Whether `fresh` (an exact rewrite of the certified design) has the same error on the
    bound's vectors; when it does, it becomes the certified design."""
    if certified.bound.method == "unchanged":
        return False
    bound = reference.bound(fresh, metric, certified.bound.threshold)
    if not bound.holds or abs(bound.estimate - certified.bound.estimate) > 1e-15:
        return False
    certified.module, certified.bound = fresh, bound
    return True
