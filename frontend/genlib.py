"""Reading genlib cell libraries (SIS/ABC format) into cell functions.

`GATE NAND2 0.798 Y=!(A*B); PIN * INV 1 999 1 0 1 0` declares a cell, its area and its output
function; `!` (or postfix `'`) is NOT, `*`/`&`/juxtaposition AND, `+`/`|` OR, `^` XOR,
`CONST0`/`CONST1` constants. Each cell's function becomes a truth table over its input pins
(ordered as they first appear in the expression), which is what the BLIF `.gate` importer and
cost models need. `LATCH` entries are recorded by name only (sequential cells are refused where
they are used).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from axc.ir import FileLoc, InputError, ParseError
from axc.ir.attributes import full_mask, literal_mask
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from .logic_builder import MAX_LUT_INPUTS

__all__ = ["Genlib", "GenlibCell", "load_genlib", "parse_genlib"]


@dataclass(frozen=True)
class GenlibCell:
    """One combinational cell: name, area, output pin, input pins and function."""

    name: str
    area: float
    output: str
    inputs: tuple[str, ...]
    table: int
    """Truth table over `inputs` (input i is bit i of the pattern index)."""
    expression: str
    loc: FileLoc


@dataclass(frozen=True)
class Genlib:
    """A parsed genlib file: its combinational cells by name and the names of its latches."""

    path: str
    cells: dict[str, GenlibCell]
    latches: frozenset[str]


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "genlib.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True)


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def _variables(tree: Tree | Token, found: dict[str, None]) -> None:
    if isinstance(tree, Tree):
        if tree.data == "var":
            found.setdefault(_unquote(str(tree.children[0])), None)
        for child in tree.children:
            _variables(child, found)


def _evaluate(tree: Tree | Token, n: int, index: dict[str, int]) -> int:
    full = full_mask(n)
    kind = tree.data
    if kind == "var":
        return literal_mask(n, index[_unquote(str(tree.children[0]))])
    if kind == "const0":
        return 0
    if kind == "const1":
        return full
    values = [_evaluate(c, n, index) for c in tree.children if isinstance(c, Tree)]
    if kind == "not_":
        return full ^ values[0]
    result = values[0]
    for v in values[1:]:
        if kind == "and_":
            result &= v
        elif kind == "or_":
            result |= v
        else:
            result ^= v
    return result


def _expression_text(tree: Tree | Token) -> str:
    if isinstance(tree, Token):
        return str(tree)
    parts = [_expression_text(c) for c in tree.children]
    op = {"and_": "*", "or_": "+", "xor_": "^"}.get(tree.data)
    if tree.data == "not_":
        return f"!{parts[0]}"
    if tree.data in ("var", "const0", "const1"):
        return parts[0]
    return "(" + op.join(parts) + ")" if op else "".join(parts)


def parse_genlib(text: str, filename: str = "<genlib>") -> Genlib:
    """Parse genlib `text`; raise `ParseError` with file:line:col on malformed input."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        loc = FileLoc(filename, exc.line, exc.column)
        raise ParseError(f"malformed genlib: unexpected {_describe(exc)}", loc, source=text) from None
    cells: dict[str, GenlibCell] = {}
    latches: set[str] = set()
    for entry in tree.children:
        name_tok = entry.children[0]
        loc = FileLoc(filename, name_tok.line, name_tok.column)
        name = _unquote(str(name_tok))
        if entry.data == "latch":
            latches.add(name)
            continue
        area, output, expr = entry.children[1], entry.children[2], entry.children[3]
        found: dict[str, None] = {}
        _variables(expr, found)
        inputs = tuple(found)
        if len(inputs) > MAX_LUT_INPUTS:
            raise InputError(f"genlib cell '{name}' has {len(inputs)} inputs (at most {MAX_LUT_INPUTS})", loc)
        table = _evaluate(expr, len(inputs), {p: i for i, p in enumerate(inputs)})
        if name in cells:
            raise InputError(f"genlib cell '{name}' is defined twice", loc, source=text)
        cells[name] = GenlibCell(
            name, float(area), _unquote(str(output)), inputs, table, _expression_text(expr), loc
        )
    return Genlib(filename, cells, frozenset(latches))


def _describe(exc: UnexpectedInput) -> str:
    token = getattr(exc, "token", None)
    if token is not None:
        return "end of file" if token.type == "$END" else f"'{token}'"
    char = getattr(exc, "char", None)
    return f"character '{char}'" if char is not None else "input"


@cache
def _load_cached(path: str, mtime: float) -> Genlib:
    return parse_genlib(Path(path).read_text(errors="replace"), path)


def load_genlib(path: str) -> Genlib:
    """Read and parse a genlib file (cached per path and modification time)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"genlib file '{path}' not found")
    return _load_cached(str(p), p.stat().st_mtime)
