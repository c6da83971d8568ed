"""Bit-parallel logic simulation of a `LogicView` (64 vectors per uint64 word, numba-compiled).

```python
view = LogicView.from_graph(module.top_graph)
sim = Simulator(view)
vectors = VectorSet.exhaustive(view)           # or .random(view, 10_000, seed=1), .from_ports(...)
res = sim.run(vectors)                         # keeps every signal (for incremental re-runs)
res.packed                                     # (n_output_bits × n_words) uint64, LSB = vector 0
res.port_values("O", signed=False)             # one integer per vector
sim2, new = sim.with_gates(replace={sig: Gate(...)}, add=[Gate(...)])
res2 = sim2.rerun_cone(res, changed=[sig, *new]) # only the fan-out cone is re-evaluated
res3 = Simulator(LogicView.from_graph(edited_graph)).resimulate(res)  # after IR edits
```

Signals are numbered as in `LogicView`: 0 = constant 0, 1 = constant 1, then the input bits
(ports in order, LSB first), then one signal per gate. Vector `v` lives in bit `v % 64` of word
`v // 64`; bits past `n_vectors` in the last word are zero on the inputs and meaningless on other
signals (`SimResult.valid_mask` masks them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from axc.ir import InputError
from axc.ir.attributes import TruthTable
from axc.ir.dialects.logic import GATE_OPS
from axc.ir.views import GATE_CODES, LogicView

from . import simgraph as G
from . import simkernels as K
from .simvectors import (
    MAX_EXHAUSTIVE_INPUTS,
    VectorSet,
    n_words_for,
    pack_ints,
    tail_mask,
    unpack_ints,
)

__all__ = [
    "MAX_EXHAUSTIVE_INPUTS", "Gate", "SimResult", "Simulator", "VectorSet", "n_words_for",
    "pack_ints", "tail_mask", "unpack_ints",
]

_BLOCK_WORDS = 128
"""Words per block when evaluating all gates block by block (wider blocks amortise per-gate
overhead; `_block_words` narrows them so the scratch stays under `_SCRATCH_BYTES`)."""
_SCRATCH_BYTES = 64 << 20


def _block_words(n_signals: int) -> int:
    block = _BLOCK_WORDS
    while block > 4 and n_signals * block * 8 > _SCRATCH_BYTES:
        block //= 2
    return block


@dataclass(frozen=True)
class Gate:
    """A gate for `Simulator.with_gates`: a `logic` op name or code, fan-in signals, LUT table."""

    kind: str | int
    """'logic.and' (or 'and'), ... or the gate code."""
    fanin: tuple[int, ...]
    table: TruthTable | np.ndarray | None = None
    """For LUTs: the truth table (operand i = bit i of the pattern index)."""

    @property
    def code(self) -> int:
        if isinstance(self.kind, int):
            return self.kind
        name = self.kind if "." in self.kind else f"logic.{self.kind}"
        if name not in GATE_CODES:
            raise InputError(f"unknown gate kind '{self.kind}'")
        return GATE_CODES[name]

    def table_bits(self) -> np.ndarray:
        """The LUT table as uint8 per pattern (empty for other gates); checks the arity."""
        code, n = self.code, len(self.fanin)
        arity = GATE_OPS[code].num_operands
        lo, hi = arity if isinstance(arity, tuple) else (arity, arity)
        if not lo <= n <= (n if hi is None else hi):
            raise InputError(f"gate '{self.kind}' cannot take {n} inputs")
        if code != GATE_CODES["logic.lut"]:
            return np.zeros(0, dtype=np.uint8)
        if self.table is None:
            raise InputError("a LUT gate needs a table")
        if isinstance(self.table, TruthTable):
            bits = self.table.to_array()
        else:
            bits = np.asarray(self.table, dtype=np.uint8).ravel()
        if bits.size != 1 << n:
            raise InputError(f"LUT table has {bits.size} entries for {n} inputs")
        return bits


@dataclass
class SimResult:
    """The outcome of one simulation."""

    sim: Simulator
    vectors: VectorSet
    packed: np.ndarray
    """(n_output_bits × n_words) uint64: output bit rows in `view.outputs` order."""
    signals: np.ndarray | None = field(default=None, repr=False)
    """(n_signals × n_words) uint64 when kept (needed by `rerun_cone` and `toggle_rates`)."""

    @property
    def n_vectors(self) -> int:
        return self.vectors.n_vectors

    @property
    def n_words(self) -> int:
        return int(self.packed.shape[1])

    @property
    def valid_mask(self) -> np.ndarray:
        """Per word, the bits that belong to real vectors."""
        return tail_mask(self.n_vectors)

    def port_rows(self, name: str) -> np.ndarray:
        """The packed rows of output port `name` (LSB first)."""
        lo = self.sim.output_offset(name)
        width = dict(self.sim.view.output_ports)[name]
        return self.packed[lo:lo + width]

    def port_values(self, name: str, signed: bool = False) -> np.ndarray:
        """The integer on output port `name` for each vector (object array above 64 bits)."""
        return unpack_ints(self.port_rows(name), self.n_vectors, signed)

    def toggle_rates(self) -> np.ndarray:
        """Per signal, the share of consecutive vector pairs where it changes (needs signals)."""
        if self.signals is None:
            raise InputError("toggle rates need a simulation run with keep_signals=True")
        counts = K.toggle_counts(self.signals, self.n_vectors)
        return counts / max(1, self.n_vectors - 1)


class Simulator:
    """Compiled simulation of one `LogicView` (arrays copied once; see the module docstring)."""

    def __init__(self, view: LogicView, order: np.ndarray | None = None) -> None:
        self.view = view
        self.codes = np.ascontiguousarray(view.codes, dtype=np.int8)
        self.fanin_ptr = np.ascontiguousarray(view.fanin_ptr, dtype=np.int64)
        self.fanin = np.ascontiguousarray(view.fanin, dtype=np.int64)
        self.lut_ptr = np.ascontiguousarray(view.lut_ptr, dtype=np.int64)
        self.lut_bits = np.ascontiguousarray(view.lut_bits, dtype=np.uint8)
        self.outputs = np.ascontiguousarray(view.outputs, dtype=np.int64)
        self.base = view.first_gate_signal
        self.n_signals = view.n_signals
        if order is None:
            order = np.arange(self.codes.size, dtype=np.int64)
        self.order = order
        self._fast: tuple | None = None
        offsets, lo = {}, 0
        for name, width in view.output_ports:
            offsets[name] = lo
            lo += width
        self._output_offsets = offsets

    def output_offset(self, name: str) -> int:
        """Index of the first row of output port `name` in `packed`."""
        try:
            return self._output_offsets[name]
        except KeyError:
            raise InputError(f"no output port '{name}'") from None

    def _check(self, vectors: VectorSet) -> None:
        if vectors.words.shape[0] != self.view.n_inputs:
            raise InputError(f"vectors have {vectors.words.shape[0]} input bits, "
                             f"the circuit has {self.view.n_inputs}")

    def run(self, vectors: VectorSet, keep_signals: bool = True, threads: int = 1) -> SimResult:
        """Simulate every vector; keep all signal words unless `keep_signals` is False.

        Output-only runs (`keep_signals=False`) can spread blocks of vectors over `threads`
        threads (0: numba's default, every core).
        """
        self._check(vectors)
        n_words = vectors.n_words
        packed = np.empty((self.outputs.size, n_words), dtype=np.uint64)
        full = (np.empty((self.n_signals, n_words), dtype=np.uint64) if keep_signals
                else np.empty((0, 1), dtype=np.uint64))
        words = np.ascontiguousarray(vectors.words)
        if keep_signals:
            K.run_blocked(self.order, self.codes, self.fanin_ptr, self.fanin,
                          np.zeros(self.fanin.size, np.uint64), self.lut_ptr, self.lut_bits,
                          self.n_signals, words, self.outputs,
                          np.zeros(self.outputs.size, np.uint64), packed, full,
                          _block_words(self.n_signals))
        elif threads != 1:
            import numba

            codes, ptr, fanin, fmask, lut_ptr, lut_bits, outs, omask, n_signals = self._program()
            previous = numba.get_num_threads()
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS) if threads > 0
                                  else numba.config.NUMBA_NUM_THREADS)
            try:
                K.run_parallel(codes, ptr, fanin, fmask, lut_ptr, lut_bits, n_signals, words,
                               outs, omask, packed, _block_words(n_signals))
            finally:
                numba.set_num_threads(previous)
        else:
            codes, ptr, fanin, fmask, lut_ptr, lut_bits, outs, omask, n_signals = self._program()
            K.run_blocked(np.arange(codes.size, dtype=np.int64), codes, ptr, fanin, fmask,
                          lut_ptr, lut_bits, n_signals, words, outs, omask, packed, full,
                          _block_words(n_signals))
        return SimResult(self, vectors, packed, full if keep_signals else None)

    def _program(self) -> tuple:
        """The NOT/BUF-free program for output-only runs (compiled once per simulator)."""
        if self._fast is None:
            self._fast = G.compile_fast(self.order, self.codes, self.fanin_ptr, self.fanin,
                                        self.lut_ptr, self.lut_bits, self.base, self.n_signals,
                                        self.outputs)
        return self._fast

    def with_gates(self, replace: Mapping[int, Gate] | None = None,
                   add: Sequence[Gate] = ()) -> tuple[Simulator, list[int]]:
        """A simulator of the circuit with gates replaced (by driven signal id) or added.

        Added gates get signal ids `n_signals, n_signals + 1, ...` (returned), may read each
        other and any existing signal; replaced gates may read any signal as long as no loop
        forms (raises `InputError` otherwise). Output bits keep reading the same signals
        (call `redirect_outputs` on the new simulator to change that). Signal ids of the old
        circuit stay valid, so a result of `self` can seed `rerun_cone` of the new one.
        """
        replace = dict(replace or {})
        gates: list[tuple[int, np.ndarray, np.ndarray]] = []
        n_old = self.codes.size
        for g in range(n_old):
            p, q = self.fanin_ptr[g], self.fanin_ptr[g + 1]
            gates.append((int(self.codes[g]), self.fanin[p:q],
                          self.lut_bits[self.lut_ptr[g]:self.lut_ptr[g + 1]]))
        new_ids = []
        for gate in add:
            gates.append((gate.code, np.asarray(gate.fanin, dtype=np.int64), gate.table_bits()))
            new_ids.append(self.base + len(gates) - 1)
        for sig_id, gate in replace.items():
            g = sig_id - self.base
            if not 0 <= g < len(gates):
                raise InputError(f"signal {sig_id} is not driven by a gate")
            gates[g] = (gate.code, np.asarray(gate.fanin, dtype=np.int64), gate.table_bits())
        sim = Simulator.__new__(Simulator)
        sim.view = self.view
        sim.codes = np.array([c for c, _, _ in gates], dtype=np.int8)
        sim.fanin_ptr = np.concatenate([[0], np.cumsum([f.size for _, f, _ in gates])]).astype(np.int64)
        sim.fanin = (np.concatenate([f for _, f, _ in gates]).astype(np.int64)
                     if gates else np.zeros(0, dtype=np.int64))
        sim.lut_ptr = np.concatenate([[0], np.cumsum([t.size for _, _, t in gates])]).astype(np.int64)
        sim.lut_bits = (np.concatenate([t for _, _, t in gates]).astype(np.uint8)
                        if gates else np.zeros(0, dtype=np.uint8))
        sim.outputs = self.outputs.copy()
        sim.base = self.base
        sim.n_signals = self.base + len(gates)
        if sim.fanin.size and (sim.fanin.min() < 0 or sim.fanin.max() >= sim.n_signals):
            raise InputError("a gate reads a signal that does not exist")
        sim._output_offsets = self._output_offsets
        sim._fast = None
        sim.order = G.topo_order(sim.codes, sim.fanin_ptr, sim.fanin, sim.base)
        if sim.order.size != len(gates):
            raise InputError("the replaced gates form a combinational loop")
        return sim, new_ids

    def redirect_outputs(self, mapping: Mapping[int, int]) -> None:
        """Make output bit rows read other signals: {output bit index: signal id}."""
        self.outputs = self.outputs.copy()
        self._fast = None
        for bit, sig_id in mapping.items():
            self.outputs[bit] = sig_id

    def rerun_cone(self, result: SimResult, changed: Iterable[int],
                   keep_signals: bool = True) -> SimResult:
        """Re-simulate only the fan-out cone of the `changed` signals.

        `result` must come from a simulator of the same circuit before the change (same signal
        ids for what did not change, e.g. the simulator `with_gates` was called on) and have kept
        its signals. The cone is recomputed on a copy unless `keep_signals` is False, in which
        case `result.signals` is overwritten in place (cheaper; the old result becomes stale).
        """
        if result.signals is None:
            raise InputError("incremental re-simulation needs a result with kept signals")
        seeds = np.fromiter(changed, dtype=np.int64)
        old = result.signals
        if keep_signals or old.shape[0] < self.n_signals:
            sig = np.empty((self.n_signals, old.shape[1]), dtype=np.uint64)
            sig[:old.shape[0]] = old
        else:
            sig = old
        cone = G.fanout_cone(self.order, self.fanin_ptr, self.fanin, self.base, self.n_signals,
                             seeds)
        K.eval_blocked(cone, self.codes, self.fanin_ptr, self.fanin,
                       np.zeros(self.fanin.size, np.uint64), self.lut_ptr, self.lut_bits,
                       self.base, sig, _block_words(self.n_signals))
        packed = np.ascontiguousarray(sig[self.outputs])
        return SimResult(self, result.vectors, packed, sig)

    def resimulate(self, result: SimResult) -> SimResult:
        """Re-simulate after the graph was edited and exported to a new `LogicView`.

        `result` comes from a simulator of the view before the edit (with kept signals; the
        same input ports). A gate of this view that is the same `Op` as a gate of the old view,
        with the same kind, table and (unchanged) fan-ins, keeps its old words; only the other
        gates, i.e. the edited ones and their fan-out cone, are evaluated.
        """
        if result.signals is None:
            raise InputError("incremental re-simulation needs a result with kept signals")
        old = result.sim
        if list(old.view.input_ports) != list(self.view.input_ports):
            raise InputError("the edited circuit has different input ports")
        old_index = {id(op): g for g, op in enumerate(old.view.gate_ops)}
        old_of = np.full(self.codes.size, -1, dtype=np.int64)
        for g, op in enumerate(self.view.gate_ops):
            og = old_index.get(id(op), -1)
            if og >= 0 and old.view.gate_ops[og] is op:
                old_of[g] = og
        mapped = G.match_old_signals(self.order, self.codes, self.fanin_ptr, self.fanin,
                                     self.lut_ptr, self.lut_bits, self.base, old_of, old.codes,
                                     old.fanin_ptr, old.fanin, old.lut_ptr, old.lut_bits, old.base)
        sig = np.empty((self.n_signals, result.signals.shape[1]), dtype=np.uint64)
        kept = np.flatnonzero(mapped >= 0)
        sig[kept] = result.signals[mapped[kept]]
        todo = self.order[mapped[self.base + self.order] < 0]
        K.eval_blocked(todo, self.codes, self.fanin_ptr, self.fanin,
                       np.zeros(self.fanin.size, np.uint64), self.lut_ptr, self.lut_bits,
                       self.base, sig, _block_words(self.n_signals))
        return SimResult(self, result.vectors, np.ascontiguousarray(sig[self.outputs]), sig)
