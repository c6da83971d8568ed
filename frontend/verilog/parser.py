"""Parsing the Verilog subset with lark (LALR) straight into `ast` nodes.

The grammar (`grammar.lark`) is compiled once per process. The transformer (`transform.Build`)
runs inside the LALR parser (no parse tree is built), which keeps files of 100,000 lines fast to
read. Errors become `ParseError`s at the offending position, with a hint to use the Yosys route
when the construct is outside the subset.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import lark
from axc.ir import FileLoc, ParseError

from . import ast
from .lexer import FastLexer
from .transform import YOSYS_HINT, Build, parse_number

__all__ = ["YOSYS_HINT", "parse_number", "parse_verilog"]


@cache
def _parser() -> tuple[lark.Lark, Build]:
    build = Build("<verilog>")  # shared by every parse: it keeps no per-file state
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    parser = lark.Lark(grammar, parser="lalr", lexer=FastLexer, transformer=build,
                       maybe_placeholders=False)
    return parser, build


_UNSUPPORTED_KEYWORD = re.compile(
    r"(?:^|[;\s])(function|task|specify|primitive|table|fork|while|repeat|forever|real|realtime|"
    r"time|event|defparam|force|release|deassign|wait|disable|tran|pullup|pulldown|bufif0|"
    r"bufif1|notif0|notif1|cmos|nmos|pmos|always_ff|always_comb|always_latch)(?=[\s(;#@])",
    re.MULTILINE)


def _offset(text: str, line: int | None, col: int | None) -> int:
    if not line:
        return len(text)
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at) + 1
    return at + (col or 1) - 1


_UNSUPPORTED_DIRECTIVES = ("`define", "`include", "`ifdef", "`ifndef", "`undef", "`else", "`endif")


def parse_verilog(text: str, file: str = "<string>") -> list[ast.ModuleDecl]:
    """The modules of a Verilog source text; raises `ParseError` with the offending location."""
    for directive in _UNSUPPORTED_DIRECTIVES:
        at = text.find(directive)
        if at >= 0:
            line = text.count("\n", 0, at) + 1
            col = at - (text.rfind("\n", 0, at) + 1) + 1
            raise ParseError(f"compiler directive '{directive}' is not supported; {YOSYS_HINT}",
                             FileLoc(file, line, col), source=text)
    parser, _ = _parser()
    try:
        return parser.parse(text)
    except ParseError as err:  # raised by a callback, which does not know the file name
        loc = err.loc
        where = FileLoc(file, loc.line, loc.col) if isinstance(loc, FileLoc) else loc
        raise ParseError(err.message, where, source=text, span=err.span) from None
    except lark.exceptions.UnexpectedCharacters as err:
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "end of file"
        raise ParseError(f"unexpected character {ch!r}; {YOSYS_HINT}",
                         FileLoc(file, err.line, err.column), source=text) from None
    except lark.exceptions.UnexpectedEOF:
        line = text.count("\n") + 1
        raise ParseError("unexpected end of file (missing 'endmodule'?)",
                         FileLoc(file, line, 1), source=text) from None
    except lark.exceptions.UnexpectedToken as err:
        tok = err.token
        keyword = _UNSUPPORTED_KEYWORD.search(text, 0, max(0, _offset(text, tok.line, tok.column)) + 1)
        if keyword is not None:
            at = keyword.start(1)
            line = text.count("\n", 0, at) + 1
            col = at - (text.rfind("\n", 0, at) + 1) + 1
            raise ParseError(f"'{keyword.group(1)}' is not supported by the built-in Verilog "
                             f"frontend; {YOSYS_HINT}", FileLoc(file, line, col), source=text,
                             span=len(keyword.group(1))) from None
        what = "end of file" if tok.type == "$END" else repr(str(tok))
        raise ParseError(f"unexpected {what} (outside the supported Verilog subset? {YOSYS_HINT})",
                         FileLoc(file, tok.line or 1, tok.column or 1), source=text,
                         span=len(str(tok)) or 1) from None
