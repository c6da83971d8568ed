"""Numba kernels of the bit-parallel logic simulator (see `axc.runtime.logicsim`).

A signal array `sig` has one row per signal and one uint64 word per 64 vectors. Gates are
evaluated in the order given by an `order` array of gate indices over a range of words; every
kernel loops over words innermost so that LLVM vectorises the word loop (several words per
instruction with AVX2/AVX-512).
"""

from __future__ import annotations

import numpy as np
from axc.ir.dialects.logic import GATE_OPS
from numba import njit, prange

__all__ = [
    "CORES",
    "CORE_OF_CODE",
    "INVERTED_CODE",
    "eval_blocked",
    "eval_gates",
    "eval_gates_with",
    "gather_ints",
    "lut_scratch",
    "run_blocked",
    "run_parallel",
    "toggle_counts",
]

CORES = ("const", "buf", "and", "or", "xor", "mux", "maj", "lut")
"""The gate cores of the `logic` dialect, numbered for the kernels."""
K_CONST, K_BUF, K_AND, K_OR, K_XOR, K_MUX, K_MAJ, K_LUT = range(len(CORES))
CORE_OF_CODE = np.array([CORES.index(op.core) for op in GATE_OPS], dtype=np.int64)
"""Per gate code, the number of its core (read from the dialect)."""
INVERTED_CODE = np.array([op.inverted for op in GATE_OPS], dtype=np.bool_)
"""Per gate code, whether the gate complements its core's output."""

ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True, inline="always")
def _pair(core, sig, out, a, b, ma, mb, m, w0, w1):
    """AND, OR or XOR (`core`) of signals a and b with their inversion masks, output mask m."""
    if core == K_AND:
        for w in range(w0, w1):
            sig[out, w] = ((sig[a, w] ^ ma) & (sig[b, w] ^ mb)) ^ m
    elif core == K_OR:
        for w in range(w0, w1):
            sig[out, w] = ((sig[a, w] ^ ma) | (sig[b, w] ^ mb)) ^ m
    else:
        for w in range(w0, w1):
            sig[out, w] = sig[a, w] ^ sig[b, w] ^ (ma ^ mb ^ m)


@njit(cache=True, inline="always")
def _nary(core, inverted, sig, out, fanin, fmask, p, q, w0, w1):
    """AND/OR/XOR of fan-ins p … q−1, inverted for NAND/NOR/XNOR: one pass over the words for
    the first two fan-ins and one per further fan-in, the inversion folded into the last."""
    inv = ONES if inverted else np.uint64(0)
    a = fanin[p]
    ma = fmask[p]
    m = inv if q - p <= 2 else np.uint64(0)
    if q - p == 1:
        for w in range(w0, w1):
            sig[out, w] = sig[a, w] ^ (ma ^ m)
    else:
        _pair(core, sig, out, a, fanin[p + 1], ma, fmask[p + 1], m, w0, w1)
    for k in range(p + 2, q):
        b = fanin[k]
        mb = fmask[k]
        m = inv if k == q - 1 else np.uint64(0)
        if core == K_AND:
            for w in range(w0, w1):
                sig[out, w] = (sig[out, w] & (sig[b, w] ^ mb)) ^ m
        elif core == K_OR:
            for w in range(w0, w1):
                sig[out, w] = (sig[out, w] | (sig[b, w] ^ mb)) ^ m
        else:
            for w in range(w0, w1):
                sig[out, w] ^= sig[b, w] ^ (mb ^ m)


MUX_TREE_MAX_INPUTS = 10
"""LUTs up to this many inputs run as a mux tree over whole words (2^k word operations); wider
ones look each vector's pattern up in the table (about 2k operations per vector)."""


