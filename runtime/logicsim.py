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
```

Signals are numbered as in `LogicView`: 0 = constant 0, 1 = constant 1, then the input bits
(ports in order, LSB first), then one signal per gate. Vector `v` lives in bit `v % 64` of word
`v // 64`; bits past `n_vectors` in the last word are zero on the inputs and meaningless on other
signals (`SimResult.valid_mask` masks them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from axc.ir import InputError
from axc.ir.attributes import TruthTable
from axc.ir.views import GATE_CODES, LogicView

from . import simkernels as K

__all__ = ["Gate", "SimResult", "Simulator", "VectorSet", "MAX_EXHAUSTIVE_INPUTS"]

MAX_EXHAUSTIVE_INPUTS = 24
"""`VectorSet.exhaustive` refuses circuits with more input bits than this (2^24 vectors)."""

_BLOCK_WORDS = 128
"""Words per block when evaluating all gates block by block (wider blocks amortise per-gate
overhead; `_block_words` narrows them so the scratch stays under `_SCRATCH_BYTES`)."""
_SCRATCH_BYTES = 64 << 20


def _block_words(n_signals: int) -> int:
    block = _BLOCK_WORDS
    while block > 4 and n_signals * block * 8 > _SCRATCH_BYTES:
        block //= 2
    return block
_PATTERNS = np.array(
    [0xAAAAAAAAAAAAAAAA, 0xCCCCCCCCCCCCCCCC, 0xF0F0F0F0F0F0F0F0,
     0xFF00FF00FF00FF00, 0xFFFF0000FFFF0000, 0xFFFFFFFF00000000], dtype=np.uint64)


def _n_words(n_vectors: int) -> int:
    return (n_vectors + 63) // 64


def _tail_mask(n_vectors: int) -> np.ndarray:
    """Per word, the mask of bits that hold real vectors."""
    mask = np.full(_n_words(n_vectors), np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    if n_vectors % 64:
        mask[-1] = np.uint64((1 << (n_vectors % 64)) - 1)
    return mask


def pack_ints(values: Sequence[int] | np.ndarray, width: int) -> np.ndarray:
    """Bits of `width`-bit integers as (width × n_words) packed rows (two's complement)."""
    arr = np.asarray(values)
    n = arr.shape[0]
    rows = np.zeros((width, _n_words(n)), dtype=np.uint64)
    if arr.dtype == object or width > 64:
        mask = (1 << width) - 1
        chunks = [np.array([(int(x) & mask) >> (64 * c) & 0xFFFFFFFFFFFFFFFF for x in arr],
                           dtype=np.uint64) for c in range((width + 63) // 64)]
    else:
        chunks = [arr.astype(np.int64).view(np.uint64) if arr.dtype.kind == "i"
                  else arr.astype(np.uint64)]
    padded = _n_words(n) * 64
    for i in range(width):
        bits = ((chunks[i // 64] >> np.uint64(i % 64)) & np.uint64(1)).astype(np.uint8)
        if padded != n:
            bits = np.concatenate([bits, np.zeros(padded - n, dtype=np.uint8)])
        rows[i] = np.packbits(bits, bitorder="little").view(np.uint64)
    return rows


def unpack_ints(rows: np.ndarray, n_vectors: int, signed: bool = False) -> np.ndarray:
    """Integers whose bit i is row i: uint64/int64 up to 64 rows, Python ints (object) above."""
    width = rows.shape[0]
    if width <= 64:
        out = K.gather_ints(np.ascontiguousarray(rows), n_vectors)
        if not signed:
            return out
        if width < 64:
            sign = np.uint64(1) << np.uint64(width - 1)
            out = (out ^ sign) - sign
        return out.view(np.int64)
    parts = [K.gather_ints(np.ascontiguousarray(rows[c:c + 64]), n_vectors)
             for c in range(0, width, 64)]
    values = np.zeros(n_vectors, dtype=object)
    for c, part in enumerate(parts):
        values += part.astype(object) * (1 << (64 * c))
    if signed:
        values = np.where(values >= 1 << (width - 1), values - (1 << width), values)
    return values


@dataclass(frozen=True)
class VectorSet:
    """Input vectors, packed: `words[i, w]` holds input bit i of vectors 64·w … 64·w+63."""

    words: np.ndarray
    """(n_input_bits × n_words) uint64."""
    n_vectors: int
    source: Literal["exhaustive", "random", "user"]
    """How the vectors were made (reported with every metric)."""
    seed: int | None = None
    """The seed of random vectors."""
    input_ports: tuple[tuple[str, int], ...] = ()

    @property
    def n_words(self) -> int:
        return int(self.words.shape[1])

    def describe(self) -> str:
        if self.source == "random":
            return f"{self.n_vectors} random vectors (seed {self.seed})"
        return f"{self.n_vectors} {self.source} vectors"

    @classmethod
    def exhaustive(cls, view: LogicView) -> VectorSet:
        """All 2^n input patterns; vector index bit i = input bit i (first port in the LSBs)."""
        n_in = view.n_inputs
        if n_in > MAX_EXHAUSTIVE_INPUTS:
            raise InputError(f"{n_in} input bits are too many for exhaustive simulation "
                             f"(at most {MAX_EXHAUSTIVE_INPUTS}); use random vectors")
        n_vectors = 1 << n_in
        n_words = _n_words(n_vectors)
        words = np.zeros((n_in, n_words), dtype=np.uint64)
        word_index = np.arange(n_words, dtype=np.uint64)
        for i in range(n_in):
            if i < 6:
                words[i] = _PATTERNS[i]
            else:
                words[i] = np.where((word_index >> np.uint64(i - 6)) & np.uint64(1),
                                    np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))
        words &= _tail_mask(n_vectors)
        return cls(words, n_vectors, "exhaustive", None, tuple(view.input_ports))

    @classmethod
    def random(cls, view: LogicView, n_vectors: int, seed: int = 0) -> VectorSet:
        """`n_vectors` uniformly random input patterns from a seeded generator."""
        if n_vectors <= 0:
            raise InputError(f"the number of vectors must be positive, got {n_vectors}")
        rng = np.random.default_rng(seed)
        words = rng.integers(0, 1 << 64, size=(view.n_inputs, _n_words(n_vectors)),
                             dtype=np.uint64, endpoint=False)
        words &= _tail_mask(n_vectors)
        return cls(words, n_vectors, "random", seed, tuple(view.input_ports))

    @classmethod
    def auto(cls, view: LogicView, n_random: int = 10_000, seed: int = 0) -> VectorSet:
        """Exhaustive when 2^inputs ≤ max(n_random, 2^16), else `n_random` random vectors."""
        if view.n_inputs <= MAX_EXHAUSTIVE_INPUTS and 1 << view.n_inputs <= max(n_random, 1 << 16):
            return cls.exhaustive(view)
        return cls.random(view, n_random, seed)

    @classmethod
    def from_ports(cls, view: LogicView, values: Mapping[str, Sequence[int] | np.ndarray]) -> VectorSet:
        """User vectors: one integer array per input port (all the same length)."""
        missing = [name for name, _ in view.input_ports if name not in values]
        extra = sorted(set(values) - {name for name, _ in view.input_ports})
        if missing or extra:
            raise InputError(f"vectors must give every input port: missing {missing}, unknown {extra}")
        lengths = {len(values[name]) for name, _ in view.input_ports}
        if len(lengths) > 1:
            raise InputError(f"input ports have different vector counts: {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        if n == 0:
            raise InputError("no vectors given")
        rows = [pack_ints(values[name], width) for name, width in view.input_ports]
        words = np.concatenate(rows) if rows else np.zeros((0, _n_words(n)), dtype=np.uint64)
        return cls(words, n, "user", None, tuple(view.input_ports))

    @classmethod
    def from_words(cls, words: np.ndarray, n_vectors: int, source: str = "user",
                   seed: int | None = None) -> VectorSet:
        """Vectors already packed (e.g. signal rows of another simulation)."""
        words = np.ascontiguousarray(words, dtype=np.uint64).copy()
        words &= _tail_mask(n_vectors)
        return cls(words, n_vectors, source, seed)  # type: ignore[arg-type]

    def port_values(self, name: str, signed: bool = False) -> np.ndarray:
        """The integer applied to input port `name` in each vector."""
        lo = 0
        for port, width in self.input_ports:
            if port == name:
                return unpack_ints(self.words[lo:lo + width], self.n_vectors, signed)
            lo += width
        raise InputError(f"no input port '{name}'")


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
        if self.table is None:
            return np.zeros(0, dtype=np.uint8)
        if isinstance(self.table, TruthTable):
            return self.table.to_array()
        bits = np.asarray(self.table, dtype=np.uint8).ravel()
        if bits.size != 1 << len(self.fanin):
            raise InputError(f"LUT table has {bits.size} entries for {len(self.fanin)} inputs")
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
        return _tail_mask(self.n_vectors)

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

    def run(self, vectors: VectorSet, keep_signals: bool = True) -> SimResult:
        """Simulate every vector; keep all signal words unless `keep_signals` is False."""
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
        else:
            codes, ptr, fanin, fmask, lut_ptr, lut_bits, outs, omask, n_signals = self._program()
            K.run_blocked(np.arange(codes.size, dtype=np.int64), codes, ptr, fanin, fmask,
                          lut_ptr, lut_bits, n_signals, words, outs, omask, packed, full,
                          _block_words(n_signals))
        return SimResult(self, vectors, packed, full if keep_signals else None)

    def _program(self) -> tuple:
        """The NOT/BUF-free program for output-only runs (compiled once per simulator)."""
        if self._fast is None:
            self._fast = K.compile_fast(self.order, self.codes, self.fanin_ptr, self.fanin,
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
        sim.order = K.topo_order(sim.codes, sim.fanin_ptr, sim.fanin, sim.base)
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
        cone = K.fanout_cone(self.order, self.fanin_ptr, self.fanin, self.base, self.n_signals,
                             seeds)
        K.eval_blocked(cone, self.codes, self.fanin_ptr, self.fanin,
                       np.zeros(self.fanin.size, np.uint64), self.lut_ptr, self.lut_bits,
                       self.base, sig, _block_words(self.n_signals))
        packed = np.ascontiguousarray(sig[self.outputs])
        return SimResult(self, result.vectors, packed, sig)
