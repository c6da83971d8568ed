"""Bit-parallel simulation of partitioned circuits (64 vectors per machine word, numba).

Each part of a partition has a *realisation*: a small `Netlist` of gates over its k inputs
(exact: the original gates; approximate: a synthesized compressor plus the OR/XOR decompressor).
A design (one realisation per part) is simulated part by part in topological order; after one
part changes, only the parts downstream of it are simulated again (`DesignSim.try_pooled`).
Gate codes are those of `axc.ir.views.GATE_CODES`, evaluated by the logic simulator's kernel. Errors against the exact outputs use the
kernels of `errors` (normalised to [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from axc.ir.views import LogicView
from axc.runtime.row_errors import METRICS, error_of, metric_error, tail_mask
from axc.runtime.simkernels import eval_blocked

__all__ = [
    "DesignSim", "Netlist", "RealisationPool", "exact_netlist", "input_words", "part_truth_table",
]

_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class Netlist:
    """Gates over local signals: 0/1 constants, 2 … 2+k−1 inputs, then one per gate."""

    k: int
    codes: np.ndarray
    fanin_ptr: np.ndarray
    fanin: np.ndarray
    lut_ptr: np.ndarray
    lut_bits: np.ndarray
    outputs: np.ndarray
    area: float = 0.0

    @property
    def n_gates(self) -> int:
        return int(self.codes.size)

    def support(self) -> np.ndarray:
        """Bool per input: whether some output depends structurally on it."""
        live = np.zeros(2 + self.k + self.n_gates, dtype=np.bool_)
        live[self.outputs] = True
        for g in range(self.n_gates - 1, -1, -1):
            if live[2 + self.k + g]:
                live[self.fanin[self.fanin_ptr[g]:self.fanin_ptr[g + 1]]] = True
        return live[2:2 + self.k]


@nb.njit(cache=True)
def _run_pooled(parts, rids, in_ptr, in_sig, out_ptr, out_sig, r_k, r_gate, r_out, g_code, g_fan,
                fan, g_lut, lut_bits, r_outs, order, no_inversion, values, scratch):
    """Simulate `parts` in order, part p realised by pooled netlist rids[p] (see `RealisationPool`)."""
    n_words = values.shape[1]
    for p in parts:
        r = rids[p]
        k = r_k[r]
        for w in range(n_words):
            scratch[0, w] = np.uint64(0)
            scratch[1, w] = ~np.uint64(0)
        for i in range(k):
            s = in_sig[in_ptr[p] + i]
            for w in range(n_words):
                scratch[2 + i, w] = values[s, w]
        g0 = r_gate[r]
        g1 = r_gate[r + 1]
        eval_blocked(order[:g1 - g0], g_code[g0:g1], g_fan[g0:g1 + 1], fan, no_inversion,
                     g_lut[g0:g1 + 1], lut_bits, 2 + k, scratch, n_words)
        o0 = r_out[r]
        for j in range(out_ptr[p + 1] - out_ptr[p]):
            s = out_sig[out_ptr[p] + j]
            src = r_outs[o0 + j]
            for w in range(n_words):
                values[s, w] = scratch[src, w]


@nb.njit(cache=True)
def _try_parts(parts, new_rids, rids, down_ptr, down_idx, row_ptr, row_idx, base, scratch, in_ptr, in_sig,
               out_ptr, out_sig, r_k, r_gate, r_out, g_code, g_fan, fan, g_lut, lut_bits, r_outs, order,
               no_inversion, buf, outputs, exact, tail, n_vectors, which):
    """Error of each trial t: part parts[t] realised by new_rids[t] in the design `rids` whose
    values are `base` (its downstream parts simulated in `scratch` = `base`, restored after)."""
    n_words = scratch.shape[1]
    approx = np.empty((outputs.size, n_words), dtype=np.uint64)
    errs = np.empty(parts.size)
    for t in range(parts.size):
        p = parts[t]
        old = rids[p]
        rids[p] = new_rids[t]
        _run_pooled(down_idx[down_ptr[p]:down_ptr[p + 1]], rids, in_ptr, in_sig, out_ptr, out_sig, r_k, r_gate,
                    r_out, g_code, g_fan, fan, g_lut, lut_bits, r_outs, order, no_inversion, scratch, buf)
        rids[p] = old
        for j in range(outputs.size):
            for w in range(n_words):
                approx[j, w] = scratch[outputs[j], w]
        errs[t] = metric_error(which, exact, approx, tail, n_vectors)
        for e in range(row_ptr[p], row_ptr[p + 1]):
            r = row_idx[e]
            for w in range(n_words):
                scratch[r, w] = base[r, w]
    return errs


class RealisationPool:
    """Every realisation netlist in flat arrays, so one numba call simulates many parts."""

    def __init__(self) -> None:
        self.nets: list[Netlist] = []
        self._dirty = True

    def add(self, net: Netlist) -> int:
        self.nets.append(net)
        self._dirty = True
        return len(self.nets) - 1

    def arrays(self) -> tuple:
        if self._dirty:
            nets = self.nets
            self.r_k = np.array([n.k for n in nets], dtype=np.int64)
            self.r_gate = np.zeros(len(nets) + 1, dtype=np.int64)
            np.cumsum([n.n_gates for n in nets], out=self.r_gate[1:])
            self.r_out = np.zeros(len(nets) + 1, dtype=np.int64)
            np.cumsum([n.outputs.size for n in nets], out=self.r_out[1:])
            self.g_code = np.concatenate([n.codes for n in nets]).astype(np.int8)
            fan_sizes = np.concatenate([np.diff(n.fanin_ptr) for n in nets])
            self.g_fan = np.zeros(fan_sizes.size + 1, dtype=np.int64)
            np.cumsum(fan_sizes, out=self.g_fan[1:])
            self.fan = np.concatenate([n.fanin for n in nets]).astype(np.int64)
            lut_sizes = np.concatenate([np.diff(n.lut_ptr) for n in nets])
            self.g_lut = np.zeros(lut_sizes.size + 1, dtype=np.int64)
            np.cumsum(lut_sizes, out=self.g_lut[1:])
            self.lut_bits = np.concatenate([n.lut_bits for n in nets]).astype(np.uint8)
            self.r_outs = np.concatenate([n.outputs for n in nets]).astype(np.int64)
            self.max_rows = max(2 + n.k + n.n_gates for n in nets)
            self.order = np.arange(max(n.n_gates for n in nets), dtype=np.int64)
            self.no_inversion = np.zeros(self.fan.size, dtype=np.uint64)
            self._dirty = False
        return (self.r_k, self.r_gate, self.r_out, self.g_code, self.g_fan, self.fan, self.g_lut,
                self.lut_bits, self.r_outs, self.order, self.no_inversion)


def input_words(k: int) -> np.ndarray:
    """Exhaustive patterns of k inputs, packed: row i holds bit i of the pattern index."""
    n = 1 << k
    words = max(1, n // 64)
    idx = np.arange(max(n, 64), dtype=np.uint64) % np.uint64(n)
    bits = ((idx[None, :] >> np.arange(k, dtype=np.uint64)[:, None]) & np.uint64(1)).astype(np.uint8)
    packed = np.packbits(bits.reshape(k, words, 64), axis=2, bitorder="little")
    return packed.view(np.uint64).reshape(k, words).copy()


def _csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([a.size for a in lists], out=ptr[1:])
    flat = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, dtype=np.int64)
    return ptr, flat


def _rows_of_words(words: np.ndarray, n: int) -> np.ndarray:
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")[:, :n].astype(np.int64)
    return (bits << np.arange(words.shape[0], dtype=np.int64)[:, None]).sum(axis=0)


def exact_netlist(view: LogicView, gates: np.ndarray, inputs: np.ndarray, outputs: np.ndarray) -> Netlist:
    """The original gates of a part as a `Netlist` over the part's inputs."""
    first = view.first_gate_signal
    k = inputs.size
    local = {0: 0, 1: 1}
    for i, s in enumerate(inputs.tolist()):
        local[s] = 2 + i
    for j, g in enumerate(gates.tolist()):
        local[first + g] = 2 + k + j
    starts, ends = view.fanin_ptr[gates], view.fanin_ptr[gates + 1]
    fanin = np.concatenate([view.fanin[a:b] for a, b in zip(starts, ends)]) if gates.size else np.zeros(0, np.int64)
    fanin = np.fromiter((local[s] for s in fanin.tolist()), dtype=np.int64, count=fanin.size)
    ptr = np.zeros(gates.size + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=ptr[1:])
    lut_sizes = view.lut_ptr[gates + 1] - view.lut_ptr[gates]
    lut_ptr = np.zeros(gates.size + 1, dtype=np.int64)
    np.cumsum(lut_sizes, out=lut_ptr[1:])
    lut_bits = (np.concatenate([view.lut_bits[view.lut_ptr[g]:view.lut_ptr[g + 1]] for g in gates.tolist()])
                if lut_sizes.sum() else np.zeros(0, np.uint8))
    outs = np.fromiter((local[s] for s in outputs.tolist()), dtype=np.int64, count=outputs.size)
    return Netlist(k, view.codes[gates].astype(np.int8), ptr, fanin, lut_ptr, lut_bits.astype(np.uint8), outs)


