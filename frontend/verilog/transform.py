"""The lark transformer of the Verilog parser: LALR reductions straight into `ast` nodes.

Binary operator chains arrive flat (`a + b * c` as operands and operators) and are combined
here by Verilog precedence, which keeps the grammar shallow and the parser fast.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from axc.ir import FileLoc, ParseError
from lark import Token, Transformer

from . import ast
from .literals import parse_number

__all__ = ["YOSYS_HINT", "Build", "parse_number"]

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


class Build(Transformer):
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
        return ast.ProcAssign(*_pos(c[0]), c[0], c[-1], True)

    def nonblocking_assignment(self, c: list) -> ast.ProcAssign:
        """`q <= d;` (an intra-assignment delay, `q <= #1 d;`, is ignored like every delay)."""
        return ast.ProcAssign(*_pos(c[1]), c[0], c[-1], False)

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
