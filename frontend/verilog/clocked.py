"""Clocked `always @(posedge clk [or posedge rst | or negedge rst_n])` blocks into registers.

Each variable the block assigns with `<=` becomes one word-wide register (`seq.reg`/`seq.next`)
as wide as the variable; reads anywhere, the block included, see its value this cycle. The
block runs once symbolically, like a combinational block, but each bit's slot is a pair
(load, value): `<=` sets (1, value), a path that does not assign the bit holds it (None), and
`if`/`case` merge the pairs (load = mux of the loads). What is left becomes, per register:

- an asynchronous reset: with a second edge in the sensitivity list, the block must be
  `if (rst) ... else ...` (`if (!rst_n)` for `negedge rst_n`, read as an inverted reset); a
  register the reset branch assigns must get a constant there (`arst_value`), one it leaves
  alone simply holds while the reset is active;
- a synchronous reset: a top-level `if (c) r <= K; else ...` (or with the constant in the
  `else`) whose branch gives every bit of `r` a constant (`srst_value`, `c` the reset), taken
  first as in `seq.next`; a branch that assigns anything else is ordinary data logic;
- an enable: when every assigned bit loads under one condition (paths that leave `r` alone);
  bits whose load conditions differ get a mux feeding the register back instead.

Bits the block never assigns hold the register's init. `=` inside a clocked block is allowed
for block-local temporaries: the variable must be assigned before it is read on every path,
and is not visible outside the block (read elsewhere it would be a register: use `<=`).
Initial values (`reg [7:0] r = 3;`, `initial r = 3;`) become `init`. Falling-edge clocks,
level-sensitive events beside edges, more than one asynchronous reset and a variable assigned
with both `=` and `<=` are refused with the location.
"""

from __future__ import annotations

from collections.abc import Iterator

from axc.ir import FileLoc, IntType, Op, Value
from axc.ir.dialects import hw, logic, seq, word

from . import ast
from .procedural import Env, _Procedure, run_always
from .scope import Net, Scope

__all__ = ["elaborate_always"]

Slot = tuple[Value, Value] | None
"""A register bit on one path: (load condition, value loaded), None when held."""


def elaborate_always(scope: Scope, block: ast.Always) -> None:
    """Elaborate one `always` block: combinational (`@*`, `@(a or b)`) or clocked."""
    body = block.body
    if not isinstance(body, ast.Timed):
        raise scope.design.error("an always block without an event control (@*) never settles; "
                                 "write 'always @*'", block.line, block.col)
    edges = [e for e, _ in body.events or [] if e is not None]
    if not edges:
        run_always(scope, block)
        return
    level = next((x for e, x in body.events if e is None), None)
    if level is not None:
        raise scope.design.error("an event list that mixes edges and levels is not supported: "
                                 "write 'always @(posedge clk)' or 'always @*'", level.line, level.col)
    _Clocked(scope, block).run()


def _top_statements(stmt: ast.Stmt | None) -> list[ast.Stmt]:
    """The statements of a block, nested `begin ... end` flattened."""
    if stmt is None:
        return []
    if isinstance(stmt, ast.Block):
        return [s for inner in stmt.body for s in _top_statements(inner)]
    return [stmt]


def _assignments(stmt: ast.Stmt | None) -> Iterator[ast.ProcAssign]:
    if isinstance(stmt, ast.ProcAssign):
        yield stmt
    elif isinstance(stmt, ast.Block):
        for s in stmt.body:
            yield from _assignments(s)
    elif isinstance(stmt, ast.If):
        yield from _assignments(stmt.then)
        yield from _assignments(stmt.other)
    elif isinstance(stmt, ast.Case):
        for item in stmt.items:
            yield from _assignments(item.body)
    elif isinstance(stmt, ast.For):
        yield from _assignments(stmt.body)


def _target_names(e: ast.Expr) -> Iterator[ast.Ident]:
    if isinstance(e, ast.Concat):
        for item in e.items:
            yield from _target_names(item)
    elif isinstance(e, ast.Ident):
        yield e
    elif isinstance(getattr(e, "base", None), ast.Ident):
        yield e.base


