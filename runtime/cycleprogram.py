"""The gate program of the cycle simulator: the combinational core plus the registers' next state.

`CycleProgram.build(cut, view)` compiles the core's `LogicView` to the NOT/BUF-free program of
the logic simulator (`simgraph.compile_fast`) and appends, per register bit, the gates of its
next value: `mux(en, d, q)` for an enable, then an AND/OR with the synchronous reset, then one
with the asynchronous reset. The last of them (a copy of `d` for a plain register) is the clock
edge: it writes the state row itself, after the outputs are sampled, in an order where a bit is
written only after every bit that reads its old value (a shift register updates its last stage
first; registers that swap values read buffered copies). The gates run as flat instructions
(`axc.runtime.simflat`) with full adders fused (`axc.runtime.simfuse`). Signals: 0/1
constants, the data input bits, the state bits (each register's value this cycle, LSB first,
registers in order), then the gates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from axc.ir.views import GATE_CODES, ClockedCore, LogicView

from . import simgraph as G
from .simflat import MUX, flatten
from .simfuse import fuse_adders
from .simkernels import ONES

__all__ = ["HOLD", "CycleProgram"]

_AND, _OR, _MUX, _BUF = (GATE_CODES[f"logic.{k}"] for k in ("and", "or", "mux", "buf"))
_ZERO = np.uint64(0)
HOLD = 7
"""The kind of an edge instruction `out = a ? b : out` (a register's enable; `cyclekernels`)."""


class _Gates:
    """Gates appended to a program (signal ids from `first`)."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.codes: list[int] = []
        self.fanin: list[list[int]] = []
        self.masks: list[list[np.uint64]] = []

    def add(self, code: int, fanin: list[int], masks: list[np.uint64]) -> int:
        self.codes.append(code)
        self.fanin.append(fanin)
        self.masks.append(masks)
        return self.first + len(self.codes) - 1


@dataclass(frozen=True)
class CycleProgram:
    """Arrays for `cyclekernels.run_cycles` (see the module docstring)."""

    codes: np.ndarray
    fanin_ptr: np.ndarray
    fanin: np.ndarray
    fmask: np.ndarray
    lut_ptr: np.ndarray
    lut_bits: np.ndarray
    n_signals: int
    n_data: int
    n_state: int
    edge_ins: np.ndarray
    edge_msk: np.ndarray
    """The clock edge as flat instructions that write the state rows, in an order where every
    instruction reads the old value of the state bits it reads."""
    init: np.ndarray
    """Per state bit, 0 or all ones: its value before the first edge."""
    arst: np.ndarray
    """(k × 3) int64: state bit, asynchronous reset input signal, 1 when that input is active low,
    for the bits that have one."""
    arst_value: np.ndarray
    """Per `arst` row, 0 or all ones: the value while the reset is 1."""
    out_sigs: np.ndarray
    out_masks: np.ndarray
    """The primary output bits: signal and inversion mask."""
    ins: np.ndarray
    msk: np.ndarray
    """The gates as flat instructions (`axc.runtime.simflat`)."""

    @classmethod
    def build(cls, cut: ClockedCore, view: LogicView, n_data: int) -> CycleProgram:
        """The program of `cut` whose core exports as `view` (its first `n_data` input bits are
        the data inputs, then the state bits)."""
        order = np.arange(view.n_gates, dtype=np.int64)
        codes, ptr, fanin, fmask, lut_ptr, lut_bits, outs, omask, n_signals = G.compile_fast(
            order, np.ascontiguousarray(view.codes, dtype=np.int8),
            np.ascontiguousarray(view.fanin_ptr, dtype=np.int64), np.ascontiguousarray(view.fanin, dtype=np.int64),
            np.ascontiguousarray(view.lut_ptr, dtype=np.int64), np.ascontiguousarray(view.lut_bits, dtype=np.uint8),
            view.first_gate_signal, view.n_signals, np.ascontiguousarray(view.outputs, dtype=np.int64))
        rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        lo = 0
        for name, width in view.output_ports:
            rows[name] = (outs[lo:lo + width], omask[lo:lo + width])
            lo += width
        n_out = sum(w for _, w in cut.output_ports)
        n_state = cut.n_state_bits
        extra, edge, init, arst, arst_value = cls._next_state(cut, rows, n_data, n_signals, n_state)
        all_codes = np.concatenate([codes, np.array(extra.codes, dtype=np.int8)])
        sizes = np.array([len(f) for f in extra.fanin], dtype=np.int64)
        all_ptr = np.concatenate([ptr, ptr[-1] + np.cumsum(sizes)]).astype(np.int64)
        all_fanin = np.concatenate([fanin, np.array([s for f in extra.fanin for s in f], dtype=np.int64)])
        all_fmask = np.concatenate([fmask, np.array([m for ms in extra.masks for m in ms], dtype=np.uint64)])
        all_lut_ptr = np.concatenate([lut_ptr, np.full(len(extra.codes), lut_ptr[-1], dtype=np.int64)])
        ins, msk = flatten(all_codes, all_ptr, all_fanin, all_fmask, 2 + n_data + n_state)
        total = n_signals + len(extra.codes)
        edge_ins, edge_msk = _flat_edge(edge, 2 + n_data)
        roots = np.concatenate([outs[:n_out], edge_ins[:, 1:4].ravel()]).astype(np.int64)
        ins, msk = fuse_adders(ins, msk, all_ptr, all_fanin, total, roots)
        return cls(all_codes, all_ptr, all_fanin, all_fmask, all_lut_ptr, lut_bits, total, n_data, n_state,
                   edge_ins, edge_msk, init, arst, arst_value,
                   np.ascontiguousarray(outs[:n_out]), np.ascontiguousarray(omask[:n_out]), ins, msk)

    @staticmethod
    def _next_state(cut: ClockedCore, rows: dict[str, tuple[np.ndarray, np.ndarray]], n_data: int,
                    n_signals: int, n_state: int) -> tuple[_Gates, list[tuple[int, int, list[int], list[np.uint64]]],
                                                           np.ndarray, np.ndarray, np.ndarray]:
        """The next-state gates before the edge and the edge's (state bit, gate) list, in order."""
        gates = _Gates(n_signals)
        input_bit, lo = {}, 2
        for name, width in cut.input_ports:
            if name != cut.clock:
                input_bit[name] = lo
                lo += width
        q0 = 2 + n_data
        edge: list[tuple[int, list[int], list[np.uint64]]] = []
        init = np.zeros(n_state, dtype=np.uint64)
        arst_rows, arst_value = [], []
        j = 0
        for slot in cut.registers:
            d_sigs, d_masks = rows[slot.d_port]
            for b in range(slot.width):
                steps: list[tuple[int, list[int], list[np.uint64]]] = []
                if slot.en_port:
                    (en,), (em,) = rows[slot.en_port]
                    steps.append((_MUX, [int(en), -1, q0 + j], [em, _ZERO, _ZERO]))
                if slot.srst_port:
                    (sr,), (sm,) = rows[slot.srst_port]
                    high = (slot.srst_value or 0) >> b & 1
                    steps.append((_OR, [-1, int(sr)], [_ZERO, sm]) if high else (_AND, [-1, int(sr)], [_ZERO, ~sm]))
                if slot.arst_port:
                    a = input_bit[slot.arst_port]
                    high = (slot.arst_value or 0) >> b & 1
                    low = ONES if slot.arst_active_low else _ZERO
                    steps.append((_OR, [-1, a], [_ZERO, low]) if high else (_AND, [-1, a], [_ZERO, ONES ^ low]))
                    arst_rows.append((j, a, int(slot.arst_active_low)))
                    arst_value.append(ONES if high else _ZERO)
                if not steps:
                    steps.append((_BUF, [-1], [_ZERO]))
                src, mask = int(d_sigs[b]), d_masks[b]
                for k, (code, fanin, masks) in enumerate(steps):
                    at = fanin.index(-1)
                    fanin[at], masks[at] = src, masks[at] ^ mask
                    if k < len(steps) - 1:
                        src, mask = gates.add(code, fanin, masks), _ZERO
                edge.append(steps[-1])
                init[j] = ONES if slot.init >> b & 1 else _ZERO
                j += 1
        ordered = _edge_order(edge, q0, gates)
        return (gates, ordered, init, np.array(arst_rows, dtype=np.int64).reshape(-1, 3),
                np.array(arst_value, dtype=np.uint64))


def _edge_order(edge: list[tuple[int, list[int], list[np.uint64]]], q0: int, gates: _Gates
                ) -> list[tuple[int, int, list[int], list[np.uint64]]]:
    """(state bit, code, fan-in, masks) in an order where a bit is written after every bit that
    reads its old value; bits on a loop (two registers swapping) read buffered copies instead."""
    n = len(edge)
    reads = [sorted({s - q0 for s in fanin if 0 <= s - q0 < n and s - q0 != j}) for j, (_, fanin, _) in enumerate(edge)]
    readers = [0] * n
    for r in reads:
        for k in r:
            readers[k] += 1
    ready = [j for j in range(n) if readers[j] == 0]
    order, done = [], [False] * n
    while ready:
        j = ready.pop()
        order.append(j)
        done[j] = True
        for k in reads[j]:
            readers[k] -= 1
            if readers[k] == 0:
                ready.append(k)
    out = [(j, *edge[j]) for j in order]
    for j in range(n):
        if not done[j]:
            code, fanin, masks = edge[j]
            fanin = [gates.add(_BUF, [s], [_ZERO]) if s - q0 in reads[j] else s for s in fanin]
            out.append((j, code, fanin, masks))
    return out


def _flat_edge(edge: list[tuple[int, int, list[int], list[np.uint64]]], q0: int) -> tuple[np.ndarray, np.ndarray]:
    """The edge as flat instructions writing state row q0 + bit."""
    codes = np.array([c for _, c, _, _ in edge], dtype=np.int8)
    ptr = np.concatenate([[0], np.cumsum([len(f) for _, _, f, _ in edge])]).astype(np.int64)
    fanin = np.array([s for _, _, f, _ in edge for s in f], dtype=np.int64)
    fmask = np.array([m for _, _, _, ms in edge for m in ms], dtype=np.uint64)
    ins, msk = flatten(codes, ptr, fanin, fmask, 0)
    ins[:, 4] = [q0 + j for j, _, _, _ in edge]
    ins[ins[:, 0] == MUX, 0] = HOLD  # a ? b : the row it writes (flatten leaves its mask 0)
    return ins, msk
