"""The dialects of axc-opt: `builtin`, `hw`, `logic`, `word`, `nn`, `approx`.

Importing this package registers them all.
"""

from __future__ import annotations

from ..dialect import register_dialect
from . import approx, builtin, hw, logic, nn, word

__all__ = ["approx", "builtin", "hw", "logic", "nn", "word"]

for _d in (builtin.BUILTIN, hw.HW, logic.LOGIC, word.WORD, nn.NN, approx.APPROX):
    register_dialect(_d)
