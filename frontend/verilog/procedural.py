"""Combinational `always` blocks: symbolic execution of blocking assignments into muxes.

The block runs once over an environment that maps each assigned variable to its current bits.
`if` and `case` run every branch on a copy of the environment and merge the copies with
multiplexers; `for` loops with constant bounds unroll. A variable bit that some path leaves
unassigned would keep its old value, i.e. a level-sensitive latch: that is refused.
Edge-triggered blocks (`always @(posedge clk ...)`) go to `clocked.run_clocked`, which reuses
this executor with other slots in the environment (see `_Procedure.merge_slot`).
"""

from __future__ import annotations

from axc.ir import FileLoc, Value

from . import ast
from .expr import ExprEval, to_signed
from .parser import YOSYS_HINT
from .scope import Net, Param, Scope

__all__ = ["run_always"]

Env = dict[Net, list]
"""Per assigned net, one slot per bit: here its value (None = not assigned on this path)."""
MAX_LOOP_ITERATIONS = 1 << 16


def run_always(scope: Scope, block: ast.Always) -> None:
    """Elaborate one combinational `always` block of `scope` and drive the nets it assigns."""
    _Procedure(scope, block).run()


class _Procedure:
    def __init__(self, scope: Scope, block: ast.Always) -> None:
        self.scope = scope
        self.design = scope.design
        self.b = scope.design.builder
        self.block = block
        self.env: Env = {}
        self.touched: dict[Net, set[int]] = {}

    def error(self, message: str, node: ast.Node):  # noqa: ANN201
        return self.design.error(message, node.line, node.col)

    def read(self, net: Net, pos: int, loc: FileLoc) -> Value:
        bits = self.env.get(net)
        if bits is not None and bits[pos] is not None:
            return bits[pos]
        return self.design.read(net, pos, loc)

    def evaluator(self, scope: Scope) -> ExprEval:
        return ExprEval(scope, self.read)

    def run(self) -> None:
        body = self.block.body
        assert isinstance(body, ast.Timed)
        self.exec(body.body, self.scope)
        for net, positions in self.touched.items():
            bits = self.env[net]
            missing = [p for p in sorted(positions) if bits[p] is None]
            if missing:
                what = net.path if net.width == 1 else net.bit_name(missing[0])
                raise self.error(f"'{what}' is not assigned on every path through this always "
                                 "block: that describes a level-sensitive latch, which axc-opt "
                                 "does not support (assign it a default first)", self.block)
        loc = self.design.loc(self.block.line, self.block.col)
        for net, positions in self.touched.items():
            for p in sorted(positions):
                self.design.drive(net, p, self.env[net][p], loc)

    # -- statements ------------------------------------------------------------------------
    def exec(self, stmt: ast.Stmt | None, scope: Scope) -> None:
        if stmt is None:
            return
        if isinstance(stmt, ast.Block):
            for s in stmt.body:
                self.exec(s, scope)
        elif isinstance(stmt, ast.ProcAssign):
            self.assign(stmt, scope)
        elif isinstance(stmt, ast.If):
            self.if_(stmt, scope)
        elif isinstance(stmt, ast.Case):
            self.case(stmt, scope)
        elif isinstance(stmt, ast.For):
            self.for_(stmt, scope)
        elif isinstance(stmt, ast.Timed):
            raise self.error(f"event controls inside an always block are not supported; "
                             f"{YOSYS_HINT}", stmt)
        else:
            raise self.error(f"unsupported statement; {YOSYS_HINT}", stmt)

    def assign(self, stmt: ast.ProcAssign, scope: Scope) -> None:
        if not stmt.blocking:
            raise self.error("non-blocking assignment (<=) in a combinational always block: "
                             f"use '=' ({YOSYS_HINT})", stmt)
        ev = self.evaluator(scope)
        targets = ev.lvalue(stmt.target)
        width, signed = ev.size(stmt.value)
        bits = ev.eval(stmt.value, max(width, len(targets)), signed)
        for (net, pos), bit in zip(targets, bits):
            self.env.setdefault(net, [None] * net.width)[pos] = bit
            self.touched.setdefault(net, set()).add(pos)

    def snapshot(self) -> Env:
        return {net: list(bits) for net, bits in self.env.items()}

    def merge(self, cond: Value, then: Env, other: Env, loc: FileLoc) -> Env:
        out: Env = {}
        for net in {**then, **other}:
            t = then.get(net) or [None] * net.width
            f = other.get(net) or [None] * net.width
            out[net] = [self.merge_slot(net, cond, p, q, loc) for p, q in zip(t, f)]
        return out

    def merge_slot(self, net: Net, cond: Value, then, other, loc: FileLoc):  # noqa: ANN001, ANN201
        """One bit's slot after `if (cond)`: a mux, or None when a path leaves it unassigned."""
        if then is None or other is None:
            return None
        return self.b.mux(cond, then, other, loc)

    def branches(self, stmt: ast.If, cond: Value, then: Env, other: Env) -> None:
        """Called with both branches' environments before an `if` merges them (a hook)."""

    def if_(self, stmt: ast.If, scope: Scope) -> None:
        ev = self.evaluator(scope)
        loc = ev.loc(stmt)
        cond = self.b.reduce_or(ev.value(stmt.cond)[0], loc)
        if self.b.is_const(cond):
            self.exec(stmt.then if cond is self.b.one else stmt.other, scope)
            return
        entry = self.snapshot()
        self.exec(stmt.then, scope)
        then = self.env
        self.env = entry
        self.exec(stmt.other, scope)
        self.branches(stmt, cond, then, self.env)
        self.env = self.merge(cond, then, self.env, loc)

    def case(self, stmt: ast.Case, scope: Scope) -> None:
        ev = self.evaluator(scope)
        loc = ev.loc(stmt)
        labels = [lab for item in stmt.items for lab in (item.labels or [])]
        sizes = [ev.size(stmt.subject), *(ev.size(lab) for lab in labels)]
        width = max(w for w, _ in sizes)
        signed = all(s for _, s in sizes)
        subject = ev.eval(stmt.subject, width, signed)
        entry = self.snapshot()
        branches: list[tuple[Value, Env]] = []
        default: Env | None = None
        covered: list[tuple[int, int]] | None = []
        for item in stmt.items:
            self.env = {net: list(bits) for net, bits in entry.items()}
            self.exec(item.body, scope)
            if item.labels is None:
                default = self.env
                continue
            matches = []
            for lab in item.labels:
                match, pattern = self.match(ev, stmt.kind, subject, lab, width, signed)
                matches.append(match)
                if covered is not None:
                    covered = covered + [pattern] if pattern is not None else None
            branches.append((self.b.or_(matches, loc), self.env))
        if default is None and branches and _covers_all(covered, width):
            default = branches.pop()[1]
        result = default if default is not None else entry
        for cond, env in reversed(branches):
            result = self.merge(cond, env, result, loc)
        self.env = result

    def match(self, ev: ExprEval, kind: str, subject: list[Value], label: ast.Expr, width: int,
              signed: bool) -> tuple[Value, tuple[int, int] | None]:
        """The bit `subject matches label`, and the label as (value, care mask) if constant."""
        bits = ev.eval(label, width, signed)
        care = (1 << width) - 1
        if isinstance(label, ast.Number) and label.unknown:
            wild = label.wildcard_z if kind == "casez" else label.unknown
            if kind == "case":
                return self.b.zero, None
            care &= ~wild
        loc = ev.loc(label)
        eq = [self.b.xor_([s, x], loc, negate=True) for i, (s, x) in enumerate(zip(subject, bits))
              if (care >> i) & 1]
        value = self.b.const_value(bits)
        return self.b.and_(eq, loc), (None if value is None else (value & care, care))

    def for_(self, stmt: ast.For, scope: Scope) -> None:
        if not isinstance(stmt.var, ast.Ident) or not isinstance(stmt.step_var, ast.Ident) \
                or stmt.var.name != stmt.step_var.name:
            raise self.error(f"only 'for (i = ...; ...; i = ...)' loops are supported; {YOSYS_HINT}",
                             stmt)
        name = stmt.var.name
        value = self.evaluator(scope).const(stmt.init, "a constant loop start")
        for _ in range(MAX_LOOP_ITERATIONS):
            inner = Scope(self.design, scope.module, scope.path, scope.depth, parent=scope)
            inner.params[name] = Param(value & 0xFFFFFFFF, 32, True)
            ev = self.evaluator(inner)
            if not ev.const(stmt.cond, "a constant loop condition"):
                return
            self.exec(stmt.body, inner)
            value = to_signed(ev.const(stmt.step, "a constant loop step") & 0xFFFFFFFF, 32)
        raise self.error(f"loop runs more than {MAX_LOOP_ITERATIONS} iterations", stmt)


def _covers_all(patterns: list[tuple[int, int]] | None, width: int) -> bool:
    """Whether constant case labels (value, care mask) cover every subject value."""
    if patterns is None or width > 12:
        return False
    seen = bytearray(1 << width)
    for value, care in patterns:
        for v in range(1 << width):
            if v & care == value:
                seen[v] = 1
    return all(seen)