@njit(cache=True)
def _lut(sig, out, fanin, p, q, table, w0, w1, scratch):
    """A truth table: a Shannon mux tree (first level: 0, 1, x0 or ~x0 per pair) or lookups."""
    k = q - p
    if k == 0:
        fill = ONES if table[0] else np.uint64(0)
        for w in range(w0, w1):
            sig[out, w] = fill
        return
    if k > MUX_TREE_MAX_INPUTS:
        one = np.uint64(1)
        for w in range(w0, w1):
            word = np.uint64(0)
            for b in range(64):
                index = 0
                for i in range(k):
                    index |= int((sig[fanin[p + i], w] >> np.uint64(b)) & one) << i
                if table[index]:
                    word |= one << np.uint64(b)
            sig[out, w] = word
        return
    half = table.size >> 1
    x0 = fanin[p]
    for j in range(half):
        lo = table[2 * j]
        hi = table[2 * j + 1]
        if lo == hi:
            fill = ONES if lo else np.uint64(0)
            for w in range(w0, w1):
                scratch[j, w - w0] = fill
        elif hi:
            for w in range(w0, w1):
                scratch[j, w - w0] = sig[x0, w]
        else:
            for w in range(w0, w1):
                scratch[j, w - w0] = ~sig[x0, w]
    width = half
    for i in range(1, k):
        x = fanin[p + i]
        width >>= 1
        for j in range(width):
            for w in range(w0, w1):
                s = sig[x, w]
                scratch[j, w - w0] = (s & scratch[2 * j + 1, w - w0]) | (~s & scratch[2 * j, w - w0])
    for w in range(w0, w1):
        sig[out, w] = scratch[0, w - w0]


@njit(cache=True)
def lut_scratch(order, codes, fanin_ptr, lut_ptr, width):
    """The scratch words `eval_gates_with` needs for the LUTs among gates `order` over `width`
    words (one row when there are none)."""
    rows = 1
    for g in order:
        if CORE_OF_CODE[codes[g]] == K_LUT and fanin_ptr[g + 1] - fanin_ptr[g] <= MUX_TREE_MAX_INPUTS:
            rows = max(rows, (lut_ptr[g + 1] - lut_ptr[g]) >> 1)
    return np.empty((rows, max(width, 1)), dtype=np.uint64)


@njit(cache=True)
def eval_gates(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, w0, w1):
    """Evaluate gates `order` (topologically sorted) on words [w0, w1) of `sig`.

    `fmask[k]` (0 or all ones) inverts fan-in `k` as it is read (LUT fan-ins are never inverted
    this way: `compile_fast` folds their inversions into the table). Kernels that evaluate all
    words of an array call `eval_blocked` instead: a literal `0` for `w0` would compile a second
    specialisation of this function. Kernels that call it again and again on few words allocate
    the LUT scratch once (`lut_scratch`) and call `eval_gates_with`.
    """
    if lut_bits.size:
        scratch = lut_scratch(order, codes, fanin_ptr, lut_ptr, w1 - w0)
    else:
        scratch = np.empty((1, 1), dtype=np.uint64)
    eval_gates_with(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, w0, w1, scratch)


@njit(cache=True)
def eval_gates_with(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, w0, w1, scratch):
    """`eval_gates` with the LUT scratch given (from `lut_scratch`, at least w1 − w0 words)."""
    for g in order:
        code = codes[g]
        core = CORE_OF_CODE[code]
        p = fanin_ptr[g]
        q = fanin_ptr[g + 1]
        out = base + g
        if q - p == 2 and K_AND <= core <= K_XOR:  # the common case first, without the n-ary loop
            m = ONES if INVERTED_CODE[code] else np.uint64(0)
            _pair(core, sig, out, fanin[p], fanin[p + 1], fmask[p], fmask[p + 1], m, w0, w1)
        elif core == K_BUF:
            a = fanin[p]
            m = ~fmask[p] if INVERTED_CODE[code] else fmask[p]
            for w in range(w0, w1):
                sig[out, w] = sig[a, w] ^ m
        elif core in (K_AND, K_OR, K_XOR):
            _nary(core, INVERTED_CODE[code], sig, out, fanin, fmask, p, q, w0, w1)
        elif core in (K_MUX, K_MAJ):
            a = fanin[p]
            b = fanin[p + 1]
            c = fanin[p + 2]
            ma = fmask[p]
            mb = fmask[p + 1]
            mc = fmask[p + 2]
            if core == K_MUX:  # a ? b : c
                for w in range(w0, w1):
                    x = sig[a, w] ^ ma
                    sig[out, w] = (x & (sig[b, w] ^ mb)) | (~x & (sig[c, w] ^ mc))
            else:
                for w in range(w0, w1):
                    x = sig[a, w] ^ ma
                    y = sig[b, w] ^ mb
                    z = sig[c, w] ^ mc
                    sig[out, w] = (x & y) | (z & (x | y))
        elif core == K_LUT:
            _lut(sig, out, fanin, p, q, lut_bits[lut_ptr[g]:lut_ptr[g + 1]], w0, w1, scratch)
        else:
            for w in range(w0, w1):
                sig[out, w] = 0


