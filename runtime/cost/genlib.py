"""genlib cell libraries (the SIS/ABC format), read by the lark grammar `genlib.lark`.

`GATE NAND2 0.798 Y=!(A*B); PIN * INV 1 999 1 0 1 0` declares a cell, its area, its output
function and the timing of its input pins: `PIN <pin|*> <phase> <input load> <max load>
<rise block> <rise fan-out> <fall block> <fall fan-out>`; a pin takes the larger of its rise and
fall figures, a cell without PIN lines 1 fF and 1 ns. In a function `!` (or postfix `'`) is NOT,
`*`/`&`/juxtaposition AND, `+`/`|` OR, `^` XOR, `CONST0`/`CONST1` (or `0`/`1`) constants; the
input pins are ordered as they first appear. `LATCH` entries are kept by name only.

genlib files carry no power data: cells of the shipped NanGate-45 library take theirs from
`POWER_NANGATE45`; other cells get none (and a note says so).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from axc.ir import FileLoc, InputError, ParseError
from axc.ir.attributes import full_mask, literal_mask
from axc.ir.dialects.logic import LutOp
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from .cells import POWER_NANGATE45, Cell, CellLibrary

__all__ = ["function_table", "parse_genlib"]

MAX_CELL_INPUTS = LutOp.num_operands[1]
"""A cell becomes a `logic.lut` when no simpler gate matches, so it has at most as many inputs."""

MAX_NESTING = 64
"""Deepest parenthesis nesting in a genlib file."""

_DEFAULT_PIN = (1.0, 1.0, 0.0)


@cache
def _parser(start: str) -> Lark:
    grammar = (Path(__file__).parent / "genlib.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", start=start)


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def _describe(exc: UnexpectedInput) -> str:
    token = getattr(exc, "token", None)
    if token is not None:
        return "end of file" if token.type == "$END" else f"'{token}'"
    char = getattr(exc, "char", None)
    return f"character '{char}'" if char is not None else "input"


def _variables(tree: Tree | Token, found: dict[str, None]) -> None:
    if isinstance(tree, Tree):
        if tree.data == "var":
            found.setdefault(_unquote(str(tree.children[0])), None)
        for child in tree.children:
            _variables(child, found)


def _evaluate(tree: Tree, n: int, index: dict[str, int]) -> int:
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


def _table(expr: Tree, pins: list[str], name: str, where: FileLoc) -> tuple[int, ...]:
    """The truth table of `expr`; its variables not yet in `pins` are appended to it."""
    found: dict[str, None] = dict.fromkeys(pins)
    _variables(expr, found)
    pins[:] = list(found)
    if len(pins) > MAX_CELL_INPUTS:
        raise InputError(f"cell '{name}' has {len(pins)} inputs (at most {MAX_CELL_INPUTS})", where)
    mask = _evaluate(expr, len(pins), {p: i for i, p in enumerate(pins)})
    return tuple((mask >> p) & 1 for p in range(1 << len(pins)))


def function_table(function: str, pins: list[str], where: FileLoc, name: str = "") -> tuple[int, ...]:
    """The truth table of a Boolean function in genlib/Liberty syntax over `pins` (pins that the
    function names and the list lacks are appended, in order of first appearance)."""
    try:
        expr = _parser("expr").parse(function)
    except UnexpectedInput as exc:
        raise ParseError(f"cannot read the function '{function}': unexpected {_describe(exc)}",
                         where) from None
    try:
        return _table(expr, pins, name or function, where)
    except RecursionError:
        raise ParseError(f"the function of cell '{name or function[:40]}' is nested too deeply", where) from None


def _expression_text(tree: Tree | Token) -> str:
    if isinstance(tree, Token):
        return str(tree)
    parts = [_expression_text(c) for c in tree.children]
    if tree.data == "not_":
        return f"!{parts[0]}"
    if tree.data in ("var", "const0", "const1"):
        return parts[0]
    op = {"and_": "*", "or_": "+", "xor_": "^"}[tree.data]
    return "(" + op.join(parts) + ")"


def _pin_timing(pins: list[Tree]) -> dict[str, tuple[float, float, float]]:
    """Per pin name (or `*`): (input load, block delay, fan-out delay), the larger of rise/fall."""
    timing = {}
    for pin in pins:
        name, _phase, load, _max_load, rise_block, rise_fanout, fall_block, fall_fanout = (
            str(c) for c in pin.children)
        timing[_unquote(name)] = (float(load), max(float(rise_block), float(fall_block)),
                                  max(float(rise_fanout), float(fall_fanout)))
    return timing


def _check_nesting(text: str, path: str) -> None:
    """A located error at the first parenthesis nested more than MAX_NESTING deep (ABC, which
    reads the same text when mapping, would crash on it)."""
    depth = 0
    for m in re.finditer(r"#[^\n]*|[()]", text):
        depth += {"(": 1, ")": -1}.get(m.group(), 0)
        if depth > MAX_NESTING:
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - text.rfind("\n", 0, m.start())
            raise ParseError(f"parentheses nested more than {MAX_NESTING} deep", FileLoc(path, line, col),
                             source=text)


def parse_genlib(text: str, path: str = "<genlib>") -> CellLibrary:
    """Parse genlib `text`; malformed input raises `ParseError` with file:line:col."""
    _check_nesting(text, path)
    try:
        tree = _parser("start").parse(text)
    except UnexpectedInput as exc:
        raise ParseError(f"malformed genlib: unexpected {_describe(exc)}",
                         FileLoc(path, exc.line, exc.column), source=text) from None
    cells: dict[str, Cell] = {}
    latches: set[str] = set()
    power_known = True
    for entry in tree.children:
        name_tok = entry.children[0]
        where = FileLoc(path, name_tok.line, name_tok.column)
        name = _unquote(str(name_tok))
        if entry.data == "latch":
            latches.add(name)
            continue
        area, output, expr, *pin_lines = entry.children[1:]
        if name in cells:
            raise InputError(f"genlib cell '{name}' is defined twice", where, source=text)
        pins: list[str] = []
        try:
            table = _table(expr, pins, name, where)
            expression = _expression_text(expr)
        except RecursionError:
            raise ParseError(f"the function of cell '{name}' is nested too deeply", where, source=text) from None
        timing = _pin_timing(pin_lines)
        default = timing.get("*", _DEFAULT_PIN)
        per_pin = [timing.get(p, default) for p in pins]
        leak, internal = POWER_NANGATE45.get(name, (0.0, 0.0))
        if name not in POWER_NANGATE45 and pins:
            power_known = False
        cells[name] = Cell(name, float(area), _unquote(str(output)), tuple(pins), table,
                           tuple(t[0] for t in per_pin), tuple(t[1] for t in per_pin),
                           tuple(t[2] for t in per_pin), leak, internal, expression, where)
    if not cells:
        raise ParseError("no GATE in the genlib file", FileLoc(path, 1, 1), source=text)
    notes = () if power_known else ("genlib has no power data: leakage and internal energy "
                                    "are 0 for cells outside the shipped NanGate-45 table",)
    return CellLibrary(path, "genlib", text, cells, notes, frozenset(latches))
