"""Partitioning a logic graph into convex subcircuits of at most k inputs and m outputs.

Gates of a `LogicView` are split by recursive bisection: a set of gates that has more than `k`
input signals or more than `m` output signals is cut in two by KaHyPar (hypergraph: one node
per gate, one net per signal joining its driver and readers inside the set; configuration
`kahypar_km1_rb.ini` beside this file: recursive bisection, km1 objective, balance ε = 0.1), and
each half is processed again. `fast=True` uses `kahypar_km1_rb_fast.ini` (fewer initial
partitioning runs, no community detection): about three times faster on large circuits, for runs
under a time budget. A circuit within the limits is one part (factorized whole).

Every part must be *convex*: no path may leave it and come back in, or replacing it by its truth
table would close a combinational loop. A bisection of a convex set can break that, so each
half is further split by rank: rank(g) = max over g's fanins d inside the set of rank(d) plus
one when d lies in the other half; the groups (half, rank) are convex, because rank never drops
along a path and grows at each crossing.

A part's inputs are the signals its gates read from outside it (constants excluded, primary
inputs included), its outputs the signals of its gates read outside it or used as primary
outputs. The parts come out in a topological order of the part graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import kahypar
import numba as nb
import numpy as np
from axc.ir.views import LogicView

__all__ = ["KAHYPAR_CONFIG", "KAHYPAR_FAST_CONFIG", "Part", "Partition", "partition_logic"]

KAHYPAR_CONFIG = Path(__file__).with_name("kahypar_km1_rb.ini")
"""The KaHyPar configuration file (recursive bisection, km1)."""
KAHYPAR_FAST_CONFIG = Path(__file__).with_name("kahypar_km1_rb_fast.ini")
"""The same with cheaper initial partitioning and refinement (`partition_logic(fast=True)`)."""

_EPSILON = 0.1


@dataclass(frozen=True)
class Part:
    """One subcircuit: its gates (sorted, i.e. topological), input and output signals."""

    gates: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray

    @property
    def k(self) -> int:
        return int(self.inputs.size)

    @property
    def m(self) -> int:
        return int(self.outputs.size)


@dataclass
class Partition:
    """Parts of a circuit in topological order, and for each gate the part holding it."""

    parts: list[Part]
    part_of_gate: np.ndarray

    def __len__(self) -> int:
        return len(self.parts)


@dataclass
class _Graph:
    first: int
    fanin_ptr: np.ndarray
    fanin: np.ndarray
    fanout_ptr: np.ndarray
    fanout: np.ndarray
    is_po: np.ndarray


def _build(view: LogicView) -> _Graph:
    n_sig = view.n_signals
    readers = np.repeat(np.arange(view.n_gates, dtype=np.int64), np.diff(view.fanin_ptr))
    order = np.argsort(view.fanin, kind="stable")
    counts = np.bincount(view.fanin, minlength=n_sig)
    fanout_ptr = np.zeros(n_sig + 1, dtype=np.int64)
    np.cumsum(counts, out=fanout_ptr[1:])
    is_po = np.zeros(n_sig, dtype=np.bool_)
    is_po[view.outputs] = True
    return _Graph(view.first_gate_signal, view.fanin_ptr, view.fanin, fanout_ptr, readers[order], is_po)


@nb.njit(cache=True)
def _boundary(gates, member, seen, first, fanin_ptr, fanin, fanout_ptr, fanout, is_po):
    """Input signals (in order of first use) and output signals of the gate set (member[g]
    marks it); `seen` is a scratch flag per signal, all False before and after."""
    n_pins = 0
    for g in gates:
        n_pins += fanin_ptr[g + 1] - fanin_ptr[g]
    ins = np.empty(n_pins, dtype=np.int64)
    outs = np.empty(gates.size, dtype=np.int64)
    n_ins = 0
    n_outs = 0
    for g in gates:
        for e in range(fanin_ptr[g], fanin_ptr[g + 1]):
            s = fanin[e]
            if s < 2:
                continue
            if s >= first and member[s - first]:
                continue
            if not seen[s]:
                seen[s] = True
                ins[n_ins] = s
                n_ins += 1
        s = first + g
        used_out = is_po[s]
        if not used_out:
            for e in range(fanout_ptr[s], fanout_ptr[s + 1]):
                if not member[fanout[e]]:
                    used_out = True
                    break
        if used_out:
            outs[n_outs] = s
            n_outs += 1
    for i in range(n_ins):
        seen[ins[i]] = False
    return ins[:n_ins], outs[:n_outs]


@nb.njit(cache=True)
def _pins(gates, first, fanin_ptr, fanin):
    """Hypergraph pins of the gate set, gate by gate: (signal, local gate id) for each gate's
    own signal and each fan-in that is not a constant."""
    n_pins = gates.size
    for g in gates:
        n_pins += fanin_ptr[g + 1] - fanin_ptr[g]
    sig = np.empty(n_pins, dtype=np.int64)
    node = np.empty(n_pins, dtype=np.int64)
    n = 0
    for li in range(gates.size):
        g = gates[li]
        sig[n] = first + g
        node[n] = li
        n += 1
        for e in range(fanin_ptr[g], fanin_ptr[g + 1]):
            s = fanin[e]
            if s < 2:
                continue
            sig[n] = s
            node[n] = li
            n += 1
    return sig[:n], node[:n]


def _nets(gates: np.ndarray, graph: _Graph) -> tuple[np.ndarray, np.ndarray]:
    """Hypergraph nets of the gate set: per signal with at least two pins (ascending), the
    local ids of its pins (CSR: index, edges)."""
    sig, node = _pins(gates, graph.first, graph.fanin_ptr, graph.fanin)
    order = np.argsort(sig, kind="stable")
    sig = sig[order]
    start = np.flatnonzero(np.diff(sig, prepend=-1))
    size = np.diff(start, append=sig.size)
    kept = size >= 2
    index = np.zeros(np.count_nonzero(kept) + 1, dtype=np.int64)
    np.cumsum(size[kept], out=index[1:])
    return index, node[order][np.repeat(kept, size)]


@nb.njit(cache=True)
def _ranks(gates, labels, local, first, fanin_ptr, fanin):
    rank = np.zeros(gates.size, dtype=np.int64)
    for li in range(gates.size):
        g = gates[li]
        r = 0
        for e in range(fanin_ptr[g], fanin_ptr[g + 1]):
            s = fanin[e]
            if s < first:
                continue
            ld = local[s - first]
            if ld < 0:
                continue
            cand = rank[ld] + (1 if labels[ld] != labels[li] else 0)
            if cand > r:
                r = cand
        rank[li] = r
    return rank


def _bisect(gates: np.ndarray, graph: _Graph, seed: int, config: Path) -> np.ndarray:
    n = gates.size
    if n <= 3:
        return (np.arange(n) >= n // 2).astype(np.int64)
    index, edges = _nets(gates, graph)
    n_nets = index.size - 1
    if n_nets == 0:
        return (np.arange(n) >= n // 2).astype(np.int64)
    hypergraph = kahypar.Hypergraph(n, n_nets, index.tolist(), edges.tolist(), 2)
    context = kahypar.Context()
    context.loadINIconfiguration(str(config))
    context.setK(2)
    context.setEpsilon(_EPSILON)
    context.setSeed(seed)
    context.suppressOutput(True)
    kahypar.partition(hypergraph, context)
    labels = np.fromiter((hypergraph.blockID(i) for i in range(n)), dtype=np.int64, count=n)
    if labels.min() == labels.max():
        labels = (np.arange(n) >= n // 2).astype(np.int64)
    return labels


def partition_logic(view: LogicView, k: int = 10, m: int = 10, seed: int = 0, fast: bool = False) -> Partition:
    """Split the gates of `view` into convex parts with ≤ k inputs and ≤ m outputs (KaHyPar's
    fast settings when `fast`).

    A single gate with more than k inputs stays a part of its own (it cannot be factorized).
    """
    config = KAHYPAR_FAST_CONFIG if fast else KAHYPAR_CONFIG
    if k < 1 or m < 1:
        raise ValueError("k and m must be at least 1")
    graph = _build(view)
    n_gates = view.n_gates
    member = np.zeros(n_gates, dtype=np.bool_)
    local = np.full(n_gates, -1, dtype=np.int64)
    seen = np.zeros(view.n_signals, dtype=np.bool_)
    pending = [np.arange(n_gates, dtype=np.int64)] if n_gates else []
    done: list[Part] = []
    while pending:
        gates = pending.pop()
        member[gates] = True
        ins, outs = _boundary(gates, member, seen, graph.first, graph.fanin_ptr, graph.fanin,
                              graph.fanout_ptr, graph.fanout, graph.is_po)
        if (ins.size <= k and outs.size <= m) or gates.size == 1:
            member[gates] = False
            done.append(Part(gates, ins, outs))
            continue
        local[gates] = np.arange(gates.size)
        labels = _bisect(gates, graph, seed + len(done), config)
        rank = _ranks(gates, labels, local, graph.first, graph.fanin_ptr, graph.fanin)
        member[gates] = False
        local[gates] = -1
        key = rank * 2 + labels
        for value in np.unique(key):
            pending.append(gates[key == value])
    part_of_gate = np.full(n_gates, -1, dtype=np.int64)
    # topological order of parts: parts are convex, so ordering by their first gate's position in
    # a topological order of the part graph is obtained from each part's last-needed input.
    order = _topological_parts(done, view, graph)
    parts = [done[i] for i in order]
    for p, part in enumerate(parts):
        part_of_gate[part.gates] = p
    return Partition(parts, part_of_gate)


def _topological_parts(parts: list[Part], view: LogicView, graph: _Graph) -> list[int]:
    owner = np.full(view.n_signals, -1, dtype=np.int64)
    for p, part in enumerate(parts):
        owner[graph.first + part.gates] = p
    preds = [set(owner[part.inputs][owner[part.inputs] >= 0].tolist()) for part in parts]
    indegree = np.array([len(s) for s in preds], dtype=np.int64)
    succs: list[list[int]] = [[] for _ in parts]
    for p, s in enumerate(preds):
        for q in s:
            succs[q].append(p)
    ready = sorted((p for p in range(len(parts)) if indegree[p] == 0), key=lambda p: int(parts[p].gates[0]))
    order: list[int] = []
    while ready:
        p = ready.pop()
        order.append(p)
        for q in succs[p]:
            indegree[q] -= 1
            if indegree[q] == 0:
                ready.append(q)
    if len(order) != len(parts):
        raise AssertionError("partition is not acyclic (a part is not convex)")
    return order
