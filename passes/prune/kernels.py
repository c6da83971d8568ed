"""Numba kernels of the gate-level search: liveness, reference counts, the area a substitution
frees, similar-signal candidates and the error of many trial substitutions.

Signals are numbered as in `LogicView` (0/1 constants, primary-input bits, one per gate from
`base`), gates are in topological order and every gate reads only lower-numbered signals.
Substituting signal `s` by `r` makes every reader of `s` read `r`; `r < s` keeps that order.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from axc.runtime import simkernels as K
from axc.runtime.row_errors import metric_error, popcount64
from axc.runtime.simgraph import fanout_cone

__all__ = ["freed_area", "live_signals", "nearest_signals", "reference_counts", "try_substitutions"]

_FAR = np.iinfo(np.int64).max
"""Distance of a candidate slot not filled yet."""


@nb.njit(cache=True)
def live_signals(fanin_ptr, fanin, base, n_signals, outputs):
    """Bool per signal: read, directly or not, by some output."""
    live = np.zeros(n_signals, dtype=np.bool_)
    for s in outputs:
        live[s] = True
    for g in range(n_signals - base - 1, -1, -1):
        if live[base + g]:
            for k in range(fanin_ptr[g], fanin_ptr[g + 1]):
                live[fanin[k]] = True
    return live


@nb.njit(cache=True)
def reference_counts(fanin_ptr, fanin, base, n_signals, outputs, live):
    """Readers of every signal among live gates and outputs (a gate reading twice counts twice)."""
    ref = np.zeros(n_signals, dtype=np.int64)
    for s in outputs:
        ref[s] += 1
    for g in range(n_signals - base):
        if live[base + g]:
            for k in range(fanin_ptr[g], fanin_ptr[g + 1]):
                ref[fanin[k]] += 1
    return ref


@nb.njit(cache=True)
def freed_area(s, drop, r, ref, fanin_ptr, fanin, base, area, stack, undo):
    """Area of the gates that die when `drop` readers of `s` move to `r` (`ref` is restored)."""
    ref[r] += drop
    ref[s] -= drop
    total = 0.0
    top = 0
    n_undo = 0
    if ref[s] == 0 and s >= base:
        stack[0] = s
        top = 1
    while top > 0:
        top -= 1
        g = stack[top] - base
        total += area[g]
        for k in range(fanin_ptr[g], fanin_ptr[g + 1]):
            y = fanin[k]
            ref[y] -= 1
            undo[n_undo] = y
            n_undo += 1
            if ref[y] == 0 and y >= base:
                stack[top] = y
                top += 1
    for i in range(n_undo):
        ref[undo[i]] += 1
    ref[s] += drop
    ref[r] -= drop
    return total


@nb.njit(cache=True)
def nearest_signals(targets, limits, candidates, values, count):
    """For each target, the `count` candidates below its limit that agree with it on the most
    vectors (rows of `values`); -1 where fewer exist. Returns (targets × count) signal ids."""
    best = np.full((targets.size, count), -1, dtype=np.int64)
    dist = np.full((targets.size, count), _FAR, dtype=np.int64)
    n_words = values.shape[1]
    for i in range(targets.size):
        s = targets[i]
        for c in candidates:
            if c >= limits[i] or c == s:
                continue
            d = 0
            for w in range(n_words):
                d += popcount64(values[s, w] ^ values[c, w])
            if d >= dist[i, count - 1]:
                continue
            j = count - 1
            while j > 0 and dist[i, j - 1] > d:
                dist[i, j] = dist[i, j - 1]
                best[i, j] = best[i, j - 1]
                j -= 1
            dist[i, j] = d
            best[i, j] = c
    return best


@nb.njit(cache=True)
def try_substitutions(targets, repl, output_bit, order, codes, fanin_ptr, fanin, lut_ptr, lut_bits,
                      base, values, outputs, exact, tail, n_vectors, which):
    """Error (metric `which`) after each trial: output bit `output_bit[i]` reads `repl[i]`
    (when ≥ 0), else every reader of signal `targets[i]` reads `repl[i]`. Trials of one target
    should be adjacent (its fan-out cone is computed once). `values` is restored."""
    n_words = values.shape[1]
    n_out = outputs.size
    fmask = np.zeros(fanin.size, dtype=np.uint64)
    approx = np.empty((n_out, n_words), dtype=np.uint64)
    save = np.empty((order.size + 1, n_words), dtype=np.uint64)
    errs = np.empty(targets.size)
    cone = np.empty(0, dtype=np.int64)
    seed = np.empty(1, dtype=np.int64)
    n_signals = values.shape[0]
    last = -1
    for i in range(targets.size):
        s = targets[i]
        r = repl[i]
        if output_bit[i] >= 0:
            for j in range(n_out):
                src = r if j == output_bit[i] else outputs[j]
                for w in range(n_words):
                    approx[j, w] = values[src, w]
            errs[i] = metric_error(which, exact, approx, tail, n_vectors)
            continue
        if s != last:
            seed[0] = s
            cone = fanout_cone(order, fanin_ptr, fanin, base, n_signals, seed)
            if cone.size and cone[0] == s - base:  # the gate driving s is not re-evaluated
                cone = cone[1:]
            last = s
        for w in range(n_words):
            save[0, w] = values[s, w]
            values[s, w] = values[r, w]
        for c in range(cone.size):
            for w in range(n_words):
                save[c + 1, w] = values[base + cone[c], w]
        K.eval_blocked(cone, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, values,
                       max(1, n_words))  # all words in one block
        for j in range(n_out):
            for w in range(n_words):
                approx[j, w] = values[outputs[j], w]
        errs[i] = metric_error(which, exact, approx, tail, n_vectors)
        for w in range(n_words):
            values[s, w] = save[0, w]
        for c in range(cone.size):
            for w in range(n_words):
                values[base + cone[c], w] = save[c + 1, w]
    return errs
