"""Locations, the project's exception hierarchy, and rendering of located messages.

Every error a user can provoke is an `AxcError`. Its `render()` gives one headline
`file:line:col: error: message`, followed (when the source text is known) by the source line and
a caret under the offending column. The CLI prints that and exits non-zero; no traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AxcError",
    "FileLoc",
    "InputError",
    "Location",
    "NameLoc",
    "ParseError",
    "PassError",
    "VerifyError",
    "render_caret",
]


class Location:
    """Where an op or error comes from."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class FileLoc(Location):
    """A position in a text file (1-based line and column)."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class NameLoc(Location):
    """A named origin, such as an ONNX node name."""

    name: str

    def __str__(self) -> str:
        return self.name


class AxcError(Exception):
    """An error meant for the user: a message, an optional location and source text."""

    kind = "error"

    def __init__(
        self,
        message: str,
        loc: Location | None = None,
        *,
        source: str | None = None,
        span: int = 1,
        notes: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.source = source
        self.span = max(1, span)
        self.notes = list(notes or [])

    def headline(self) -> str:
        """`file:line:col: error: message` on one line (control characters in the message escaped)."""
        where = f"{self.loc}: " if self.loc is not None else ""
        return f"{where}{self.kind}: {_printable(self.message)}"

    def render(self) -> str:
        """The headline, then the source line with a caret when the text is known."""
        lines = [self.headline()]
        if isinstance(self.loc, FileLoc):
            text = self.source
            if text is None:
                text = _read_quietly(self.loc.file)
            if text is not None:
                lines.extend(render_caret(text, self.loc.line, self.loc.col, self.span))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.headline()


class ParseError(AxcError):
    """Malformed input text (IR, Verilog, BLIF, pipeline specs, ...)."""


class InputError(AxcError):
    """Input that parses but cannot be used (missing data, unsupported construct, bad option)."""


class VerifyError(AxcError):
    """IR that breaks a structural, typing or dialect rule."""


class PassError(AxcError):
    """A pass failed; the message names the passes that ran before it."""


def render_caret(text: str, line: int, col: int, span: int = 1) -> list[str]:
    """The source line `line` of `text` and a caret line under columns col..col+span-1."""
    src_lines = text.splitlines()
    if not 1 <= line <= len(src_lines):
        return []
    src = src_lines[line - 1].rstrip("\n").expandtabs(1)
    col = max(1, min(col, len(src) + 1))
    return [f"  {src}", "  " + " " * (col - 1) + "^" * max(1, span)]


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def _read_quietly(path: str) -> str | None:
    """The text of `path` for a caret line; None for a binary file (such as an ONNX model)."""
    try:
        p = Path(path)
        if p.is_file() and p.stat().st_size < 64 * 1024 * 1024:
            text = p.read_text(errors="replace")
            if "\ufffd" in text or any(chr(c) in text for c in (*range(9), *range(14, 32))):
                return None
            return text
    except OSError:
        return None
    return None
