"""Error kernels on packed output rows (row j = output bit j, LSB first; 64 vectors a word).

All outputs together are read as one unsigned number, output 0 least significant, and numeric
metrics are normalised by 2^outputs, as in `axc.runtime.metrics` (the `bmf` pass re-measures its
result there). |A − E| is computed bit-sliced: a borrow chain over the output rows gives A − E
for 64 vectors at once, and a conditional negation its magnitude.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .metrics import METRICS

__all__ = ["METRICS", "error_of", "metric_error", "popcount64", "tail_mask"]

_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@nb.njit(cache=True)
def popcount64(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@nb.njit(cache=True)
def _errors(exact, approx, tail, n_vectors, numeric=True):
    """hd, er, mae, mre, wce, mse of packed output rows (row j = output bit j, LSB first);
    with `numeric` False only hd and er are computed (the others stay 0)."""
    n_out, n_words = exact.shape
    flips = 0
    wrong = 0
    abs_sum = 0.0
    sq_sum = 0.0
    rel_sum = 0.0
    worst = 0.0
    for w in range(n_words):
        mask = tail if w == n_words - 1 else ~np.uint64(0)
        anyd = np.uint64(0)
        for j in range(n_out):
            d = (exact[j, w] ^ approx[j, w]) & mask
            flips += popcount64(d)
            anyd |= d
        wrong += popcount64(anyd)
        if anyd == 0 or not numeric:
            continue
        for t in range(64):
            if not (anyd >> np.uint64(t)) & np.uint64(1):
                continue
            diff = 0.0
            ref = 0.0
            scale = 1.0
            for j in range(n_out):
                e = np.float64((exact[j, w] >> np.uint64(t)) & np.uint64(1))
                a = np.float64((approx[j, w] >> np.uint64(t)) & np.uint64(1))
                diff += (a - e) * scale
                ref += e * scale
                scale *= 2.0
            ad = abs(diff)
            abs_sum += ad
            sq_sum += diff * diff
            rel_sum += ad / max(1.0, ref)
            if ad > worst:
                worst = ad
    full = 2.0 ** n_out
    out = np.empty(6)
    out[0] = flips / max(1, n_vectors * n_out)
    out[1] = wrong / max(1, n_vectors)
    out[2] = abs_sum / n_vectors / full
    out[3] = rel_sum / n_vectors
    out[4] = worst / full
    out[5] = sq_sum / n_vectors / (full * full)
    return out


@nb.njit(cache=True, inline="always")
def _numeric(exact, approx, tail, n_vectors, which):
    """One numeric metric (2 mae, 3 mre, 4 wce, 5 mse) for outputs of at most 62 bits: |A − E|
    bit-sliced per word, then read per differing lane as an integer."""
    n_out, n_words = exact.shape
    d = np.zeros(n_out, dtype=np.uint64)
    r = np.zeros(n_out, dtype=np.uint64)
    total = 0.0
    worst = 0
    for w in range(n_words):
        mask = tail if w == n_words - 1 else ~np.uint64(0)
        borrow = np.uint64(0)
        anyd = np.uint64(0)
        for j in range(n_out):
            a = approx[j, w]
            e = exact[j, w]
            x = a ^ e
            anyd |= x
            d[j] = x ^ borrow
            borrow = (~a & e) | (~x & borrow)
        anyd &= mask
        if anyd == 0:
            continue
        neg = borrow & mask
        carry = neg
        for j in range(n_out):
            v = d[j] ^ neg
            r[j] = v ^ carry
            carry = v & carry
        for t in range(64):
            bit = np.uint64(1) << np.uint64(t)
            if not anyd & bit:
                continue
            ad = 0
            ref = 0
            for j in range(n_out):
                if r[j] & bit:
                    ad += np.int64(1) << j
                if which == 3 and exact[j, w] & bit:
                    ref += np.int64(1) << j
            if which == 2:
                total += ad
            elif which == 3:
                total += ad / max(1.0, float(ref))
            elif which == 4:
                if ad > worst:
                    worst = ad
            else:
                total += float(ad) * float(ad)
    full = 2.0 ** n_out
    if which == 2:
        return total / n_vectors / full
    if which == 3:
        return total / n_vectors
    if which == 4:
        return worst / full
    return total / n_vectors / (full * full)


@nb.njit(cache=True, inline="always")
def _mae_sliced(exact, approx, tail, n_vectors):
    """Normalised MAE by bit-sliced subtraction and conditional negation (64 lanes per word)."""
    n_out, n_words = exact.shape
    d = np.zeros(n_out, dtype=np.uint64)
    total = 0
    for w in range(n_words):
        mask = tail if w == n_words - 1 else ~np.uint64(0)
        borrow = np.uint64(0)
        for j in range(n_out):
            a = approx[j, w]
            e = exact[j, w]
            x = a ^ e
            d[j] = x ^ borrow
            borrow = (~a & e) | (~x & borrow)
        neg = borrow & mask
        carry = neg
        for j in range(n_out):
            v = d[j] ^ neg
            r = v ^ carry
            carry = v & carry
            total += popcount64(r & mask) << j
    return total / n_vectors / 2.0 ** n_out


@nb.njit(cache=True)
def metric_error(which, exact, approx, tail, n_vectors):
    """One metric, `METRICS[which]`, between packed exact and approximate output rows (the
    bit-sliced kernels when the outputs fit in 62 bits)."""
    n_out = exact.shape[0]
    if which == 2 and n_out <= 62:
        return _mae_sliced(exact, approx, tail, n_vectors)
    if which >= 2 and n_out <= 62:
        return _numeric(exact, approx, tail, n_vectors, which)
    return _errors(exact, approx, tail, n_vectors, which >= 2)[which]


def error_of(exact: np.ndarray, approx: np.ndarray, n_vectors: int) -> dict[str, float]:
    """Every metric between packed exact and approximate output rows (all outputs form one
    unsigned number, output 0 least significant; numeric metrics normalised by 2^outputs)."""
    tail = tail_mask(n_vectors)
    return dict(zip(METRICS, _errors(exact, approx, tail, n_vectors).tolist()))


def tail_mask(n_vectors: int) -> np.uint64:
    r = n_vectors % 64
    return np.uint64((1 << r) - 1) if r else _ALL
