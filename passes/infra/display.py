"""What a run shows on a terminal while it works: one live display for the whole run.

Every pass runs inside a `step` (a spinner with its name and the time spent), and loops with a
known length show a bar (`iterate`) in the same display, so that a step longer than a moment is
never silent. Nothing is shown when the run is quiet or stderr is not a terminal; log lines
printed meanwhile appear above the display.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["TerminalDisplay"]

T = TypeVar("T")


class TerminalDisplay:
    """A rich progress display shared by nested steps and loops (started by the outermost)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._live: Any = None
        self._depth = 0

    @contextmanager
    def _active(self) -> Iterator[Any]:
        if self._live is None:
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._live = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  TextColumn("{task.fields[count]}"), TimeElapsedColumn(), transient=True)
            self._live.start()
        self._depth += 1
        try:
            yield self._live
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._live.stop()
                self._live = None

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Show `description` with a spinner and the elapsed time while the block runs."""
        if not self.enabled:
            yield
            return
        with self._active() as live:
            task = live.add_task(description, total=None, count="")
            try:
                yield
            finally:
                live.remove_task(task)

    def iterate(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate over `items` with a bar (a count when `total` is unknown)."""
        if not self.enabled:
            yield from items
            return
        with self._active() as live:
            task = live.add_task(description, total=total, count="")
            of = f"/{total}" if total else ""
            try:
                for done, item in enumerate(items, 1):
                    yield item
                    live.update(task, advance=1, count=f"{done}{of}")
            finally:
                live.remove_task(task)
