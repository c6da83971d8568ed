"""A fast lexer for the Verilog grammar: one compiled regular expression, keywords by lookup.

lark's own lexers try terminal after terminal in Python for every token; here the terminals of
`grammar.lark` are compiled into a single alternation (ignored text, literals, identifiers, then
every operator longest first), and identifiers that spell a keyword take the keyword's
terminal. It yields the same tokens as lark's basic lexer would, about three times faster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, PatternStr

__all__ = ["FastLexer"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_REGEX_ORDER = ("BASED_NUMBER", "REAL", "DECIMAL", "STRING", "ESCAPED_ID", "SYSTEM_ID", "IDENTIFIER")


class FastLexer(Lexer):
    """A lark lexer (pass the class as `Lark(..., lexer=FastLexer)`)."""

    def __init__(self, lexer_conf: Any) -> None:
        terminals = {t.name: t for t in lexer_conf.terminals}
        self.ignore = frozenset(lexer_conf.ignore)
        self.keywords: dict[str, str] = {}
        self.operators: dict[str, str] = {}
        parts = [f"(?P<{name}>{terminals[name].pattern.to_regexp()})" for name in lexer_conf.ignore]
        for t in lexer_conf.terminals:
            if isinstance(t.pattern, PatternStr):
                table = self.keywords if _WORD.fullmatch(t.pattern.value) else self.operators
                table[t.pattern.value] = t.name
        parts += [f"(?P<{name}>{terminals[name].pattern.to_regexp()})"
                  for name in _REGEX_ORDER if name in terminals]
        ops = sorted(self.operators, key=len, reverse=True)
        parts.append("(?P<OPERATOR>" + "|".join(re.escape(op) for op in ops) + ")")
        self.pattern = re.compile("|".join(parts))

    def lex(self, data: str) -> Iterator[Token]:  # type: ignore[override]
        match = self.pattern.match
        ignore, keywords, operators = self.ignore, self.keywords, self.operators
        pos, line, line_start, end = 0, 1, 0, len(data)
        while pos < end:
            m = match(data, pos)
            if m is None:
                raise UnexpectedCharacters(data, pos, line, pos - line_start + 1)
            kind = m.lastgroup
            text = m.group()
            if kind not in ignore:
                if kind == "IDENTIFIER":
                    kind = keywords.get(text, kind)
                elif kind == "OPERATOR":
                    kind = operators[text]
                yield Token(kind, text, pos, line, pos - line_start + 1)
            newlines = text.count("\n")
            if newlines:
                line += newlines
                line_start = pos + text.rfind("\n") + 1
            pos = m.end()
