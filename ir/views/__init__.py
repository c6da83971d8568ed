"""Array views of IR graphs for hot loops (simulation, factorization, kernels).

A view is exported once from a graph, worked on as numpy arrays, and results are written back
through the IR API. Python objects per gate are for editing, never for inner loops.
"""

from __future__ import annotations

from .clocked import ClockedCore, RegisterSlot, is_clocked
from .logic_view import GATE_CODES, LogicView

__all__ = ["GATE_CODES", "ClockedCore", "LogicView", "RegisterSlot", "is_clocked"]
