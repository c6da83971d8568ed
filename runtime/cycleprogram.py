"""The gate program of the cycle simulator: the combinational core plus the registers' next state.

`CycleProgram.build(cut, view)` compiles the core's `LogicView` to the NOT/BUF-free program of
the logic simulator (`simgraph.compile_fast`) and appends, per register bit, the gates of its
next value: `mux(en, d, q)` for an enable, then an AND/OR with the synchronous reset, then one
with the asynchronous reset (or a buffer of `d` for a plain register). The last gate of every
bit sits in one contiguous block of rows, in state-bit order, so that the clock edge is a single
block copy onto the state rows. The gates run as flat instructions (`axc.runtime.simflat`) with
full adders fused (`axc.runtime.simfuse`). Signals: 0/1 constants, the data input bits, the state bits
(each register's value this cycle, LSB first, registers in order), then the gates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from axc.ir.views import GATE_CODES, ClockedCore, LogicView

from . import simgraph as G
from .simflat import flatten
from .simfuse import fuse_adders
from .simkernels import ONES

__all__ = ["CycleProgram"]

_AND, _OR, _MUX, _BUF = (GATE_CODES[f"logic.{k}"] for k in ("and", "or", "mux", "buf"))
_ZERO = np.uint64(0)


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
    next_first: int
    """Signal of state bit 0's next value (the others follow)."""
    init: np.ndarray
    """Per state bit, 0 or all ones: its value before the first edge."""
    arst: np.ndarray
    """(k × 2) int64: state bit, asynchronous reset input signal, for the bits that have one."""
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
        inter, final, init, arst, arst_value = cls._next_state(cut, rows, n_data, n_signals, n_state)
        extra = [*zip(inter.codes, inter.fanin, inter.masks), *zip(final.codes, final.fanin, final.masks)]
        all_codes = np.concatenate([codes, np.array([c for c, _, _ in extra], dtype=np.int8)])
        sizes = np.array([len(f) for _, f, _ in extra], dtype=np.int64)
        all_ptr = np.concatenate([ptr, ptr[-1] + np.cumsum(sizes)]).astype(np.int64)
        all_fanin = np.concatenate([fanin, np.array([s for _, f, _ in extra for s in f], dtype=np.int64)])
        all_fmask = np.concatenate([fmask, np.array([m for _, _, ms in extra for m in ms], dtype=np.uint64)])
        all_lut_ptr = np.concatenate([lut_ptr, np.full(len(extra), lut_ptr[-1], dtype=np.int64)])
        ins, msk = flatten(all_codes, all_ptr, all_fanin, all_fmask, 2 + n_data + n_state)
        total = n_signals + len(extra)
        roots = np.concatenate([outs[:n_out], np.arange(final.first, final.first + n_state)]).astype(np.int64)
        ins, msk = fuse_adders(ins, msk, all_ptr, all_fanin, total, roots)
        return cls(all_codes, all_ptr, all_fanin, all_fmask, all_lut_ptr, lut_bits,
                   total, n_data, n_state, final.first, init, arst, arst_value,
                   np.ascontiguousarray(outs[:n_out]), np.ascontiguousarray(omask[:n_out]), ins, msk)

    @staticmethod
    def _next_state(cut: ClockedCore, rows: dict[str, tuple[np.ndarray, np.ndarray]], n_data: int,
                    n_signals: int, n_state: int) -> tuple[_Gates, _Gates, np.ndarray, np.ndarray, np.ndarray]:
        """The next-state gates: intermediate ones, then one final gate per state bit."""
        plans: list[list[tuple[int, list[int], list[np.uint64]]]] = []
        input_bit, lo = {}, 2
        for name, width in cut.input_ports:
            if name != cut.clock:
                input_bit[name] = lo
                lo += width
        init = np.zeros(n_state, dtype=np.uint64)
        arst_rows, arst_value = [], []
        j = 0
        for slot in cut.registers:
            d_sigs, d_masks = rows[slot.d_port]
            for b in range(slot.width):
                q = 2 + n_data + j
                steps: list[tuple[int, list[int], list[np.uint64]]] = []
                src, mask = int(d_sigs[b]), d_masks[b]
                if slot.en_port:
                    (en,), (em,) = rows[slot.en_port]
                    steps.append((_MUX, [int(en), src, q], [em, mask, _ZERO]))
                    src, mask = -1, _ZERO
                if slot.srst_port:
                    (sr,), (sm,) = rows[slot.srst_port]
                    high = (slot.srst_value or 0) >> b & 1
                    steps.append((_OR, [src, int(sr)], [mask, sm]) if high else (_AND, [src, int(sr)], [mask, ~sm]))
                    src, mask = -1, _ZERO
                if slot.arst_port:
                    a = input_bit[slot.arst_port]
                    high = (slot.arst_value or 0) >> b & 1
                    steps.append((_OR, [src, a], [mask, _ZERO]) if high else (_AND, [src, a], [mask, ONES]))
                    arst_rows.append((j, a))
                    arst_value.append(ONES if high else _ZERO)
                if not steps:
                    steps.append((_BUF, [src], [mask]))
                plans.append(steps)
                init[j] = ONES if slot.init >> b & 1 else _ZERO
                j += 1
        inter = _Gates(n_signals)
        for steps in plans:
            inter_signal = -1
            for code, fanin, masks in steps[:-1]:
                inter_signal = inter.add(code, [inter_signal if s == -1 else s for s in fanin], masks)
            steps[-1] = (steps[-1][0], [inter_signal if s == -1 else s for s in steps[-1][1]], steps[-1][2])
        final = _Gates(n_signals + len(inter.codes))
        for steps in plans:
            final.add(*steps[-1])
        return (inter, final, init, np.array(arst_rows, dtype=np.int64).reshape(-1, 2),
                np.array(arst_value, dtype=np.uint64))
