"""The limits of one search pass: wall-clock seconds over all its phases, and counted work.

A time budget bounds the whole pass (partition, exploration, refinement, final mapping and the
error bound), so each phase asks for its share of what is left after a reserve for the phases
that must still run. Counted limits (`max_iterations`, `max_moves`) stop a search at the same
point on every run with the same seed, which wall time cannot; `stopped_by` names the limit
that stopped a search, or None when it ran out of moves within the threshold.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

__all__ = ["RunBudget", "SearchLimit"]


@dataclass
class RunBudget:
    """Seconds for a whole pass run (0 = no limit), counted from its creation."""

    seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        if not self.seconds:
            return math.inf
        return self.seconds - (time.monotonic() - self.started)

    def phase(self, share: float = 1.0, reserve: float = 0.0) -> float:
        """Seconds for a phase that may take `share` of what is left after `reserve` seconds
        (0 = no limit; a spent budget still gives a phase a moment, so it ends at once)."""
        if not self.seconds:
            return 0.0
        return max(1e-3, (self.remaining() - reserve) * share)


@dataclass
class SearchLimit:
    """The limits of one search loop: seconds (0 = none) and iterations (0 = none)."""

    seconds: float = 0.0
    iterations: int = 0
    counted: str = "max_iterations"
    """The option that set `iterations` (named in `stopped_by`)."""
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    stopped_by: str | None = None
    """`time_budget`, the `counted` option (or None: the search ended by itself)."""
    _finished: float = 0.0
    """When the last iteration finished (0: none yet)."""

    def out_of_time(self) -> bool:
        """Whether the seconds are spent (noted in `stopped_by`); counts nothing, for checks
        inside an iteration."""
        if self.seconds and time.monotonic() - self.started > self.seconds:
            self.stopped_by = self.stopped_by or "time_budget"
        return self.stopped_by == "time_budget"

    def count(self) -> bool:
        """Count one finished iteration; False when a limit says to stop (and which is noted):
        the seconds stop a search when another iteration as long as the last would overrun them."""
        self.done += 1
        now = time.monotonic()
        last, self._finished = now - (self._finished or self.started), now
        if self.iterations and self.done >= self.iterations:
            self.stopped_by = self.counted
        elif self.seconds and now - self.started + last > self.seconds:
            self.stopped_by = "time_budget"
        return self.stopped_by is None
