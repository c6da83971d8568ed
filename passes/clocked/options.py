"""The options of the circuit passes that measure a clocked design's error over cycles."""

from __future__ import annotations

from dataclasses import dataclass

from axc.ir import InputError

from ..infra.base import ModulePass

__all__ = ["ClockedOptions"]


@dataclass(frozen=True)
class ClockedOptions(ModulePass):
    """How a clocked design's error is measured (ignored on combinational circuits)."""

    cycles: int = 1000
    """Clock cycles per trace when measuring a clocked design's error (the global --cycles)."""
    traces: int = 1000
    """Independent random traces (rounded up to a multiple of 64) of the measurement of the
    written clocked design on fresh stimulus; the search measures on min(traces, 256) (the
    global --traces)."""
    stimulus: str | None = None
    """Per-cycle input values to measure on instead of random ones: an .npz (one array per input
    port, (cycles,) or (cycles, traces)) or a .vcd (one trace). The search measures on the first
    half of its traces and the written design is checked on the other half; a one-trace file
    serves both (the report says the check was not on fresh stimulus). The global --stimulus."""

    def check_cycles(self) -> None:
        """One `InputError` when cycles or traces are out of range."""
        if self.cycles < 2 or self.traces < 2:
            raise InputError(f"{self.name}: cycles and traces must be at least 2, got {self.cycles} and "
                             f"{self.traces}")
