"""The run's terminal display: nested steps and bars share one live display."""

from __future__ import annotations

from axc.passes.infra.base import PassContext
from axc.passes.infra.display import TerminalDisplay


def test_nested_steps_and_bars_share_one_display() -> None:
    display = TerminalDisplay(enabled=True)
    seen = []
    with display.step("outer"):
        with display.step("inner"):  # a second rich live display would raise here
            seen += list(display.iterate(range(5), "loop", 5))
            seen += list(display.iterate(iter("ab"), "unsized"))
        assert display._live is not None
    assert seen == [0, 1, 2, 3, 4, "a", "b"] and display._live is None


def test_a_quiet_context_shows_nothing() -> None:
    ctx = PassContext(quiet=True)
    with ctx.step("work"):
        assert list(ctx.progress([1, 2], "loop", 2)) == [1, 2]
    assert not ctx.display.enabled and ctx.display._live is None
