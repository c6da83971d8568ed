"""The dialects of axc-opt: `builtin`, `hw`, `logic`, `word`, `nn`, `approx`, `seq`.

Importing this package registers them all.
"""

from __future__ import annotations

from ..dialect import register_dialect
from . import approx, builtin, hw, logic, nn, seq, word

__all__ = ["approx", "builtin", "hw", "logic", "nn", "seq", "word"]

for _d in (builtin.BUILTIN, hw.HW, logic.LOGIC, word.WORD, nn.NN, approx.APPROX, seq.SEQ):
    register_dialect(_d)
