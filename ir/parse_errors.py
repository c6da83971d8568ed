"""Located, one-line errors of the IR parser: syntax errors, unreadable tokens, deep nesting."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from lark import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from .diagnostics import FileLoc, ParseError

__all__ = ["bad_value", "syntax_error", "too_deep"]


def too_deep(filename: str, text: str, limit: int) -> ParseError:
    """The error for attributes nested deeper than `limit`, at the bracket that goes too deep."""
    depth = 0
    pos = 0
    for m in re.finditer(r'"(?:\\.|[^"\\])*"|[\[\]{}]', text):
        mark = m.group()
        depth += 1 if mark in "[{" else -1 if mark in "]}" else 0
        if depth > limit:
            pos = m.start()
            break
    line = text.count("\n", 0, pos) + 1
    col = pos - text.rfind("\n", 0, pos)
    return ParseError(f"attribute values nest more than {limit} lists or dictionaries deep (--max-depth)",
                      FileLoc(filename, line, col), source=text)


def bad_value(exc: VisitError, text: str, filename: str) -> ParseError:
    """A located error for a token the grammar accepts but Python cannot read (a quoted name
    with a raw control character, ...)."""
    where = exc.obj
    meta = getattr(where, "meta", where)
    line, col = getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1
    problem = str(exc.orig_exc).splitlines()[0]
    if isinstance(exc.orig_exc, json.JSONDecodeError):
        problem = exc.orig_exc.msg.lower()
        if "control character" in problem:
            problem = "a raw control character (such as a newline); escape it (\\n)"
        problem = f"quoted text with {problem}"
    what = {"value": "%value name", "symbol": "@symbol name", "str_attr": "string"}.get(
        str(exc.rule), str(exc.rule).replace("_attr", " attribute").replace("_", " "))
    return ParseError(f"malformed {what}: {problem}", FileLoc(filename, line, col), source=text)


def _one_line(token: str, limit: int = 40) -> str:
    """A token quoted for a one-line message: control characters escaped, long ones cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in token)
    return f"'{text}'" if len(text) <= limit else f"'{text[:limit]}...'"


def syntax_error(exc: UnexpectedInput, text: str, filename: str, terminals: Iterable) -> ParseError:
    """The located error for a syntax error (`terminals`: the grammar's, to name what was expected)."""
    line, col = exc.line or 1, exc.column or 1
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        first_line = str(tok).split("\n")[0]
        shown = "end of input" if tok.type == "$END" else _one_line(str(tok))
        expected = sorted({_readable(t, terminals) for t in exc.expected})[:6]
        msg = f"unexpected {shown}" + (f" (expected {', '.join(expected)})" if expected else "")
        span = max(1, len(first_line)) if tok.type != "$END" else 1
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
    elif isinstance(exc, UnexpectedCharacters):
        msg = f"unexpected character {text[exc.pos_in_stream]!r}"
        span = 1
    else:
        msg, span = "unexpected end of input", 1
    return ParseError(msg, FileLoc(filename, line, col), source=text, span=span)


_FRIENDLY = {
    "OP_NAME": "an op name", "VALUE_ID": "a %value", "VALUE_QUOTED": "a %value",
    "SYMBOL_ID": "an @symbol", "SYMBOL_QUOTED": "an @symbol", "IDENT": "a name",
    "STRING": "a string", "INT": "an integer", "FLOAT": "a number", "HEX": "a hex number",
    "INT_TYPE": "a type", "TENSOR_TYPE": "a type", "GRAPH_KIND": "a graph", "$END": "end of input",
}


def _readable(terminal: str, terminals: Iterable) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    for t in terminals:
        if t.name == terminal and t.pattern.type == "str":
            return f"'{t.pattern.value}'"
    return terminal.lower()
