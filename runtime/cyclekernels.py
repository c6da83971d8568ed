"""Numba kernels of the cycle simulator (see `axc.runtime.cyclesim`).

`run_cycles` runs the whole cycle loop of one clocked design on a range of trace words: per
cycle it loads the data inputs, applies asynchronous resets to the register state, evaluates the
program (the combinational core, then every register's next value: `axc.runtime.cycleprogram`)
as flat instructions (`axc.runtime.simflat.eval_flat`), samples the primary outputs, and runs
the clock edge (instructions that write the state).
`run_cycles_parallel` gives each thread its own words: traces are independent, so threads never
meet inside the cycle loop. `pack_cycles`/`gather_cycles` convert integers per (cycle, trace)
to packed rows per cycle and back.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .simflat import AND2, XOR2, eval_flat
from .simkernels import ONES, lut_scratch

__all__ = ["gather_cycles", "pack_cycles", "run_cycles", "run_cycles_parallel"]


@njit(cache=True)
def run_cycles(ins, msk, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, stim, n_state,
               edge_ins, edge_msk, init, arst, arst_value, out_sigs, out_masks, out, w0, w1):
    """Simulate every cycle of `stim` (cycles × n_data_bits × n_words) on words [w0, w1).

    The program (`axc.runtime.cycleprogram`) runs as flat instructions `ins`/`msk`
    (`axc.runtime.simflat`), with the gate arrays for the gates they leave generic. Signals:
    0/1 are constants, then the data input bits, then `n_state` state bits, then the gates. The
    clock edge runs the instructions `edge_ins`/`edge_msk`, which write the state rows.
    `init[j]` is state bit j before the first edge; row k of `arst` names a state bit
    and its asynchronous reset input, which forces it to `arst_value[k]` while 1 (while 0 when
    `arst[k, 2]` marks it active low).
    Writes out[t, o, w] = output bit o in cycle t, sampled after the logic settles and before
    the clock edge.
    """
    n_cycles = stim.shape[0]
    n_data = stim.shape[1]
    width = w1 - w0
    q0 = 2 + n_data
    base = q0 + n_state
    order = np.arange(codes.size)
    scratch = lut_scratch(order, codes, fanin_ptr, lut_ptr, width)
    sig = np.empty((n_signals, width), dtype=np.uint64)
    for w in range(width):
        sig[0, w] = 0
        sig[1, w] = ONES
    for j in range(n_state):
        for w in range(width):
            sig[q0 + j, w] = init[j]
    for t in range(n_cycles):
        for i in range(n_data):
            for w in range(width):
                sig[2 + i, w] = stim[t, i, w0 + w]
        for k in range(arst.shape[0]):
            q = q0 + arst[k, 0]
            a = arst[k, 1]
            v = arst_value[k]
            low = ONES if arst[k, 2] != 0 else np.uint64(0)
            for w in range(width):
                r = sig[a, w] ^ low
                sig[q, w] = (sig[q, w] & ~r) | (v & r)
        eval_flat(ins, msk, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, base, sig, 0, width, scratch)
        for o in range(out_sigs.size):
            s = out_sigs[o]
            m = out_masks[o]
            for w in range(width):
                out[t, o, w0 + w] = sig[s, w] ^ m
        _edge(edge_ins, edge_msk, sig, width)


@njit(cache=True)
def _edge(ins, msk, sig, width):
    """The clock edge: AND2, XOR2 and HOLD instructions (`cycleprogram.HOLD`: out = a ? b : out,
    a register's enable) writing the state rows."""
    for k in range(ins.shape[0]):
        kind = ins[k, 0]
        a = ins[k, 1]
        b = ins[k, 2]
        out = ins[k, 4]
        ma = msk[k, 0]
        mb = msk[k, 1]
        m = msk[k, 3]
        if kind == AND2:
            for w in range(width):
                sig[out, w] = ((sig[a, w] ^ ma) & (sig[b, w] ^ mb)) ^ m
        elif kind == XOR2:
            for w in range(width):
                sig[out, w] = sig[a, w] ^ sig[b, w] ^ m
        else:
            for w in range(width):
                x = sig[a, w] ^ ma
                sig[out, w] = (x & (sig[b, w] ^ mb)) | (~x & sig[out, w])


@njit(cache=True, parallel=True)
def run_cycles_parallel(ins, msk, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, stim, n_state,
                        edge_ins, edge_msk, init, arst, arst_value, out_sigs, out_masks, out, n_chunks):
    """`run_cycles` with the words split into `n_chunks` contiguous ranges, one per task."""
    n_words = stim.shape[2]
    for c in prange(n_chunks):
        w0 = c * n_words // n_chunks
        w1 = (c + 1) * n_words // n_chunks
        if w1 > w0:
            run_cycles(ins, msk, codes, fanin_ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, stim, n_state,
                       edge_ins, edge_msk, init, arst, arst_value, out_sigs, out_masks, out, w0, w1)


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
