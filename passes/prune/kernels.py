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

__all__ = ["best_resubstitutions", "freed_area", "freed_by_rewrite", "live_signals", "nearest_signals",
           "reference_counts", "try_substitutions"]

# gate codes of `axc.ir.views.GATE_CODES` a resubstitution may give a gate (0: plain substitution)
_SUBST, _NOT, _AND, _OR, _XOR, _NAND, _NOR, _XNOR = 0, 2, 3, 4, 5, 6, 7, 8
RESUB_FUNCTIONS = (_AND, _OR, _XOR, _NAND, _NOR, _XNOR)
"""Two-input functions tried by approximate resubstitution (NOT for one input)."""

_ER = 1
"""Index of the error rate in `axc.runtime.row_errors.METRICS`."""

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
def _dead_area(top, n_undo, ref, fanin_ptr, fanin, base, area, stack, undo):
    """Pop the gates on `stack` (their readers gone), freeing their fan-ins in turn: the area of
    every gate that dies, and the count of `undo` entries (reference counts to give back)."""
    total = 0.0
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
    return total, n_undo


@nb.njit(cache=True)
def freed_area(s, drop, r, ref, fanin_ptr, fanin, base, area, stack, undo):
    """Area of the gates that die when `drop` readers of `s` move to `r` (`ref` is restored)."""
    ref[r] += drop
    ref[s] -= drop
    top = 0
    if ref[s] == 0 and s >= base:
        stack[0] = s
        top = 1
    total, n_undo = _dead_area(top, 0, ref, fanin_ptr, fanin, base, area, stack, undo)
    for i in range(n_undo):
        ref[undo[i]] += 1
    ref[s] += drop
    ref[r] -= drop
    return total


@nb.njit(cache=True)
def _make_room(scores, items, score):
    """Insert `score` into the ascending `scores` (dropping the last), shifting `items` alike;
    the slot where the new item goes."""
    j = scores.size - 1
    while j > 0 and scores[j - 1] > score:
        scores[j] = scores[j - 1]
        items[j] = items[j - 1]
        j -= 1
    scores[j] = score
    return j


@nb.njit(cache=True)
def nearest_signals(targets, limits, candidates, values, count, inverted=False):
    """For each target, the `count` candidates below its limit that agree with it (with its
    complement when `inverted`) on the most vectors (rows of `values`); -1 where fewer exist.
    Returns (targets × count) signal ids."""
    best = np.full((targets.size, count), -1, dtype=np.int64)
    dist = np.full((targets.size, count), _FAR, dtype=np.int64)
    n_words = values.shape[1]
    flip = ~np.uint64(0) if inverted else np.uint64(0)
    for i in range(targets.size):
        s = targets[i]
        for c in candidates:
            if c >= limits[i] or c == s:
                continue
            d = 0
            for w in range(n_words):
                d += popcount64(values[s, w] ^ values[c, w] ^ flip)
            if d < dist[i, count - 1]:
                best[i, _make_room(dist[i], best[i], d)] = c
    return best


@nb.njit(cache=True, inline="always")
def _function_word(func, a, b):
    """One word of gate `func` on words `a`, `b` (plain substitution: `a`)."""
    if func == _NOT:
        return ~a
    if func == _AND:
        return a & b
    if func == _OR:
        return a | b
    if func == _XOR:
        return a ^ b
    if func == _NAND:
        return ~(a & b)
    if func == _NOR:
        return ~(a | b)
    if func == _XNOR:
        return ~(a ^ b)
    return a


@nb.njit(cache=True)
def freed_by_rewrite(s, d1, d2, ref, fanin_ptr, fanin, base, area, stack, undo):
    """Area of the gates that die when gate `s` stops reading its fan-ins and reads `d1` (and
    `d2` when ≥ 0) instead; `s` itself stays (`ref` is restored)."""
    ref[d1] += 1
    if d2 >= 0:
        ref[d2] += 1
    stack[0] = s  # s is popped like a dead gate (its fan-ins lose a reader), but it stays
    total, n_undo = _dead_area(1, 0, ref, fanin_ptr, fanin, base, area, stack, undo)
    total -= area[s - base]
    for i in range(n_undo):
        ref[undo[i]] += 1
    ref[d1] -= 1
    if d2 >= 0:
        ref[d2] -= 1
    return total


