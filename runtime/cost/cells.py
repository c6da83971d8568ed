"""The cells of a library as the cost model and the netlist readers see them.

A `CellLibrary` holds, per combinational cell, its area (µm²), output pin, input pins with their
load (fF) and timing (block delay ns, fan-out delay ns/fF), the function as a truth table, and
leakage (nW) and internal energy per output transition (fJ) for the power estimate; sequential
cells are kept by name only (`latches`), so that readers can refuse them by name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from axc.ir import FileLoc, InputError

__all__ = ["POWER_NANGATE45", "Cell", "CellLibrary"]

POWER_NANGATE45: dict[str, tuple[float, float]] = {
    # cell: (leakage nW, internal energy fJ per output transition)
    "INV_X1": (14.4, 0.35), "BUF_X1": (21.4, 0.85), "NAND2_X1": (17.4, 0.50),
    "NOR2_X1": (21.9, 0.60), "AND2_X1": (25.1, 0.95), "OR2_X1": (22.7, 1.05),
    "AOI21_X1": (27.9, 0.80), "OAI21_X1": (22.9, 0.80), "AOI22_X1": (32.9, 1.00),
    "OAI22_X1": (31.0, 1.00), "XOR2_X1": (36.4, 1.60), "XNOR2_X1": (36.2, 1.60),
    "MUX2_X1": (61.8, 1.70),
}
"""Representative typical-corner (1.1 V, 25 °C) leakage and internal energy of the NanGate
FreePDK45 Open Cell Library X1 cells, rounded (genlib files carry no power data)."""


@dataclass(frozen=True)
class Cell:
    """One combinational cell."""

    name: str
    area: float
    output: str
    inputs: tuple[str, ...]
    table: tuple[int, ...]
    """Output for each input pattern (input i = bit i of the pattern index)."""
    load: tuple[float, ...]
    """Input capacitance per input pin (fF)."""
    block_delay: tuple[float, ...]
    """Per input pin, ns."""
    fanout_delay: tuple[float, ...]
    """Per input pin, ns per fF of load on the output."""
    leakage_nw: float = 0.0
    internal_fj: float = 0.0
    expression: str = ""
    """The output function as written in the library."""
    loc: FileLoc | None = None

    def __post_init__(self) -> None:
        if not self.area >= 0:  # also refuses NaN
            raise InputError(f"cell '{self.name}' has area {self.area}: areas must be 0 or more", self.loc)

    @property
    def mask(self) -> int:
        """The truth table as an integer (bit p = output for pattern p)."""
        return sum(bit << p for p, bit in enumerate(self.table))


@dataclass(frozen=True)
class CellLibrary:
    """The cells of one library file, and how to hand the file to Yosys/ABC."""

    path: str
    kind: str
    """'genlib' or 'liberty'."""
    text: str = field(repr=False)
    cells: dict[str, Cell] = field(repr=False)
    notes: tuple[str, ...] = ()
    latches: frozenset[str] = frozenset()
    """Sequential cells, by name."""

    @property
    def digest(self) -> str:
        return hashlib.blake2b(self.text.encode(), digest_size=10).hexdigest()
