"""The syntax tree of the Verilog subset: expressions, statements and module items.

Every node carries the 1-based `line` and `col` of the token it starts at (for expressions
built from an operator, the operator's position), so elaboration errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Always", "Assign", "Binary", "Block", "Call", "Case", "CaseItem", "Concat", "Decl", "Expr",
    "For", "GateInst", "GenFor", "GenIf", "Ident", "If", "Index", "IndexedSelect", "Initial",
    "Item", "ModuleDecl", "ModuleInst", "Node", "Number", "ParamDecl", "PartSelect",
    "ProcAssign", "Replicate", "Stmt", "SysCall", "Ternary", "Timed", "Unary",
]


@dataclass(slots=True)
class Node:
    line: int
    col: int


class Expr(Node):
    """Base class of expressions."""

    __slots__ = ()


@dataclass(slots=True)
class Ident(Expr):
    name: str


@dataclass(slots=True)
class Number(Expr):
    width: int | None
    """Declared size, None for unsized literals (32 bits or more)."""
    value: int
    signed: bool
    unknown: int = 0
    """Mask of x/z/? digits' bits (their `value` bits are 0)."""
    wildcard_z: int = 0
    """Mask of z/? bits (the casez wildcards); a subset of `unknown`."""
    text: str = ""


@dataclass(slots=True)
class Index(Expr):
    base: Expr
    index: Expr


@dataclass(slots=True)
class PartSelect(Expr):
    base: Expr
    msb: Expr
    lsb: Expr


@dataclass(slots=True)
class IndexedSelect(Expr):
    base: Expr
    start: Expr
    width: Expr
    up: bool


@dataclass(slots=True)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(slots=True)
class Concat(Expr):
    items: list[Expr]


@dataclass(slots=True)
class Replicate(Expr):
    count: Expr
    items: list[Expr]


@dataclass(slots=True)
class SysCall(Expr):
    name: str
    args: list[Expr]


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: list[Expr]


# ---- statements (inside always blocks) --------------------------------------------------------
class Stmt(Node):
    __slots__ = ()


@dataclass(slots=True)
class ProcAssign(Stmt):
    target: Expr
    value: Expr
    blocking: bool


@dataclass(slots=True)
class Block(Stmt):
    body: list[Stmt]


@dataclass(slots=True)
class If(Stmt):
    cond: Expr
    then: Stmt | None
    other: Stmt | None


@dataclass(slots=True)
class CaseItem(Node):
    labels: list[Expr] | None
    """None for `default`."""
    body: Stmt | None


@dataclass(slots=True)
class Case(Stmt):
    kind: str
    """"case", "casez" or "casex"."""
    subject: Expr
    items: list[CaseItem]


@dataclass(slots=True)
class For(Stmt):
    var: Expr
    init: Expr
    cond: Expr
    step_var: Expr
    step: Expr
    body: Stmt | None


@dataclass(slots=True)
class Timed(Stmt):
    """`@(...) statement`: `events` is None for `@*`, else (edge or None, expr) pairs."""

    events: list[tuple[Any, Expr]] | None
    body: Stmt | None


# ---- module items -----------------------------------------------------------------------------
class Item(Node):
    __slots__ = ()


@dataclass(slots=True)
class Decl(Item):
    """A port or net/variable declaration of one name."""

    name: str
    kind: str
    """"input", "output", "inout", "wire", "reg", "integer", "genvar", "supply0", ..."""
    signed: bool = False
    msb: Expr | None = None
    lsb: Expr | None = None
    net: str | None = None
    """For port declarations: the net kind written after the direction (wire/reg)."""
    init: Expr | None = None
    array: bool = False


@dataclass(slots=True)
class ParamDecl(Item):
    name: str
    value: Expr
    local: bool
    signed: bool = False
    msb: Expr | None = None
    lsb: Expr | None = None


@dataclass(slots=True)
class Assign(Item):
    target: Expr
    value: Expr


@dataclass(slots=True)
class GateInst(Item):
    gate: str
    name: str | None
    terminals: list[Expr]


@dataclass(slots=True)
class ModuleInst(Item):
    module: str
    name: str
    params: list[tuple[str | None, Expr]]
    conns: list[tuple[str | None, Expr | None]]
    """(port name or None when positional, actual or None when left open)."""
    array: bool = False


@dataclass(slots=True)
class Always(Item):
    body: Stmt | None


@dataclass(slots=True)
class Initial(Item):
    body: Stmt | None


@dataclass(slots=True)
class GenFor(Item):
    var: str
    init: Expr
    cond: Expr
    step_var: str
    step: Expr
    label: str | None
    body: list[Item]


@dataclass(slots=True)
class GenIf(Item):
    cond: Expr
    label: str | None
    then: list[Item]
    other_label: str | None
    other: list[Item] | None


@dataclass(slots=True)
class ModuleDecl(Node):
    name: str
    ports: list[str]
    """Port names in header order."""
    header_decls: list[Decl] = field(default_factory=list)
    """ANSI port declarations from the header."""
    param_ports: list[ParamDecl] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