@njit(cache=True)
def eval_blocked(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, block):
    """`eval_gates` over all words of `sig`, `block` words at a time (cache-friendly)."""
    n_words = sig.shape[1]
    for w0 in range(0, n_words, block):
        eval_gates(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, w0,
                   min(w0 + block, n_words))


@njit(cache=True)
def run_blocked(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, in_words,
                outputs, omask, packed, full, block):
    """Simulate all words in blocks of `block` words.

    With a `full` signal array (n_signals × n_words) every signal is kept; with an empty one a
    scratch array of `block` words per signal is reused and only `outputs` are copied to
    `packed` (n_outputs × n_words).
    """
    n_in = in_words.shape[0]
    n_words = in_words.shape[1]
    base = 2 + n_in
    keep = full.shape[0] > 0
    scratch = np.empty((0 if keep else n_signals, block), dtype=np.uint64)
    for w0 in range(0, n_words, block):
        w1 = min(w0 + block, n_words)
        if keep:
            sig = full
            lo = w0
            hi = w1
        else:
            sig = scratch
            lo = 0
            hi = w1 - w0
        for w in range(lo, hi):
            sig[0, w] = 0
            sig[1, w] = ONES
        for i in range(n_in):
            for w in range(lo, hi):
                sig[2 + i, w] = in_words[i, w0 + w - lo]
        eval_gates(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, lo, hi)
        for o in range(outputs.size):
            s = outputs[o]
            m = omask[o]
            for w in range(lo, hi):
                packed[o, w0 + w - lo] = sig[s, w] ^ m


@njit(cache=True, parallel=True)
def run_parallel(codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, in_words,
                 outputs, omask, packed, block):
    """`run_blocked` of an output-only program with blocks spread over threads (own scratch)."""
    n_in = in_words.shape[0]
    n_words = in_words.shape[1]
    base = 2 + n_in
    order = np.arange(codes.size)
    n_blocks = (n_words + block - 1) // block
    for b in prange(n_blocks):
        w0 = b * block
        width = min(w0 + block, n_words) - w0
        sig = np.empty((n_signals, width), dtype=np.uint64)
        for w in range(width):
            sig[0, w] = 0
            sig[1, w] = ONES
        for i in range(n_in):
            for w in range(width):
                sig[2 + i, w] = in_words[i, w0 + w]
        eval_blocked(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, width)
        for o in range(outputs.size):
            s = outputs[o]
            m = omask[o]
            for w in range(width):
                packed[o, w0 + w] = sig[s, w] ^ m


@njit(cache=True)
def gather_ints(rows, n_vectors):
    """Vector v of the integer whose bit i is row i (at most 64 rows)."""
    out = np.zeros(n_vectors, dtype=np.uint64)
    for i in range(rows.shape[0]):
        for v in range(n_vectors):
            out[v] |= ((rows[i, v >> 6] >> np.uint64(v & 63)) & np.uint64(1)) << np.uint64(i)
    return out


@njit(cache=True)
def toggle_counts(sig, n_vectors):
    """Per signal, how often its value changes between consecutive vectors."""
    n_words = sig.shape[1]
    out = np.zeros(sig.shape[0], dtype=np.int64)
    for s in range(sig.shape[0]):
        total = 0
        prev_top = (sig[s, 0] & np.uint64(1))
        for w in range(n_words):
            x = sig[s, w]
            shifted = (x << np.uint64(1)) | prev_top
            diff = x ^ shifted
            if w == 0:
                diff &= ~np.uint64(1)
            valid = n_vectors - 64 * w
            if valid < 64:
                diff &= (np.uint64(1) << np.uint64(valid)) - np.uint64(1)
            total += _popcount(diff)
            prev_top = x >> np.uint64(63)
        out[s] = total
    return out


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))
