"""Per-vector error sums between packed exact and approximate outputs, accumulated over chunks.

All output bits together are read as one unsigned number R (output 0 least significant), as
`axc.runtime.metrics` reads the overall word. For every vector the sums keep the error value of
each metric and its square, so that a chunked run over 2^24 vectors gives the exact mean, and a
sample gives the mean with its standard deviation (for a confidence bound):

* er: 1 when any bit differs; hd: differing bits / m; mae: |R' − R| / 2^m;
* mre: |R' − R| / R over the vectors with R ≠ 0; mse: (R' − R)² / 4^m; wce: max |R' − R| / 2^m.

Differences wider than 53 bits are summed in float64 (rounded in the last place).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba as nb
import numpy as np

from .row_errors import popcount64, tail_mask

__all__ = ["ErrorSums"]

# accumulator slots
_N, _ER, _HD, _HD2, _MAE, _MAE2, _MRE, _MRE2, _NREL, _MSE, _MSE2, _WCE = range(12)


@nb.njit(cache=True)
def _accumulate(exact, approx, tail, sums):
    n_out, n_words = exact.shape
    full = 2.0 ** n_out
    for w in range(n_words):
        mask = tail if w == n_words - 1 else ~np.uint64(0)
        anyd = np.uint64(0)
        nonzero = np.uint64(0)
        for j in range(n_out):
            anyd |= exact[j, w] ^ approx[j, w]
            nonzero |= exact[j, w]
        anyd &= mask
        sums[_N] += popcount64(mask)
        sums[_NREL] += popcount64(nonzero & mask)
        if anyd == 0:
            continue
        sums[_ER] += popcount64(anyd)
        for t in range(64):
            bit = np.uint64(1) << np.uint64(t)
            if not anyd & bit:
                continue
            flips = 0
            diff = 0.0
            ref = 0.0
            scale = 1.0
            for j in range(n_out):
                e = (exact[j, w] & bit) != 0
                a = (approx[j, w] & bit) != 0
                if e != a:
                    flips += 1
                    diff += scale if a else -scale
                if e:
                    ref += scale
                scale *= 2.0
            hd = flips / n_out
            ad = abs(diff) / full
            sq = ad * ad
            sums[_HD] += hd
            sums[_HD2] += hd * hd
            sums[_MAE] += ad
            sums[_MAE2] += ad * ad
            sums[_MSE] += sq
            sums[_MSE2] += sq * sq
            if ref > 0:
                rel = abs(diff) / ref
                sums[_MRE] += rel
                sums[_MRE2] += rel * rel
            if ad > sums[_WCE]:
                sums[_WCE] = ad


_SLOTS = {"er": (_ER, _ER, _N), "hd": (_HD, _HD2, _N), "mae": (_MAE, _MAE2, _N),
          "mre": (_MRE, _MRE2, _NREL), "mse": (_MSE, _MSE2, _N)}


@dataclass
class ErrorSums:
    """Running sums of every metric's per-vector error (see the module docstring)."""

    sums: np.ndarray = field(default_factory=lambda: np.zeros(12))

    def add(self, exact: np.ndarray, approx: np.ndarray, n_vectors: int) -> None:
        """Add one chunk: packed rows (output bit × word) of `n_vectors` vectors."""
        _accumulate(np.ascontiguousarray(exact), np.ascontiguousarray(approx), tail_mask(n_vectors), self.sums)

    @property
    def n_vectors(self) -> int:
        return int(self.sums[_N])

    def count(self, metric: str) -> int:
        """How many vectors the metric averages over (mre: those with a non-zero exact output)."""
        return int(self.sums[_SLOTS[metric][2]]) if metric in _SLOTS else self.n_vectors

    def mean(self, metric: str) -> float:
        """The metric over the vectors so far (wce: the largest normalised error seen)."""
        if metric == "wce":
            return float(self.sums[_WCE])
        total, _, n_slot = _SLOTS[metric]
        return float(self.sums[total] / max(1.0, self.sums[n_slot]))

    def std(self, metric: str) -> float:
        """Sample standard deviation of the per-vector error (0 for wce)."""
        if metric == "wce":
            return 0.0
        total, squares, n_slot = _SLOTS[metric]
        n = self.sums[n_slot]
        if n < 2:
            return 0.0
        mean = self.sums[total] / n
        return float(np.sqrt(max(0.0, (self.sums[squares] - n * mean * mean) / (n - 1))))
