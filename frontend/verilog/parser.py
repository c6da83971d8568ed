"""Parsing the Verilog subset with lark (LALR) straight into `ast` nodes.

The grammar (`grammar.lark`) is compiled once per process. The transformer runs inside the
LALR parser (no parse tree is built), which keeps files of 100,000 lines fast to read.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import lark
from axc.ir import FileLoc, ParseError
from lark import Token, Transformer

from . import ast

__all__ = ["YOSYS_HINT", "parse_number", "parse_verilog"]

YOSYS_HINT = "use --frontend yosys for full behavioural Verilog"


class Name(NamedTuple):
    text: str
    line: int
    col: int


class Range(NamedTuple):
    msb: ast.Expr
    lsb: ast.Expr


class _Delay:
    """A parsed `#delay` (ignored: timing does not change combinational function)."""


_DIGIT_BITS = {"b": 1, "o": 3, "h": 4}


def parse_number(text: str, line: int = 0, col: int = 0, file: str = "<string>") -> ast.Number:
    """A Verilog literal (`12`, `8'hFF`, `'b1`, `4'sd3`, `4'b1?z0`) as a `Number` node."""
    clean = "".join(text.split()).replace("_", "")
    if "'" not in clean:
        return ast.Number(line, col, None, int(clean), True, text=text)
    size_text, rest = clean.split("'", 1)
    signed = rest[0] in "sS"
    if signed:
        rest = rest[1:]
    base, digits = rest[0].lower(), rest[1:].lower()
    width = int(size_text) if size_text else None
    if width == 0:
        raise ParseError(f"zero-width literal '{text}'", FileLoc(file, line, col))
    value = unknown = wild = 0
    if base == "d":
        if digits in ("x", "z", "?"):
            nbits = width or 32
            unknown = (1 << nbits) - 1
            wild = unknown if digits != "x" else 0
        elif not digits.isdigit():
            raise ParseError(f"bad decimal literal '{text}'", FileLoc(file, line, col))
        else:
            value = int(digits)
        nbits = max(value.bit_length(), 1)
    else:
        step = _DIGIT_BITS[base]
        for ch in digits:
            value <<= step
            unknown <<= step
            wild <<= step
            full = (1 << step) - 1
            if ch in "xz?":
                unknown |= full
                if ch != "x":
                    wild |= full
            else:
                digit = int(ch, 16)
                if digit > full:
                    raise ParseError(f"digit '{ch}' is not valid in base '{base}' literal '{text}'",
                                     FileLoc(file, line, col))
                value |= digit
        nbits = step * len(digits)
    final = width if width is not None else max(32, nbits)
    if nbits < final and unknown >> (nbits - 1) & 1:
        extra = ((1 << final) - 1) ^ ((1 << nbits) - 1)
        unknown |= extra
        if wild >> (nbits - 1) & 1:
            wild |= extra
    mask = (1 << final) - 1
    return ast.Number(line, col, width, value & mask, signed, unknown & mask, wild & mask, text)


_PRECEDENCE = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "^~": 4, "~^": 4, "&": 5, "==": 6, "!=": 6, "===": 6,
    "!==": 6, "<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8, "<<<": 8, ">>>": 8, "+": 9,
    "-": 9, "*": 10, "/": 10, "%": 10, "**": 11,
}


def _reduce(operands: list[ast.Expr], ops: list[Token]) -> None:
    op = ops.pop()
    right = operands.pop()
    left = operands.pop()
    operands.append(ast.Binary(op.line, op.column, str(op), left, right))


def _pos(node: Any) -> tuple[int, int]:
    if isinstance(node, Token | Name | ast.Node):
        return node.line, (node.column if isinstance(node, Token) else node.col)
    return 0, 0


class _Build(Transformer):
    """Callbacks of the LALR parser: children in, `ast` nodes out."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file

    # -- names and numbers ----------------------------------------------------------------
    def name(self, c: list[Token]) -> Name:
        tok = c[0]
        text = str(tok)
        return Name(text[1:] if tok.type == "ESCAPED_ID" else text, tok.line, tok.column)

    def number(self, c: list[Token]) -> ast.Number:
        tok = c[0]
        if tok.type in ("REAL", "STRING"):
            kind = "real" if tok.type == "REAL" else "string"
            raise ParseError(f"{kind} literals are not supported; {YOSYS_HINT}",
                             FileLoc(self.file, tok.line, tok.column))
        return parse_number(str(tok), tok.line, tok.column, self.file)

    # -- expressions ------------------------------------------------------------------------
    def ident(self, c: list[Name]) -> ast.Ident:
        return ast.Ident(c[0].line, c[0].col, c[0].text)

    def index(self, c: list) -> ast.Index:
        return ast.Index(*_pos(c[0]), c[0], c[1])

    def part_select(self, c: list) -> ast.PartSelect:
        return ast.PartSelect(*_pos(c[0]), c[0], c[1], c[2])

    def indexed_select(self, c: list) -> ast.IndexedSelect:
        return ast.IndexedSelect(*_pos(c[0]), c[0], c[1], c[3], str(c[2]) == "+:")

    def concat(self, c: list) -> ast.Concat:
        return ast.Concat(*_pos(c[0]), c[1])

    def replicate(self, c: list) -> ast.Replicate:
        return ast.Replicate(*_pos(c[0]), c[1], c[2])

    def syscall(self, c: list) -> ast.SysCall:
        return ast.SysCall(*_pos(c[0]), str(c[0]), c[1] if len(c) > 1 else [])

    def call(self, c: list) -> ast.Call:
        return ast.Call(*_pos(c[0]), c[0].text, c[1])

    def unary(self, c: list) -> ast.Unary:
        return ast.Unary(*_pos(c[0]), str(c[0]), c[1])

    def binary_chain(self, c: list) -> ast.Expr:
        """Operands and operators in source order, combined by precedence (all left-assoc)."""
        operands: list[ast.Expr] = [c[0]]
        ops: list[Token] = []
        for i in range(1, len(c), 2):
            op = c[i]
            level = _PRECEDENCE[str(op)]
            while ops and _PRECEDENCE[str(ops[-1])] >= level:
                _reduce(operands, ops)
            ops.append(op)
            operands.append(c[i + 1])
        while ops:
            _reduce(operands, ops)
        return operands[0]

    def ternary(self, c: list) -> ast.Ternary:
        return ast.Ternary(*_pos(c[1]), c[0], c[2], c[3])

    def expr_list(self, c: list) -> list:
        return list(c)

    # -- lvalues ----------------------------------------------------------------------------
    def lv_name(self, c: list[Name]) -> ast.Ident:
        return ast.Ident(c[0].line, c[0].col, c[0].text)

    def lv_index(self, c: list) -> ast.Index:
        return ast.Index(*_pos(c[0]), self.lv_name([c[0]]), c[1])

    def lv_range(self, c: list) -> ast.PartSelect:
        return ast.PartSelect(*_pos(c[0]), self.lv_name([c[0]]), c[1], c[2])

    def lv_indexed(self, c: list) -> ast.IndexedSelect:
        return ast.IndexedSelect(*_pos(c[0]), self.lv_name([c[0]]), c[1], c[3], str(c[2]) == "+:")

    def lv_concat(self, c: list) -> ast.Concat:
        return ast.Concat(*_pos(c[0]), list(c))

    # -- statements -------------------------------------------------------------------------
    def blocking_assignment(self, c: list) -> ast.ProcAssign:
        return ast.ProcAssign(*_pos(c[0]), c[0], c[1], True)

    def nonblocking_assignment(self, c: list) -> ast.ProcAssign:
        return ast.ProcAssign(*_pos(c[1]), c[0], c[2], False)

    def null_statement(self, c: list) -> None:
        return None

    def seq_block(self, c: list) -> ast.Block:
        body = [s for s in c[1:] if isinstance(s, ast.Stmt)]
        return ast.Block(*_pos(c[0]), body)

    def if_statement(self, c: list) -> ast.If:
        other = c[4] if len(c) > 4 else None
        return ast.If(*_pos(c[0]), c[1], c[2], other)

    def case_statement(self, c: list) -> ast.Case:
        return ast.Case(*_pos(c[0]), str(c[0]), c[1], list(c[2:]))

    def case_item(self, c: list) -> ast.CaseItem:
        return ast.CaseItem(*_pos(c[0][0]), c[0], c[1])

    def default_item(self, c: list) -> ast.CaseItem:
        return ast.CaseItem(*_pos(c[0]), None, c[-1])

    def for_statement(self, c: list) -> ast.For:
        return ast.For(*_pos(c[0]), c[1], c[2], c[3], c[4], c[5], c[6])

    def event_expr(self, c: list) -> tuple[Token | None, ast.Expr]:
        return (c[0], c[1]) if len(c) == 2 else (None, c[0])

    def event_control(self, c: list) -> list:
        return [e for e in c if isinstance(e, tuple)]

    def event_star(self, c: list) -> None:
        return None

    def timed_statement(self, c: list) -> ast.Timed:
        line, col = _pos(c[1]) if c[1] is not None else (0, 0)
        return ast.Timed(line, col, c[0], c[1])

    # -- declarations -----------------------------------------------------------------------
    def range(self, c: list) -> Range:
        return Range(c[0], c[1])

    def direction(self, c: list[Token]) -> Token:
        return c[0]

    def gate(self, c: list[Token]) -> Token:
        return c[0]

    def net_kind(self, c: list[Token]) -> str:
        return str(c[0])

    def name_list(self, c: list[Name]) -> list[Name]:
        return list(c)

    @staticmethod
    def _flags(c: list) -> tuple[str | None, bool, Range | None]:
        net = next((x for x in c if isinstance(x, str) and not isinstance(x, Token | Name)), None)
        signed = any(isinstance(x, Token) and x.type == "SIGNED" for x in c)
        rng = next((x for x in c if isinstance(x, Range)), None)
        return net, signed, rng

    def port_declaration(self, c: list) -> list[ast.Decl]:
        direction = c[0]
        net, signed, rng = self._flags(c[1:-1])
        return [ast.Decl(n.line, n.col, n.text, str(direction), signed,
                         rng.msb if rng else None, rng.lsb if rng else None, net) for n in c[-1]]

    def port_decl(self, c: list) -> ast.Decl:
        net, signed, rng = self._flags(c[1:-1])
        n = c[-1]
        return ast.Decl(n.line, n.col, n.text, str(c[0]), signed,
                        rng.msb if rng else None, rng.lsb if rng else None, net)

    def port_name(self, c: list[Name]) -> Name:
        return c[0]

    def port_list(self, c: list) -> list:
        return list(c)

    def net_declaration(self, c: list) -> list[ast.Decl]:
        kind = c[0]
        _, signed, rng = self._flags(c[1:])
        out = []
        for item in c[1:]:
            if isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], Name):
                n, init, array = item
                out.append(ast.Decl(n.line, n.col, n.text, kind, signed,
                                    rng.msb if rng else None, rng.lsb if rng else None,
                                    None, init, array))
        return out

    def net_decl_item(self, c: list) -> tuple[Name, ast.Expr | None, bool]:
        return (c[0], c[1] if len(c) > 1 else None, False)

    def array_decl(self, c: list) -> tuple[Name, None, bool]:
        return (c[0], None, True)

    def var_declaration(self, c: list) -> list[ast.Decl]:
        return [ast.Decl(n.line, n.col, n.text, str(c[0]), str(c[0]) == "integer") for n in c[1]]

    def param_type(self, c: list) -> tuple[bool, Range | None]:
        signed = any(isinstance(x, Token) and x.type in ("SIGNED", "INTEGER") for x in c)
        rng = next((x for x in c if isinstance(x, Range)), None)
        return (signed, rng)

    def param_assign(self, c: list) -> tuple[Name, ast.Expr]:
        return (c[0], c[1])

    def _params(self, c: list, local: bool) -> list[ast.ParamDecl]:
        signed, rng = next((x for x in c if isinstance(x, tuple) and len(x) == 2
                            and not isinstance(x[0], Name)), (False, None))
        out = []
        for x in c:
            if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], Name):
                n, value = x
                out.append(ast.ParamDecl(n.line, n.col, n.text, value, local, signed,
                                         rng.msb if rng else None, rng.lsb if rng else None))
        return out

    def param_declaration(self, c: list) -> list[ast.ParamDecl]:
        return self._params(c, str(c[0]) == "localparam")

    def param_port(self, c: list) -> list[ast.ParamDecl]:
        return self._params(c, False)

    def param_ports(self, c: list) -> list[ast.ParamDecl]:
        return [p for group in c for p in group]

    # -- items ------------------------------------------------------------------------------
    def delay(self, c: list) -> _Delay:
        return _Delay()

    def assignment(self, c: list) -> ast.Assign:
        return ast.Assign(*_pos(c[0]), c[0], c[1])

    def continuous_assign(self, c: list) -> list[ast.Assign]:
        return [a for a in c if isinstance(a, ast.Assign)]

    def gate_instance(self, c: list) -> tuple[Name | None, list[ast.Expr]]:
        if c and isinstance(c[0], Name):
            return c[0], list(c[1:])
        return None, list(c)

    def gate_instantiation(self, c: list) -> list[ast.GateInst]:
        gate = c[0]
        out = []
        for x in c[1:]:
            if isinstance(x, tuple):
                n, terms = x
                line, col = _pos(n) if n else _pos(gate)
                out.append(ast.GateInst(line, col, str(gate), n.text if n else None, terms))
        return out

    def named_conn(self, c: list) -> tuple[str, ast.Expr | None]:
        return (c[0].text, c[1] if len(c) > 1 else None)

    def named_conns(self, c: list) -> list:
        return list(c)

    def param_values(self, c: list) -> list[tuple[str | None, ast.Expr]]:
        items = c[0]
        return [x if isinstance(x, tuple) else (None, x) for x in items]

    def param_value_number(self, c: list) -> list[tuple[str | None, ast.Expr]]:
        tok = c[0]
        return [(None, parse_number(str(tok), tok.line, tok.column, self.file))]

    def instance_noconn(self, c: list) -> tuple[Name, list, bool]:
        return (c[0], [], len(c) > 1)

    def instance_positional(self, c: list) -> tuple[Name, list, bool]:
        return (c[0], [(None, e) for e in c[-1]], len(c) > 2)

    def instance_named(self, c: list) -> tuple[Name, list, bool]:
        return (c[0], list(c[-1]), len(c) > 2)

    def module_instantiation(self, c: list) -> list[ast.ModuleInst]:
        module = c[0]
        params = c[1] if len(c) > 1 and isinstance(c[1], list) else []
        out = []
        for x in c[1:]:
            if isinstance(x, tuple):
                n, conns, array = x
                out.append(ast.ModuleInst(n.line, n.col, module.text, n.text, params, conns, array))
        return out

    def always_construct(self, c: list) -> ast.Always:
        return ast.Always(*_pos(c[0]), c[1])

    def initial_construct(self, c: list) -> ast.Initial:
        return ast.Initial(*_pos(c[0]), c[1])

    def empty_item(self, c: list) -> list:
        return []

    def generate_region(self, c: list) -> list:
        return _flatten(c)

    def generate_block(self, c: list) -> tuple[str | None, list]:
        label = c[1].text if len(c) > 1 and isinstance(c[1], Name) else None
        return (label, _flatten([x for x in c[1:] if not isinstance(x, Name)]))

    def generate_single(self, c: list) -> tuple[str | None, list]:
        return (None, _flatten(c))

    def generate_for(self, c: list) -> ast.GenFor:
        label, body = c[6]
        return ast.GenFor(*_pos(c[0]), c[1].text, c[2], c[3], c[4].text, c[5], label, body)

    def generate_if(self, c: list) -> ast.GenIf:
        label, then = c[2]
        other_label, other = c[4] if len(c) > 4 else (None, None)
        return ast.GenIf(*_pos(c[0]), c[1], label, then, other_label, other)

    def module_decl(self, c: list) -> ast.ModuleDecl:
        name = c[1]
        mod = ast.ModuleDecl(*_pos(c[0]), name.text, [])
        rest = c[2:]
        if rest and isinstance(rest[0], list) and all(isinstance(p, ast.ParamDecl) for p in rest[0]) \
                and rest[0]:
            mod.param_ports = rest[0]
            rest = rest[1:]
        if rest and isinstance(rest[0], list) and all(isinstance(p, Name | ast.Decl) for p in rest[0]):
            for p in rest[0]:
                if isinstance(p, ast.Decl):
                    mod.header_decls.append(p)
                    mod.ports.append(p.name)
                else:
                    mod.ports.append(p.text)
            rest = rest[1:]
        mod.items = _flatten(rest)
        return mod

    def start(self, c: list) -> list[ast.ModuleDecl]:
        return list(c)


def _flatten(items: list) -> list:
    out: list = []
    for x in items:
        if isinstance(x, list):
            out.extend(_flatten(x))
        elif x is not None and not isinstance(x, _Delay):
            out.append(x)
    return out


@cache
def _parser() -> tuple[lark.Lark, _Build]:
    build = _Build("<verilog>")  # shared by every parse: it keeps no per-file state
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    parser = lark.Lark(grammar, parser="lalr", lexer="contextual", transformer=build,
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
