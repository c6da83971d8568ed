"""Numba kernels on the gate graph of the simulator: orders, cones, program compilation.

Companions of `axc.runtime.simkernels` (which evaluates gates): a topological order after
edits, the fan-out cone of changed signals, matching the gates of an edited circuit to the old
ones, and compiling the NOT/BUF-free program used by output-only runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .simkernels import CORE_OF_CODE, INVERTED_CODE, K_BUF, K_LUT, ONES

__all__ = ["compile_fast", "fanout_cone", "match_old_signals", "topo_order"]


@njit(cache=True)
def compile_fast(order, codes, fanin_ptr, fanin, lut_ptr, lut_bits, base, n_signals, outputs):
    """An equivalent gate program without NOT/BUF gates, for output-only runs.

    Inverters and buffers become inversion masks on the fan-ins that read them (folded into the
    table for LUTs) and on the outputs; the remaining gates are renumbered densely in evaluation
    order, so the working set shrinks. Returns (codes, fanin_ptr, fanin, fmask, lut_ptr,
    lut_bits, outputs, omask, n_signals) of the new program (its order is 0..n-1).
    """
    src = np.empty(n_signals, dtype=np.int64)
    for s in range(n_signals):
        src[s] = s
    neg = np.zeros(n_signals, dtype=np.bool_)
    n_gates = order.size
    fcodes = np.empty(n_gates, dtype=np.int8)
    fptr = np.zeros(n_gates + 1, dtype=np.int64)
    ffanin = np.empty(fanin.size, dtype=np.int64)
    fmask = np.zeros(fanin.size, dtype=np.uint64)
    flut_ptr = np.zeros(n_gates + 1, dtype=np.int64)
    flut_bits = np.empty(lut_bits.size, dtype=np.uint8)
    m = 0
    k = 0
    n_lut = 0
    for g in order:
        code = codes[g]
        p = fanin_ptr[g]
        q = fanin_ptr[g + 1]
        s_out = base + g
        if CORE_OF_CODE[code] == K_BUF:
            a = fanin[p]
            src[s_out] = src[a]
            neg[s_out] = neg[a] ^ INVERTED_CODE[code]
            continue
        fcodes[m] = code
        invert = 0
        for j in range(p, q):
            s = src[fanin[j]]
            n = neg[fanin[j]]
            if s < 2 and n:
                s = 1 - s
                n = False
            ffanin[k] = s
            if n:
                if CORE_OF_CODE[code] == K_LUT:
                    invert |= 1 << (j - p)
                else:
                    fmask[k] = ONES
            k += 1
        fptr[m + 1] = k
        if CORE_OF_CODE[code] == K_LUT:
            lo = lut_ptr[g]
            size = lut_ptr[g + 1] - lo
            for pattern in range(size):
                flut_bits[n_lut + pattern] = lut_bits[lo + (pattern ^ invert)]
            n_lut += size
        flut_ptr[m + 1] = n_lut
        src[s_out] = base + m
        neg[s_out] = False
        m += 1
    fouts = np.empty(outputs.size, dtype=np.int64)
    omask = np.zeros(outputs.size, dtype=np.uint64)
    for o in range(outputs.size):
        s = src[outputs[o]]
        if s < 2 and neg[outputs[o]]:
            fouts[o] = 1 - s
        else:
            fouts[o] = s
            if neg[outputs[o]]:
                omask[o] = ONES
    return (fcodes[:m], fptr[:m + 1], ffanin[:k], fmask[:k], flut_ptr[:m + 1],
            flut_bits[:n_lut], fouts, omask, base + m)


@njit(cache=True)
def match_old_signals(order, codes, fanin_ptr, fanin, lut_ptr, lut_bits, base, old_of,
                      old_codes, old_fanin_ptr, old_fanin, old_lut_ptr, old_lut_bits, old_base):
    """Per signal of a new circuit, the old signal with the same words (-1: must be recomputed).

    `old_of[g]` is the old gate index of new gate g when it is the same op (else -1); such a gate
    keeps its old words when its kind, table and fan-ins (mapped to old signals) are unchanged.
    """
    n_new = base + codes.size
    mapped = np.full(n_new, -1, dtype=np.int64)
    for s in range(base):
        mapped[s] = s
    for g in order:
        og = old_of[g]
        if og < 0 or codes[g] != old_codes[og]:
            continue
        p = fanin_ptr[g]
        q = fanin_ptr[g + 1]
        op = old_fanin_ptr[og]
        if q - p != old_fanin_ptr[og + 1] - op:
            continue
        same = True
        for k in range(q - p):
            if mapped[fanin[p + k]] != old_fanin[op + k]:
                same = False
                break
        if same and lut_ptr[g + 1] - lut_ptr[g] == old_lut_ptr[og + 1] - old_lut_ptr[og]:
            for k in range(lut_ptr[g + 1] - lut_ptr[g]):
                if lut_bits[lut_ptr[g] + k] != old_lut_bits[old_lut_ptr[og] + k]:
                    same = False
                    break
        elif same:
            same = False
        if same:
            mapped[base + g] = old_base + og
    return mapped


@njit(cache=True)
def topo_order(codes, fanin_ptr, fanin, base):
    """A topological order of the gates (Kahn); length < n_gates when there is a loop."""
    n = codes.size
    indeg = np.zeros(n, dtype=np.int64)
    user_ptr = np.zeros(n + 1, dtype=np.int64)
    for g in range(n):
        for k in range(fanin_ptr[g], fanin_ptr[g + 1]):
            s = fanin[k] - base
            if s >= 0:
                indeg[g] += 1
                user_ptr[s + 1] += 1
    for g in range(n):
        user_ptr[g + 1] += user_ptr[g]
    users = np.empty(user_ptr[n], dtype=np.int64)
    fill = user_ptr[:n].copy()
    for g in range(n):
        for k in range(fanin_ptr[g], fanin_ptr[g + 1]):
            s = fanin[k] - base
            if s >= 0:
                users[fill[s]] = g
                fill[s] += 1
    order = np.empty(n, dtype=np.int64)
    head = 0
    tail = 0
    for g in range(n):
        if indeg[g] == 0:
            order[tail] = g
            tail += 1
    while head < tail:
        g = order[head]
        head += 1
        for k in range(user_ptr[g], user_ptr[g + 1]):
            u = users[k]
            indeg[u] -= 1
            if indeg[u] == 0:
                order[tail] = u
                tail += 1
    return order[:tail]


@njit(cache=True)
def fanout_cone(order, fanin_ptr, fanin, base, n_signals, seeds):
    """Gates (in evaluation order) that read, directly or not, a signal marked in `seeds`."""
    dirty = np.zeros(n_signals, dtype=np.bool_)
    for s in seeds:
        dirty[s] = True
    cone = np.empty(order.size, dtype=np.int64)
    n = 0
    for g in order:
        if dirty[base + g]:
            cone[n] = g
            n += 1
            continue
        for k in range(fanin_ptr[g], fanin_ptr[g + 1]):
            if dirty[fanin[k]]:
                dirty[base + g] = True
                cone[n] = g
                n += 1
                break
    return cone[:n]