@nb.njit(cache=True)
def best_resubstitutions(targets, divisors, values, functions, keep):
    """For each target, the `keep` (d1, d2, function) whose function of two divisors (a row of
    `divisors`, -1 = none; NOT of one divisor too) disagrees with the target on the fewest
    vectors of `values`, and that count: (targets × keep × 3) ids, (targets × keep) counts."""
    picks = np.full((targets.size, keep, 3), -1, dtype=np.int64)
    miss = np.full((targets.size, keep), _FAR, dtype=np.int64)
    n_words = values.shape[1]
    for i in range(targets.size):
        s = targets[i]
        row = divisors[i]
        for a in range(row.size):
            if row[a] < 0:
                continue
            for b in range(a, row.size):
                if row[b] < 0:
                    continue
                n_funcs = 1 if a == b else functions.size
                for f in range(n_funcs):
                    func = _NOT if a == b else functions[f]
                    d = 0
                    for w in range(n_words):
                        d += popcount64(values[s, w] ^ _function_word(func, values[row[a], w], values[row[b], w]))
                    if d >= miss[i, keep - 1]:
                        continue
                    j = _make_room(miss[i], picks[i], d)
                    picks[i, j, 0] = row[a]
                    picks[i, j, 1] = row[b] if a != b else -1
                    picks[i, j, 2] = func
    return picks, miss


@nb.njit(cache=True)
def try_substitutions(targets, repl, output_bit, order, codes, fanin_ptr, fanin, lut_ptr, lut_bits,
                      base, values, outputs, exact, tail, n_vectors, which, second, func):
    """Error (metric `which`) after each trial: output bit `output_bit[i]` reads `repl[i]`
    (when ≥ 0), else every reader of signal `targets[i]` reads `repl[i]`, or, with a gate code
    `func[i]` ≠ 0, gate `targets[i]` becomes that gate of `repl[i]` (and `second[i]`).

    A trial changes signal s only where its new value differs, and there it flips s; so the
    fan-out cone of s is simulated once per target, with s complemented, and every trial's
    outputs are the current ones with the flipped ones taken where its new value differs (its
    replacements lie below s, outside that cone). For the error rate a vector is wrong where
    any output is: the flipped or the current wrong-vector words, chosen the same way, so a
    trial costs one pass over the words. Trials of one target should be adjacent. `values` is
    restored."""
    n_words = values.shape[1]
    n_out = outputs.size
    fmask = np.zeros(fanin.size, dtype=np.uint64)
    approx = np.empty((n_out, n_words), dtype=np.uint64)
    current = np.empty((n_out, n_words), dtype=np.uint64)
    toggled = np.empty((n_out, n_words), dtype=np.uint64)
    save = np.empty((order.size + 1, n_words), dtype=np.uint64)
    errs = np.empty(targets.size)
    seed = np.empty(1, dtype=np.int64)
    n_signals = values.shape[0]
    wrong_now = np.zeros(n_words, dtype=np.uint64)
    wrong_flipped = np.zeros(n_words, dtype=np.uint64)
    rate_only = which == _ER and n_words > 0
    for j in range(n_out):
        for w in range(n_words):
            current[j, w] = values[outputs[j], w]
            wrong_now[w] |= current[j, w] ^ exact[j, w]
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
            for w in range(n_words):
                values[s, w] = ~values[s, w]
            for c in range(cone.size):
                for w in range(n_words):
                    save[c, w] = values[base + cone[c], w]
            K.eval_blocked(cone, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, values,
                           max(1, n_words))  # all words in one block
            for w in range(n_words):
                wrong_flipped[w] = 0
            for j in range(n_out):
                for w in range(n_words):
                    toggled[j, w] = values[outputs[j], w] ^ current[j, w]
                    wrong_flipped[w] |= values[outputs[j], w] ^ exact[j, w]
            for w in range(n_words):
                values[s, w] = ~values[s, w]
            for c in range(cone.size):
                for w in range(n_words):
                    values[base + cone[c], w] = save[c, w]
            last = s
        r2 = second[i] if second[i] >= 0 else r
        if rate_only:
            wrong = 0
            for w in range(n_words):
                differs = _function_word(func[i], values[r, w], values[r2, w]) ^ values[s, w]
                word = (differs & wrong_flipped[w]) | (~differs & wrong_now[w])
                wrong += popcount64(word & tail if w == n_words - 1 else word)
            errs[i] = wrong / max(1, n_vectors)
            continue
        for w in range(n_words):
            differs = _function_word(func[i], values[r, w], values[r2, w]) ^ values[s, w]
            for j in range(n_out):
                approx[j, w] = current[j, w] ^ (differs & toggled[j, w])
        errs[i] = metric_error(which, exact, approx, tail, n_vectors)
    return errs
