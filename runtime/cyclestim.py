"""Per-cycle input values of a clocked design for many traces at once (the cycle simulator's input).

`Stimulus.words[t, i, w]` holds data input bit i (the primary inputs without the clock, in
order, LSB first) in cycle t of traces 64·w … 64·w+63; bits past `n_traces` in the last word
are zero. Stimuli are seeded random (reset inputs asserted in cycle 0 only), read from an `.npz`
of per-cycle port values, read from a VCD, or given as arrays (`from_ports`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from axc.ir import InputError, Value
from axc.ir.dialects import hw, logic, word
from axc.ir.views import ClockedCore

from . import cyclekernels as CK
from .simvectors import n_words_for, signed_objects, tail_mask
from .vcd import read_vcd

__all__ = ["Stimulus", "data_ports", "pack_port", "reset_levels", "unpack_port"]

_WIRING = (logic.BufOp, hw.JoinOp)
_INVERTERS = (logic.NotOp, word.NotOp)


def data_ports(cut: ClockedCore) -> tuple[tuple[str, int], ...]:
    """The primary inputs without the clock: the ports a stimulus drives, in order."""
    return tuple((name, width) for name, width in cut.input_ports if name != cut.clock)


def reset_levels(cut: ClockedCore) -> dict[str, int]:
    """The reset inputs and their asserted level: 1 for a register's asynchronous reset (0 when it
    is active low) or a port
    that is a synchronous reset (`NAME@srst` output) directly, 0 for one that reaches it through
    one inverter (an active-low reset)."""
    levels: dict[str, int] = {}
    for slot in cut.registers:
        if slot.arst_port:
            levels[slot.arst_port] = 0 if slot.arst_active_low else 1
    graph = cut.core.top_graph
    for slot in cut.registers:
        if slot.srst_port:
            found = _port_through_inverter(graph.output(slot.srst_port))
            if found is not None and found[0] not in levels:
                levels[found[0]] = found[1]
    return levels


def _port_through_inverter(value: Value) -> tuple[str, int] | None:
    """(port name, asserted level) when `value` is a 1-bit port, possibly through wiring and at
    most one inverter."""
    inverted = 0
    while value.owner is not None:
        op = value.owner
        if isinstance(op, _INVERTERS) and not inverted:
            inverted = 1
        elif not (isinstance(op, _WIRING) and len(op.operands) == 1):
            return None
        value = op.operand(0)
    if value.type.width != 1:
        return None
    return value.name, 1 - inverted


def pack_port(name: str, values: np.ndarray, width: int, n_words: int) -> np.ndarray:
    """(cycles × traces) integers of port `name` → (cycles × width × n_words) packed rows.

    Values may be unsigned (< 2^width) or two's complement (≥ −2^(width−1)); anything else is an
    `InputError` naming the port.
    """
    arr = np.asarray(values)
    if arr.dtype == object or width > 64:
        return _pack_wide(name, arr, width, n_words)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint64)
    if arr.dtype.kind not in "iu":
        raise InputError(f"port '{name}': values must be integers, got {arr.dtype}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -(1 << (width - 1)) or hi >= 1 << width:
            raise InputError(f"port '{name}': value {lo if lo < 0 else hi} does not fit {width} bits")
    bits = arr.astype(np.int64).view(np.uint64) if arr.dtype.kind == "i" else arr.astype(np.uint64)
    return CK.pack_cycles(np.ascontiguousarray(bits), width, n_words)


def _pack_wide(name: str, arr: np.ndarray, width: int, n_words: int) -> np.ndarray:
    """`pack_port` for Python ints or ports over 64 bits, 64 bits at a time."""
    mask = (1 << width) - 1
    try:
        ints = [[int(x) for x in row] for row in arr]
    except (TypeError, ValueError):
        raise InputError(f"port '{name}': values must be integers") from None
    flat = [x for row in ints for x in row]
    if flat and (min(flat) < -(1 << (width - 1)) or max(flat) > mask):
        raise InputError(f"port '{name}': a value does not fit {width} bits")
    out = np.zeros((arr.shape[0], width, n_words), dtype=np.uint64)
    for c in range(0, width, 64):
        chunk = np.array([[((x & mask) >> c) & 0xFFFFFFFFFFFFFFFF for x in row] for row in ints],
                         dtype=np.uint64).reshape(arr.shape)
        part = min(64, width - c)
        out[:, c:c + part] = CK.pack_cycles(chunk, part, n_words)
    return out


def unpack_port(rows: np.ndarray, n_traces: int, signed: bool = False) -> np.ndarray:
    """(cycles × width × n_words) packed rows → (cycles × traces) integers: uint64 (int64 when
    `signed`) up to 64 bits, Python ints (object) above."""
    width = rows.shape[1]
    if width <= 64:
        out = CK.gather_cycles(np.ascontiguousarray(rows), n_traces)
        if not signed:
            return out
        if 0 < width < 64:
            sign = np.uint64(1) << np.uint64(width - 1)
            out = (out ^ sign) - sign
        return out.view(np.int64)
    values = np.zeros((rows.shape[0], n_traces), dtype=object)
    for c in range(0, width, 64):
        part = CK.gather_cycles(np.ascontiguousarray(rows[:, c:c + 64]), n_traces)
        values += part.astype(object) * (1 << c)
    return signed_objects(values, width) if signed else values


@dataclass(frozen=True)
class Stimulus:
    """Packed per-cycle data inputs of `n_traces` traces (see the module docstring)."""

    words: np.ndarray
    """(cycles × n_input_bits × n_words) uint64."""
    n_traces: int
    input_ports: tuple[tuple[str, int], ...]
    """The data inputs (primary inputs without the clock), in order."""
    source: str = "user"
    """'random', 'npz', 'vcd' or 'user' (reported with measurements)."""
    seed: int | None = None

    @property
    def n_cycles(self) -> int:
        return int(self.words.shape[0])

    @property
    def n_words(self) -> int:
        return int(self.words.shape[2])

    def describe(self) -> str:
        how = f"random (seed {self.seed})" if self.source == "random" else f"from {self.source}"
        return f"{self.n_cycles} cycles × {self.n_traces} traces, {how}"

    def port_rows(self, name: str) -> np.ndarray:
        """The packed rows of data input `name`: (cycles × width × n_words)."""
        lo = 0
        for port, width in self.input_ports:
            if port == name:
                return self.words[:, lo:lo + width]
            lo += width
        raise InputError(f"no data input port '{name}' (ports: {[p for p, _ in self.input_ports]})")

    def port_values(self, name: str, signed: bool = False) -> np.ndarray:
        """The integer applied to data input `name` per cycle and trace: (cycles × traces)."""
        return unpack_port(self.port_rows(name), self.n_traces, signed)

    @classmethod
    def random(cls, cut: ClockedCore, cycles: int, traces: int, seed: int = 0) -> Stimulus:
        """Uniform random data inputs from a seeded generator; reset inputs (`reset_levels`) are
        asserted in cycle 0 and deasserted afterwards."""
        if cycles <= 0 or traces <= 0:
            raise InputError(f"a stimulus needs at least one cycle and one trace, got {cycles} × {traces}")
        ports = data_ports(cut)
        n_bits = sum(w for _, w in ports)
        n_words = n_words_for(traces)
        rng = np.random.default_rng(seed)
        words = rng.integers(0, 1 << 64, size=(cycles, n_bits, n_words), dtype=np.uint64, endpoint=False)
        mask = tail_mask(traces)
        levels = reset_levels(cut)
        lo = 0
        for name, width in ports:
            if name in levels:
                on, off = (mask, np.zeros_like(mask)) if levels[name] else (np.zeros_like(mask), mask)
                words[0, lo] = on
                words[1:, lo] = off
            lo += width
        words &= mask
        return cls(words, traces, ports, "random", seed)

    @classmethod
    def from_ports(cls, cut: ClockedCore, values: Mapping[str, np.ndarray], source: str = "user") -> Stimulus:
        """Per-cycle values of every data input: shape (cycles,) for one trace, or
        (cycles, traces); (cycles,) arrays are shared by all traces. Ports the design does not
        have are ignored (the clock, outputs); a missing port or a bad shape is an `InputError`
        naming the port."""
        ports = data_ports(cut)
        arrays: dict[str, np.ndarray] = {}
        cycles = traces = None
        for name, _ in ports:
            if name not in values:
                raise InputError(f"the stimulus has no values for input port '{name}'")
            arr = np.asarray(values[name])
            if arr.ndim not in (1, 2) or arr.shape[0] == 0:
                raise InputError(f"input port '{name}': expected shape (cycles,) or (cycles, traces), "
                                 f"got {arr.shape}")
            if cycles is None:
                cycles = arr.shape[0]
            elif arr.shape[0] != cycles:
                raise InputError(f"input port '{name}': {arr.shape[0]} cycles, the other ports have {cycles}")
            if arr.ndim == 2:
                if arr.shape[1] == 0 or (traces is not None and arr.shape[1] != traces):
                    raise InputError(f"input port '{name}': {arr.shape[1]} traces, the other ports have {traces}")
                traces = arr.shape[1]
            arrays[name] = arr
        if cycles is None:
            raise InputError("the design has no data inputs: give the number of cycles with Stimulus.random")
        traces = traces or 1
        n_words = n_words_for(traces)
        rows = []
        for name, width in ports:
            arr = arrays[name]
            if arr.ndim == 1:
                arr = np.broadcast_to(arr[:, None], (cycles, traces))
            rows.append(pack_port(name, arr, width, n_words))
        words = np.concatenate(rows, axis=1)
        words &= tail_mask(traces)
        return cls(words, traces, ports, source)

    @classmethod
    def from_npz(cls, path: str | Path, cut: ClockedCore) -> Stimulus:
        """One array per data input port name in an `.npz` (see `from_ports`)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                values = {name: data[name] for name in data.files}
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read stimulus '{path}': {exc}") from None
        return cls.from_ports(cut, values, "npz")

    @classmethod
    def from_vcd(cls, path: str | Path, cut: ClockedCore) -> Stimulus:
        """One trace from a VCD: the data inputs held just before each rising edge of the clock
        variable, or after each time step when the VCD has no clock (see `axc.runtime.vcd`)."""
        ports = data_ports(cut)
        values = read_vcd(path, ports, cut.clock)
        return cls.from_ports(cut, values, "vcd")
