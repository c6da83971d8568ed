"""A compact form of a gate program for evaluating it again and again on few words.

The cycle simulator evaluates the same gates once per cycle on a handful of words (1,000 traces
are 16 words), so the cost per gate, not per word, decides its speed. `flatten` turns a
NOT/BUF-free program (`simgraph.compile_fast`, gates in evaluation order) into one fixed-size
instruction per gate, its fan-in inversions and output inversion folded into masks:

    ins[k] = (kind, a, b, c, out)      msk[k] = (mask a, mask b, mask c, mask out)

kinds: AND2 (OR by De Morgan), XOR2, MUX (a ? b : c), MAJ, XOR3, AND3 (OR3 by De Morgan), and
GENERIC for any other gate (wider gates, LUTs), evaluated by `simkernels.eval_gates_with` from
the original arrays (`b` holds the gate index). `eval_flat` runs the instructions in order; an
instruction should not read the row it writes (the word loop then runs several times slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .simkernels import (
    CORE_OF_CODE,
    INVERTED_CODE,
    K_AND,
    K_BUF,
    K_MAJ,
    K_MUX,
    K_OR,
    K_XOR,
    ONES,
    eval_gates_with,
)

__all__ = ["AND2", "AND3", "GENERIC", "MAJ", "MUX", "XOR2", "XOR3", "eval_flat", "flatten"]

AND2, XOR2, MUX, MAJ, XOR3, AND3, GENERIC = range(7)


@njit(cache=True)
def flatten(codes, fanin_ptr, fanin, fmask, base):
    """Instructions (n × 5 int64) and masks (n × 4 uint64) of gates 0 … n−1 (see the module
    docstring); gate g drives signal `base + g`."""
    n = codes.size
    ins = np.zeros((n, 5), dtype=np.int64)
    msk = np.zeros((n, 4), dtype=np.uint64)
    for g in range(n):
        code = codes[g]
        core = CORE_OF_CODE[code]
        inv = ONES if INVERTED_CODE[code] else np.uint64(0)
        p = fanin_ptr[g]
        k = fanin_ptr[g + 1] - p
        ins[g, 4] = base + g
        for j in range(min(k, 3)):
            ins[g, 1 + j] = fanin[p + j]
            msk[g, j] = fmask[p + j]
        if core == K_BUF and k == 1:  # a ^ 0
            ins[g, 0] = XOR2
            ins[g, 2] = 0
            msk[g, 3] = msk[g, 0] ^ inv
            msk[g, 0] = 0
        elif core == K_XOR and k in (2, 3):
            ins[g, 0] = XOR2 if k == 2 else XOR3
            msk[g, 3] = msk[g, 0] ^ msk[g, 1] ^ msk[g, 2] ^ inv
            msk[g, 0] = 0
            msk[g, 1] = 0
            msk[g, 2] = 0
        elif core in (K_AND, K_OR) and k in (2, 3):
            ins[g, 0] = AND2 if k == 2 else AND3
            msk[g, 3] = inv
            if core == K_OR:  # a | b = ~(~a & ~b)
                for j in range(4):
                    msk[g, j] = ~msk[g, j]
        elif core == K_MUX and k == 3:  # ~(s ? b : c) = s ? ~b : ~c
            ins[g, 0] = MUX
            msk[g, 1] ^= inv
            msk[g, 2] ^= inv
        elif core == K_MAJ and k == 3:  # ~maj(a, b, c) = maj(~a, ~b, ~c)
            ins[g, 0] = MAJ
            for j in range(3):
                msk[g, j] ^= inv
        else:
            ins[g, 0] = GENERIC
            ins[g, 2] = g
    return ins, msk


@njit(cache=True)
def eval_flat(ins, msk, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, w0, w1, scratch):
    """Run instructions `ins`/`msk` on words [w0, w1) of `sig`; GENERIC gates are evaluated by
    `eval_gates_with` on the original program (`scratch` as `simkernels.lut_scratch` gives)."""
    one = np.empty(1, dtype=np.int64)
    for k in range(ins.shape[0]):
        kind = ins[k, 0]
        a = ins[k, 1]
        b = ins[k, 2]
        c = ins[k, 3]
        out = ins[k, 4]
        ma = msk[k, 0]
        mb = msk[k, 1]
        mc = msk[k, 2]
        m = msk[k, 3]
        if kind == AND2:
            for w in range(w0, w1):
                sig[out, w] = ((sig[a, w] ^ ma) & (sig[b, w] ^ mb)) ^ m
        elif kind == XOR2:
            for w in range(w0, w1):
                sig[out, w] = sig[a, w] ^ sig[b, w] ^ m
        elif kind == MUX:
            for w in range(w0, w1):
                x = sig[a, w] ^ ma
                sig[out, w] = (x & (sig[b, w] ^ mb)) | (~x & (sig[c, w] ^ mc))
        elif kind == MAJ:
            for w in range(w0, w1):
                x = sig[a, w] ^ ma
                y = sig[b, w] ^ mb
                z = sig[c, w] ^ mc
                sig[out, w] = (x & y) | (z & (x | y))
        elif kind == XOR3:
            for w in range(w0, w1):
                sig[out, w] = sig[a, w] ^ sig[b, w] ^ sig[c, w] ^ m
        elif kind == AND3:
            for w in range(w0, w1):
                sig[out, w] = ((sig[a, w] ^ ma) & (sig[b, w] ^ mb) & (sig[c, w] ^ mc)) ^ m
        else:
            one[0] = b
            eval_gates_with(one, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, w0, w1, scratch)
