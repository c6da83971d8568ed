"""Full adders fused into two three-input instructions of a flat program (`axc.runtime.simflat`).

Lowered arithmetic is mostly ripple-carry full adders, five two-input gates each:
`x = a ^ b; s = x ^ c; cout = (a & b) | (x & c)`. `fuse_adders` rewrites the carry into
`MAJ(a, b, c)` and then the sum into `XOR3(a, b, c)` wherever the gates it absorbs feed nothing
else, so that the simulator runs two instructions instead of five. The rewrite is exact (the
inversion masks are checked to match the identity) and keeps every signal number; absorbed
instructions are dropped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .simflat import AND2, AND3, GENERIC, MAJ, MUX, XOR2, XOR3
from .simkernels import ONES

__all__ = ["fuse_adders"]


@njit(cache=True)
def _fanout(ins, fanin_ptr, fanin, keep, n_signals, roots):
    """Readers per signal among the kept instructions, plus `roots` (outputs)."""
    count = np.zeros(n_signals, dtype=np.int64)
    for k in range(ins.shape[0]):
        if not keep[k]:
            continue
        kind = ins[k, 0]
        if kind == GENERIC:
            g = ins[k, 2]
            for j in range(fanin_ptr[g], fanin_ptr[g + 1]):
                count[fanin[j]] += 1
        else:
            count[ins[k, 1]] += 1
            count[ins[k, 2]] += 1
            if kind in (MUX, MAJ, XOR3, AND3):
                count[ins[k, 3]] += 1
    for s in roots:
        count[s] += 1
    return count


@njit(cache=True)
def fuse_adders(ins, msk, fanin_ptr, fanin, n_signals, roots):
    """(ins, msk) with full adders fused (see the module docstring); `roots` are the signals read
    from outside the program (outputs, next state)."""
    ins = ins.copy()
    msk = msk.copy()
    n = ins.shape[0]
    keep = np.ones(n, dtype=np.bool_)
    where = np.full(n_signals, -1, dtype=np.int64)
    for k in range(n):
        where[ins[k, 4]] = k
    count = _fanout(ins, fanin_ptr, fanin, keep, n_signals, roots)
    for k in range(n):  # carries: OR(AND(a, b), AND(a ^ b, c)) -> MAJ(a, b, c)
        if ins[k, 0] != AND2 or msk[k, 0] != ONES or msk[k, 1] != ONES or msk[k, 3] != ONES:
            continue
        for side in range(2):
            u = where[ins[k, 1 + side]]
            v = where[ins[k, 2 - side]]
            if u < 0 or v < 0 or count[ins[u, 4]] != 1 or count[ins[v, 4]] != 1:
                continue
            if ins[u, 0] != AND2 or ins[v, 0] != AND2 or msk[u, 3] != 0 or msk[v, 3] != 0:
                continue
            a = ins[u, 1]
            b = ins[u, 2]
            for xs in range(2):
                x = where[ins[v, 1 + xs]]
                if x < 0 or msk[v, xs] != 0 or ins[x, 0] != XOR2:
                    continue
                same = (ins[x, 1] == a and ins[x, 2] == b) or (ins[x, 1] == b and ins[x, 2] == a)
                if not same or msk[x, 3] != (msk[u, 0] ^ msk[u, 1]):
                    continue
                ins[k, 0] = MAJ
                ins[k, 1] = a
                ins[k, 2] = b
                ins[k, 3] = ins[v, 2 - xs]
                msk[k, 0] = msk[u, 0]
                msk[k, 1] = msk[u, 1]
                msk[k, 2] = msk[v, 1 - xs]
                msk[k, 3] = 0
                keep[u] = False
                keep[v] = False
                break
            if not keep[u]:
                break
    count = _fanout(ins, fanin_ptr, fanin, keep, n_signals, roots)
    for k in range(n):  # sums: (a ^ b) ^ c -> XOR3(a, b, c)
        if not keep[k] or ins[k, 0] != XOR2:
            continue
        for side in range(2):
            x = where[ins[k, 1 + side]]
            if x < 0 or not keep[x] or ins[x, 0] != XOR2 or count[ins[x, 4]] != 1:
                continue
            c = ins[k, 2 - side]
            ins[k, 0] = XOR3
            ins[k, 1] = ins[x, 1]
            ins[k, 2] = ins[x, 2]
            ins[k, 3] = c
            msk[k, 3] ^= msk[x, 3]
            keep[x] = False
            break
    return ins[keep], msk[keep]
