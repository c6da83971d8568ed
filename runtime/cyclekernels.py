"""Numba kernels of the cycle simulator (see `axc.runtime.cyclesim`).

`run_cycles` runs the whole cycle loop of one clocked design on a range of trace words: per
cycle it loads the data inputs, applies asynchronous resets to the register state, evaluates the
combinational core with `simkernels.eval_gates`, samples the primary outputs and computes every
register's next value (asynchronous reset, else synchronous reset, else enable, else `d`).
`run_cycles_parallel` gives each thread its own words: traces are independent, so threads never
meet inside the cycle loop. `pack_cycles`/`gather_cycles` convert integers per (cycle, trace)
to packed rows per cycle and back.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .simkernels import ONES, eval_gates

__all__ = ["gather_cycles", "pack_cycles", "run_cycles", "run_cycles_parallel"]


@njit(cache=True)
def run_cycles(codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, stim, regs, reg_masks,
               out_sigs, out_masks, out, w0, w1):
    """Simulate every cycle of `stim` (cycles × n_data_bits × n_words) on words [w0, w1).

    The program is NOT/BUF-free (`simgraph.compile_fast`): signals 0/1 are constants, then the
    data input bits, then one bit per register (its value this cycle), then the gates in order.
    `regs[j]` = (d, enable, sync reset, async reset) signals of state bit j (-1: absent) and
    `reg_masks[j]` = (d inversion, enable inversion, sync reset inversion, sync reset value,
    async reset value, init), each 0 or all ones. Writes out[t, o, w] = output bit o in cycle t,
    sampled after the logic settles and before the clock edge.
    """
    n_cycles = stim.shape[0]
    n_data = stim.shape[1]
    n_state = regs.shape[0]
    width = w1 - w0
    base = 2 + n_data + n_state
    order = np.arange(codes.size)
    sig = np.empty((n_signals, width), dtype=np.uint64)
    nxt = np.empty((n_state, width), dtype=np.uint64)
    for w in range(width):
        sig[0, w] = 0
        sig[1, w] = ONES
    for j in range(n_state):
        for w in range(width):
            sig[2 + n_data + j, w] = reg_masks[j, 5]
    for t in range(n_cycles):
        for i in range(n_data):
            for w in range(width):
                sig[2 + i, w] = stim[t, i, w0 + w]
        for j in range(n_state):
            a = regs[j, 3]
            if a >= 0:
                q = 2 + n_data + j
                v = reg_masks[j, 4]
                for w in range(width):
                    r = sig[a, w]
                    sig[q, w] = (sig[q, w] & ~r) | (v & r)
        eval_gates(order, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, 0, width)
        for o in range(out_sigs.size):
            s = out_sigs[o]
            m = out_masks[o]
            for w in range(width):
                out[t, o, w0 + w] = sig[s, w] ^ m
        for j in range(n_state):
            _next_state(sig, nxt, j, 2 + n_data + j, regs, reg_masks, width)
        for j in range(n_state):
            for w in range(width):
                sig[2 + n_data + j, w] = nxt[j, w]


@njit(cache=True, inline="always")
def _next_state(sig, nxt, j, q, regs, reg_masks, width):
    """Register bit j after the edge: async reset, else sync reset, else enable ? d : q."""
    d = regs[j, 0]
    dm = reg_masks[j, 0]
    for w in range(width):
        nxt[j, w] = sig[d, w] ^ dm
    e = regs[j, 1]
    if e >= 0:
        em = reg_masks[j, 1]
        for w in range(width):
            x = sig[e, w] ^ em
            nxt[j, w] = (nxt[j, w] & x) | (sig[q, w] & ~x)
    s = regs[j, 2]
    if s >= 0:
        sm = reg_masks[j, 2]
        sv = reg_masks[j, 3]
        for w in range(width):
            x = sig[s, w] ^ sm
            nxt[j, w] = (nxt[j, w] & ~x) | (sv & x)
    a = regs[j, 3]
    if a >= 0:
        av = reg_masks[j, 4]
        for w in range(width):
            x = sig[a, w]
            nxt[j, w] = (nxt[j, w] & ~x) | (av & x)


@njit(cache=True, parallel=True)
def run_cycles_parallel(codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, stim, regs,
                        reg_masks, out_sigs, out_masks, out, n_chunks):
    """`run_cycles` with the words split into `n_chunks` contiguous ranges, one per task."""
    n_words = stim.shape[2]
    for c in prange(n_chunks):
        w0 = c * n_words // n_chunks
        w1 = (c + 1) * n_words // n_chunks
        if w1 > w0:
            run_cycles(codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, stim, regs,
                       reg_masks, out_sigs, out_masks, out, w0, w1)


@njit(cache=True)
def pack_cycles(values, width, n_words):
    """(cycles × traces) integers (uint64 bit patterns) → (cycles × width × n_words) packed rows."""
    n_cycles = values.shape[0]
    n_traces = values.shape[1]
    out = np.zeros((n_cycles, width, n_words), dtype=np.uint64)
    one = np.uint64(1)
    for t in range(n_cycles):
        for v in range(n_traces):
            x = values[t, v]
            lane = one << np.uint64(v & 63)
            for i in range(width):
                if (x >> np.uint64(i)) & one:
                    out[t, i, v >> 6] |= lane
    return out


@njit(cache=True)
def gather_cycles(rows, n_traces):
    """(cycles × width ≤ 64 × n_words) packed rows → (cycles × traces) uint64 integers."""
    n_cycles = rows.shape[0]
    width = rows.shape[1]
    out = np.zeros((n_cycles, n_traces), dtype=np.uint64)
    one = np.uint64(1)
    for t in range(n_cycles):
        for i in range(width):
            for v in range(n_traces):
                out[t, v] |= ((rows[t, i, v >> 6] >> np.uint64(v & 63)) & one) << np.uint64(i)
    return out