class _Clocked(_Procedure):
    """One clocked block: slots are (load, value) for `<=` variables, values for temporaries."""

    def run(self) -> None:
        timed = self.block.body
        self.start = len(self.b.created)
        self.top_index = -1
        self.depth = 0
        self.touched_by: dict[Net, set[int]] = {}
        self.candidates: dict[int, tuple[Value, Env, Env]] = {}
        self.regs: dict[Net, ast.ProcAssign] = {}
        self.temps: dict[Net, ast.ProcAssign] = {}
        self.loads: dict[tuple[Value, Value, Value], Value] = {}
        self.clock, arst, reset_stmt = self.sensitivity(timed)
        self.classify(timed.body)
        self.registers = {net: self.make_register(net, arst) for net in self.regs}
        reset_env: Env = {}
        if reset_stmt is not None:
            self.depth = 1
            self.exec(reset_stmt.then, self.scope)
            reset_env, self.env = self.env, {}
            self.depth = 0
            stmts = _top_statements(reset_stmt.other)
        else:
            stmts = _top_statements(timed.body)
        for k, stmt in enumerate(stmts):
            self.top_index = k
            self.exec(stmt, self.scope)
        for net, reg in self.registers.items():
            self.finish_register(net, reg, reset_env, arst)
        self.sweep()

    # -- the sensitivity list ----------------------------------------------------------------
    def sensitivity(self, timed: ast.Timed) -> tuple[Value, tuple[Value, bool] | None, ast.If | None]:
        """The clock, the asynchronous reset (value, active low) and the `if` that tests it."""
        events = []
        for edge, expr in timed.events:
            ev = self.evaluator(self.scope)
            width, _ = ev.size(expr)
            if width != 1:
                raise self.error(f"the {edge} event must be one bit wide, this is {width} bits", expr)
            events.append((str(edge), ev.value(expr)[0][0], expr))
        reset_stmt = None
        arst = None
        clocks = events
        if len(events) > 1:
            stmts = _top_statements(timed.body)
            first = stmts[0] if len(stmts) == 1 else None
            if not isinstance(first, ast.If):
                raise self.error("with more than one edge in the sensitivity list, the block must be "
                                 "one 'if (reset) ... else ...' testing an asynchronous reset", self.block)
            cond = self.b.reduce_or(self.evaluator(self.scope).value(first.cond)[0], self.design.loc(
                first.line, first.col))
            inverted = cond.owner.operand(0) if isinstance(cond.owner, logic.NotOp) else None
            matched = [e for e in events if e[1] is cond or e[1] is inverted]
            if not matched:
                raise self.error("the first 'if' of this block does not test a signal of its sensitivity "
                                 "list: cannot tell the asynchronous reset from the clock", first.cond)
            edge, value, expr = matched[0]
            low = value is not cond
            if low != (edge == "negedge"):
                want = "'if (!" if edge == "negedge" else "'if ("
                raise self.error(f"the asynchronous reset is '{edge}' but the block tests the other level: "
                                 f"write {want}...)' for it", first.cond)
            clocks = [e for e in events if e is not matched[0]]
            if len(clocks) > 1:
                raise self.error("more than one asynchronous reset in one sensitivity list is not "
                                 "supported (a register has at most one)", clocks[1][2])
            reset_stmt, arst = first, (value, low)
        edge, clock, expr = clocks[0]
        if edge == "negedge":
            raise self.error("falling-edge clocks (negedge) are not supported: axc-opt registers load on "
                             "the rising edge; invert the clock outside the design", expr)
        self.clock_loc = self.design.loc(expr.line, expr.col)
        return clock, arst, reset_stmt

    # -- variables -----------------------------------------------------------------------
    def classify(self, body: ast.Stmt | None) -> None:
        """Which nets the block assigns with `<=` (registers) and with `=` (temporaries)."""
        for stmt in _assignments(body):
            for ident in _target_names(stmt.target):
                net = self.scope.lookup(ident.name)
                if not isinstance(net, Net):
                    continue  # lvalue() reports it when the statement runs
                mine, other = (self.temps, self.regs) if stmt.blocking else (self.regs, self.temps)
                if net in other:
                    raise self.error(f"'{net.path}' is assigned with both '=' and '<=' in this clocked "
                                     "block: use '<=' for a register, '=' only for a temporary", stmt)
                mine.setdefault(net, stmt)
        for net, stmt in self.temps.items():
            self.design.clocked_temps.setdefault(net, self.design.loc(stmt.line, stmt.col))

    def make_register(self, net: Net, arst: tuple[Value, bool] | None) -> Op:
        operands = [self.clock]
        attrs: dict = {"name": net.path}
        init = self.design.initial.pop(net, None)
        if init is not None:
            attrs["init"] = init[0]
        if arst is not None:
            value, low = arst
            operands.append(self.b.not_(value) if low else value)
            attrs["arst_value"] = 0
        reg = self.b.create(seq.RegOp, operands, [IntType(net.width)], attrs, self.clock_loc)
        reg.result.name = net.path
        loc = self.design.loc(self.regs[net].line, self.regs[net].col)
        for pos, bit in enumerate(self.b.bits(reg.result, loc)):
            self.design.drive(net, pos, bit, loc)
        return reg

    def read(self, net: Net, pos: int, loc: FileLoc) -> Value:
        if net in self.temps:
            bits = self.env.get(net)
            if bits is None or bits[pos] is None:
                raise self.design.error(f"'{net.bit_name(pos)}' is read before it is assigned on some path "
                                        "through this clocked block: its value would come from the previous "
                                        "cycle, i.e. a register; assign it with '<=' instead", loc.line, loc.col)
            return bits[pos]
        return self.design.read(net, pos, loc)

    # -- statements ----------------------------------------------------------------------
    def assign(self, stmt: ast.ProcAssign, scope: Scope) -> None:
        ev = self.evaluator(scope)
        targets = ev.lvalue(stmt.target)
        width, signed = ev.size(stmt.value)
        bits = ev.eval(stmt.value, max(width, len(targets)), signed)
        for (net, pos), bit in zip(targets, bits):
            slot = bit if stmt.blocking else (self.b.one, bit)
            self.env.setdefault(net, [None] * net.width)[pos] = slot
            self.touched_by.setdefault(net, set()).add(self.top_index)

    def exec(self, stmt: ast.Stmt | None, scope: Scope) -> None:
        nested = isinstance(stmt, ast.If | ast.Case | ast.For)
        self.depth += nested
        try:
            super().exec(stmt, scope)
        finally:
            self.depth -= nested

    def branches(self, stmt: ast.If, cond: Value, then: Env, other: Env) -> None:
        if self.depth == 1 and self.top_index >= 0:
            self.candidates[self.top_index] = (cond, then, other)

    def merge(self, cond: Value, then: Env, other: Env, loc: FileLoc) -> Env:
        """As for a combinational block; the bits of a register that both branches load (with
        different values) go through one `word.mux`."""
        out = super().merge(cond, then, other, loc)
        for net in self.regs:
            t, f = then.get(net), other.get(net)
            if t is None or f is None:
                continue
            both = [p for p in range(net.width) if t[p] is not None and f[p] is not None
                    and t[p][1] is not f[p][1]]
            if not both:
                continue
            if len(both) == 1:
                muxed = [self.b.mux(cond, t[both[0]][1], f[both[0]][1], loc)]
            else:
                muxed = self.b.word_op(word.MuxOp, [[cond], [t[p][1] for p in both], [f[p][1] for p in both]],
                                       len(both), None, loc)
            for p, bit in zip(both, muxed):
                out[net][p] = (out[net][p][0], bit)
        return out

    def merge_slot(self, net: Net, cond: Value, then, other, loc: FileLoc):  # noqa: ANN001, ANN201
        if net in self.temps:
            return super().merge_slot(net, cond, then, other, loc)
        if then is None and other is None:
            return None
        load = self.either(cond, then[0] if then else self.b.zero, other[0] if other else self.b.zero, loc)
        if then is None or other is None:
            return load, (then or other)[1]
        return load, then[1] if then[1] is other[1] else None  # the data: `merge` muxes it

    def either(self, c: Value, t: Value, f: Value, loc: FileLoc) -> Value:
        """`c ? t : f` for load conditions, as and/or where one side is constant; one gate per
        distinct condition, so the bits of a register share their load condition."""
        key = (c, t, f)
        if key not in self.loads:
            self.loads[key] = self._either(c, t, f, loc)
        return self.loads[key]

    def _either(self, c: Value, t: Value, f: Value, loc: FileLoc) -> Value:
        b = self.b
        if f is b.zero:
            return b.and_([c, t], loc)
        if t is b.zero:
            return b.and_([b.not_(c, loc), f], loc)
        if t is b.one:
            return b.or_([c, f], loc)
        if f is b.one:
            return b.or_([b.not_(c, loc), t], loc)
        return b.mux(c, t, f, loc)

    # -- registers -----------------------------------------------------------------------
    def constant(self, slots: list[Slot], positions: set[int]) -> int | None:
        """The value a branch loads into every bit of `positions` unconditionally, if constant."""
        value = 0
        for pos in positions:
            slot = slots[pos]
            if slot is None or slot[0] is not self.b.one or not self.b.is_const(slot[1]):
                return None
            value |= (slot[1] is self.b.one) << pos
        return value

    def finish_register(self, net: Net, reg: Op, reset_env: Env, arst: tuple[Value, bool] | None) -> None:
        b, width = self.b, net.width
        loc = self.design.loc(self.regs[net].line, self.regs[net].col)
        q = b.bits(reg.result, loc)
        slots: list[Slot] = [s if s is not None and s[0] is not b.zero else None
                             for s in self.env.get(net) or [None] * width]
        touched = {p for p in range(width) if slots[p] is not None}
        reset_slots = reset_env.get(net)
        if reset_slots is not None:
            touched |= {p for p in range(width) if reset_slots[p] is not None}
        keep = sum(1 << p for p in range(width) if p not in touched) & reg.init
        srst = None
        if arst is None or reset_slots is not None:
            srst, slots = self.sync_reset(net, slots, touched, keep, loc)
        if arst is not None and reset_slots is not None:
            value = self.constant(reset_slots, touched)
            if value is None:
                raise self.error(f"'{net.path}' must be assigned a constant in the asynchronous reset "
                                 "branch (every bit the block assigns): a flip-flop cannot load data "
                                 "at its reset", self.regs[net])
            reg.attributes["arst_value"] = value | keep
        elif arst is not None:  # not reset: an ordinary register that holds while the reset is active
            active = reg.operand(1)
            reg.set_operands([self.clock])
            del reg.attributes["arst_value"]
            slots = [self.merge_slot(net, active, None, s, loc) for s in slots]
        loads = {id(s[0]): s[0] for s in slots if s is not None}
        enable = None
        if len(loads) == 1 and next(iter(loads.values())) is not b.one:
            enable = next(iter(loads.values()))
            data = [q[p] if s is None else s[1] for p, s in enumerate(slots)]
        else:
            data = [q[p] if s is None else b.mux(s[0], s[1], q[p], loc) for p, s in enumerate(slots)]
        operands = [reg.result, b.word(data, loc)]
        attrs: dict = {}
        if enable is not None:
            operands.append(enable)
            attrs["enable"] = True
        if srst is not None:
            operands.append(srst[0])
            attrs["srst_value"] = srst[1]
        b.create(seq.NextOp, operands, [], attrs, loc)

    def sync_reset(self, net: Net, slots: list[Slot], touched: set[int], keep: int,
                   loc: FileLoc) -> tuple[tuple[Value, int] | None, list[Slot]]:
        """(reset, value) when one top-level `if` alone assigns `net` and one branch loads a
        constant into every bit the block assigns; then the slots of the other branch."""
        steps = self.touched_by.get(net, set()) - {-1}
        if len(steps) != 1 or not touched or next(iter(steps)) not in self.candidates:
            return None, slots
        cond, then, other = self.candidates[next(iter(steps))]
        empty = [None] * net.width
        for branch, rest, active in ((then, other, True), (other, then, False)):
            value = self.constant(branch.get(net) or empty, touched)
            if value is not None:
                rest_slots = [s if s is not None and s[0] is not self.b.zero else None
                              for s in rest.get(net) or empty]
                return (cond if active else self.b.not_(cond, loc), value | keep), rest_slots
        return None, slots

    def sweep(self) -> None:
        """Erase the logic of this block that no register reads (merges a reset made moot)."""
        keep = {reg.result for reg in self.registers.values()}
        keep.update(self.design.placeholders)
        created = self.b.created[self.start:]
        for op in reversed(created):
            if op.graph is not self.design.graph or isinstance(op, seq.RegOp | seq.NextOp):
                continue
            if isinstance(op, hw.SplitOp) and op.operand(0) in keep:
                continue
            if any(r in keep or r.has_uses for r in op.results):
                continue
            self.b.discard(op)
