"""Size limits of the frontends: how wide, how many and how deep a file may ask for before it is
refused with a located error (instead of exhausting memory or time). Every check runs on what
the file declares, before the thing it declares is built.

| default | option (`load(..., max_bus_width=N)`) / flag | bounds |
|---|---|---|
| `MAX_BUS_WIDTH` 2^20 | `max_bus_width` / `--max-bus-width N` | the widest Verilog port, net, expression or literal; a BLIF/`.bench` port bus formed from indexed names `a[0] .. a[N-1]`; the fan-in of one `.bench` gate; an `iN` type of the IR text |
| `MAX_TOTAL_BITS` 2^24 | `max_total_bits` / `--max-total-bits N` | the bits of all nets one Verilog design declares; the nets of a BLIF netlist once its `.subckt` instances are flattened (counted before flattening); rows x inputs of one BLIF cover; the nets of a `.bench` file |
| `MAX_DEPTH` 64 | `max_depth` / `--max-depth N` | Verilog instance nesting; BLIF `.subckt` nesting; ONNX subgraph nesting (If/Loop/Scan bodies); lists and dictionaries nested in one IR attribute value |
| `MAX_TENSOR_ELEMENTS` 2^28 | `max_tensor_elements` / `--max-tensor-elements N` | the elements of one tensor: ONNX initializers, `Constant` values, declared and inferred shapes (a Reshape target, a kernel_shape that infers a huge output); the bytes ONNX external data may supply (8 per element); IR tensor types, dense and sidecar tensors |
| `MAX_NODES` 2^24 | `max_nodes` / `--max-nodes N` | the nodes of an ONNX model (subgraphs included); the ops of an IR file |

An option given to `load` (or its flag) wins over the default. The defaults are read when a file
is loaded, so a program may also raise them for every later load:
`axc.frontend.limits.MAX_BUS_WIDTH = 1 << 22`. The IR itself allows wider types
(`IntType.MAX_WIDTH`, the top of the `max_bus_width` range); these bound what text from outside
may ask for. `RANGES` gives the values each option accepts; the command line checks them before
anything runs (exit 2).

Frontends call `Limits.of(options)`. The Verilog frontend, whose checks sit far from its options,
runs under `using(...)` and reads `current()`. The IR text reader lives in `axc.ir`, which imports
nothing of the frontends: it takes the values as loader options, which `axc.load` fills in from
here (called directly, it falls back to `IntType.MAX_WIDTH` and `MAX_ATTR_DEPTH`). With
`--frontend yosys` the limits bound the netlist Yosys writes (read back by the BLIF frontend), not
Yosys' own work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

from axc.ir import InputError, IntType

__all__ = [
    "MAX_BUS_WIDTH", "MAX_DEPTH", "MAX_NODES", "MAX_TENSOR_ELEMENTS", "MAX_TOTAL_BITS", "OPTIONS",
    "RANGES", "Limits", "current", "range_error", "using",
]

MAX_BUS_WIDTH = 1 << 20
"""Widest port, net, expression, literal, indexed-name bus or gate fan-in, in bits."""

MAX_TOTAL_BITS = 1 << 24
"""Most bits of all the nets one design declares (flattened), or cells of one BLIF cover."""

MAX_DEPTH = 64
"""Deepest nesting of instances, `.subckt`s, ONNX subgraphs or IR attribute values."""

MAX_TENSOR_ELEMENTS = 1 << 28
"""Most elements of one tensor (1 GiB of f32)."""

MAX_NODES = 1 << 24
"""Most nodes of an ONNX model or ops of an IR file."""

OPTIONS: dict[str, str] = {
    "max_bus_width": "MAX_BUS_WIDTH",
    "max_total_bits": "MAX_TOTAL_BITS",
    "max_depth": "MAX_DEPTH",
    "max_tensor_elements": "MAX_TENSOR_ELEMENTS",
    "max_nodes": "MAX_NODES",
}
"""Each limit option and the module default it overrides."""

RANGES: dict[str, tuple[int, int]] = {
    "max_bus_width": (32, IntType.MAX_WIDTH),
    "max_total_bits": (1, 1 << 40),
    "max_depth": (1, 256),
    "max_tensor_elements": (1, 1 << 40),
    "max_nodes": (1, 1 << 40),
}
"""The values each option accepts, inclusive: a bus may always be as wide as an unsized Verilog
constant (32 bits, as in every `[7:0]`), and the depth stays well inside Python's recursion."""


def range_error(option: str, value: Any) -> str | None:
    """Why `value` is not a valid `option` (in words, naming the flag), or None when it is."""
    low, high = RANGES[option]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"--{option.replace('_', '-')} must be an integer in {low}..{high}, got {value}"
    return None


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits one load runs under (see the module docstring)."""

    max_bus_width: int
    max_total_bits: int
    max_depth: int
    max_tensor_elements: int
    max_nodes: int

    @classmethod
    def of(cls, options: Mapping[str, Any] | None = None) -> Limits:
        """The limits `options` ask for, the module defaults for the others; an InputError for a
        value out of `RANGES`."""
        options = options or {}
        values = {}
        for option, default in OPTIONS.items():
            value = options.get(option)
            value = globals()[default] if value is None else value
            problem = range_error(option, value)
            if problem is not None:
                raise InputError(problem)
            values[option] = value
        return cls(**values)

    def as_options(self) -> dict[str, int]:
        """The limits as loader options (`max_bus_width=...`)."""
        return asdict(self)


_CURRENT: ContextVar[Limits | None] = ContextVar("axc_frontend_limits", default=None)


def current() -> Limits:
    """The limits of the load under way (`using`), else the module defaults."""
    found = _CURRENT.get()
    return found if found is not None else Limits.of()


@contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Make `limits` the `current()` ones inside the block (for code far from the options)."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
