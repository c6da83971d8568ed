"""Size limits of the frontends: how wide a bus and how many bits in all a file may declare
before it is refused with a located error (instead of exhausting memory or time).

They are read when a file is loaded, so a program may raise them first:
`axc.frontend.limits.MAX_BUS_WIDTH = 1 << 22`. The IR itself allows wider types
(`IntType.MAX_WIDTH`); these bound what text from outside may ask for.
"""

from __future__ import annotations

__all__ = ["MAX_BUS_WIDTH", "MAX_TOTAL_BITS"]

MAX_BUS_WIDTH = 1 << 20
"""Widest port, net, expression or literal, in bits."""

MAX_TOTAL_BITS = 1 << 24
"""Most bits of all the nets one design declares."""