def part_truth_table(net: Netlist) -> np.ndarray:
    """The 2^k × m truth table of a netlist, one m-bit int per input pattern."""
    pats = input_words(net.k) if net.k else np.zeros((0, 1), dtype=np.uint64)
    values = np.zeros((2 + net.k + net.n_gates, pats.shape[1]), dtype=np.uint64)
    values[1] = _ALL
    values[2:2 + net.k] = pats
    eval_blocked(np.arange(net.n_gates), net.codes, net.fanin_ptr, net.fanin,
                 np.zeros(net.fanin.size, dtype=np.uint64), net.lut_ptr, net.lut_bits, 2 + net.k, values,
                 values.shape[1])
    return _rows_of_words(values[net.outputs], 1 << net.k)


class DesignSim:
    """Simulates designs of a partitioned circuit on fixed input vectors.

    `vectors`: packed primary-input rows (n_inputs × words). `order`: part indices in topological
    order; `part_inputs`/`part_outputs`: their boundary signals; `downstream[p]`: the parts to
    re-simulate after p changes (p first, topological order); `outputs`: primary-output signals.
    """

    def __init__(self, n_signals: int, vectors: np.ndarray, n_vectors: int, part_inputs: list[np.ndarray],
                 part_outputs: list[np.ndarray], downstream: list[np.ndarray], outputs: np.ndarray,
                 metric: str) -> None:
        self.n_vectors = n_vectors
        self.part_inputs = part_inputs
        self.part_outputs = part_outputs
        self.downstream = downstream
        self.outputs = outputs
        self.metric_index = METRICS.index(metric)
        self.tail = tail_mask(n_vectors)
        self.values = np.zeros((n_signals, vectors.shape[1]), dtype=np.uint64)
        self.values[1] = _ALL
        self.values[2:2 + vectors.shape[0]] = vectors
        self.exact_out: np.ndarray | None = None
        self._scratch: dict[int, np.ndarray] = {}
        self.pool = RealisationPool()
        self.in_ptr, self.in_sig = _csr(part_inputs)
        self.out_ptr, self.out_sig = _csr(part_outputs)
        self.down_ptr, self.down_idx = _csr(downstream)
        self.row_ptr, self.row_idx = _csr([np.concatenate([part_outputs[q] for q in d.tolist()]) for d in downstream])

    def _pool(self, n_words: int) -> tuple:
        """The pool's arrays and a scratch buffer for its largest netlist."""
        arrays = self.pool.arrays()
        buf = self._scratch.get(-1)
        if buf is None or buf.shape[0] < self.pool.max_rows or buf.shape[1] != n_words:
            buf = self._scratch[-1] = np.empty((self.pool.max_rows, n_words), dtype=np.uint64)
        return arrays, buf

    def run_pooled(self, parts: np.ndarray, rids: np.ndarray, values: np.ndarray) -> None:
        """Simulate `parts` (topological order) with part p realised by pool entry rids[p]."""
        arrays, buf = self._pool(values.shape[1])
        _run_pooled(parts, rids, self.in_ptr, self.in_sig, self.out_ptr, self.out_sig, *arrays, values, buf)

    def try_pooled(self, base: np.ndarray, rids: np.ndarray, p: int, rid: int, scratch: np.ndarray) -> float:
        """Error with part p realised by pool entry `rid` in the design `rids` whose values are
        `base`; only parts downstream of p are simulated (`scratch` = `base`, restored after)."""
        return float(self.try_many(base, rids, np.array([p]), np.array([rid]), scratch)[0])

    def try_many(self, base: np.ndarray, rids: np.ndarray, parts: np.ndarray, new_rids: np.ndarray,
                 scratch: np.ndarray) -> np.ndarray:
        """`try_pooled` of every (parts[t], new_rids[t]) in one call: their errors."""
        arrays, buf = self._pool(base.shape[1])
        return _try_parts(np.asarray(parts, dtype=np.int64), np.asarray(new_rids, dtype=np.int64), rids,
                          self.down_ptr, self.down_idx, self.row_ptr, self.row_idx, base, scratch,
                          self.in_ptr, self.in_sig, self.out_ptr, self.out_sig, *arrays, buf,
                          np.ascontiguousarray(self.outputs, dtype=np.int64), self.exact_out, self.tail,
                          self.n_vectors, self.metric_index)

    def errors(self, values: np.ndarray | None = None) -> dict[str, float]:
        vals = self.values if values is None else values
        return error_of(self.exact_out, vals[self.outputs], self.n_vectors)

    def error(self, values: np.ndarray) -> float:
        return float(metric_error(self.metric_index, self.exact_out, values[self.outputs], self.tail,
                                  self.n_vectors))
