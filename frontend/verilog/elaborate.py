"""Elaboration: the top module, with every instance flattened, as one "hw" circuit graph.

Ports become graph inputs/outputs (`iN`, named after the port); each input is `hw.split` into
bits and each output `hw.join`ed from its bits: the graph's ports are the file's ports, so a
testbench of the file drives the graph too. With `options["group_ports"]`, scalar ports named
like the bits of one vector (`\\a[0] .. \\a[127]`, as netlist writers escape them) become that
vector port instead, as the BLIF frontend does. Nets are bit lists; gate primitives and bitwise
operators become `logic` gates, arithmetic `word` ops. Instances of modules defined in the same
file are elaborated inline with hierarchical value names (`u1.sum`); generate loops and ifs
unroll. Gate primitives map one to one onto gates; verbatim repeated statements
(EvoApproxLib files have some) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from axc.frontend import limits
from axc.ir import FileLoc, Graph, InputError, IntType, Module, Value, VerifyError
from axc.ir.dialects import hw, logic, seq, word

from . import ast
from .clocked import elaborate_always
from .expr import ExprEval
from .parser import YOSYS_HINT
from .scope import Design, Net, Param, Scope

__all__ = ["elaborate"]

_GATES = {"and": logic.AndOp, "nand": logic.NandOp, "or": logic.OrOp, "nor": logic.NorOp,
          "xor": logic.XorOp, "xnor": logic.XnorOp}
_SINGLE_INPUT = {"and": logic.BufOp, "or": logic.BufOp, "xor": logic.BufOp, "nand": logic.NotOp,
                 "nor": logic.NotOp, "xnor": logic.NotOp}
_WIRING = (logic.ConstOp, word.ConstOp, hw.SplitOp, hw.JoinOp)
_VARIABLES = ("reg", "logic", "integer")
"""Declared kinds whose `= value` is an initial value, not a continuous assignment."""


def elaborate(modules: Sequence[ast.ModuleDecl], file: str, source: str,
              options: dict[str, Any]) -> Module:
    """The Module holding the flattened top module of `modules` (see the module docstring)."""
    table: dict[str, ast.ModuleDecl] = {}
    for mod in modules:
        if mod.name in table:
            raise InputError(f"module '{mod.name}' is defined twice", FileLoc(file, mod.line, mod.col),
                             source=source)
        table[mod.name] = mod
    if not table:
        raise InputError("no module in this file", FileLoc(file, 1, 1), source=source)
    top = _pick_top(table, options.get("top"), file)
    decl = table[top]
    graph = Graph(top, "hw")
    graph.loc = FileLoc(file, decl.line, decl.col)
    module = Module({"source": file})
    module.add_graph(graph, top=True)
    design = Design(graph, file, source)
    _Elaborator(design, table).top(decl, group=bool(options.get("group_ports", False)))
    return module


def _pick_top(table: dict[str, ast.ModuleDecl], wanted: str | None, file: str) -> str:
    if wanted:
        if wanted not in table:
            raise InputError(f"top module '{wanted}' is not in {file} (it has {', '.join(table)})")
        return wanted
    used = {inst.module for mod in table.values() for inst in _instances(mod.items)}
    roots = [name for name in table if name not in used]
    return roots[-1] if roots else list(table)[-1]


_BIT_NAME = re.compile(r"^(.+)\[(\d+)\]$")


def _port_groups(ports: list[str], scope: Scope, group: bool) -> list[tuple[str, list[Net]]]:
    """Ports in order; scalar ports named `a[0] .. a[N-1]` (escaped names, as in the EPFL
    files) become one N-bit port `a` when complete, same-direction and unambiguous."""
    single = [(name, [scope.nets[name]]) for name in ports]
    if not group:
        return single
    members: dict[str, dict[int, Net]] = {}
    for name in ports:
        m = _BIT_NAME.match(name)
        net = scope.nets[name]
        if m and net.width == 1 and net.msb == net.lsb == 0:
            members.setdefault(m.group(1), {})[int(m.group(2))] = net
    vectors = {
        base: bits for base, bits in members.items()
        if base not in scope.nets and len(bits) > 1 and max(bits) == len(bits) - 1
        and len({net.kind for net in bits.values()}) == 1
    }
    out: list[tuple[str, list[Net]]] = []
    for name, nets in single:
        m = _BIT_NAME.match(name)
        base = m.group(1) if m else None
        if base in vectors:
            if vectors[base] is not None:
                out.append((base, [vectors[base][i] for i in range(len(vectors[base]))]))
                vectors[base] = None
        else:
            out.append((name, nets))
    return out


def _initial_statements(stmt: ast.Stmt | None, at: ast.Node,
                        elab: _Elaborator) -> Iterator[ast.ProcAssign]:
    """The assignments of an `initial` block (a `begin ... end` of assignments, nothing else)."""
    if stmt is None:
        return
    if isinstance(stmt, ast.Block):
        for s in stmt.body:
            yield from _initial_statements(s, at, elab)
    elif isinstance(stmt, ast.ProcAssign):
        yield stmt
    else:
        raise elab.error("an initial block may only assign constants to variables (their power-up "
                         f"values); {YOSYS_HINT}", stmt)


def _identifiers(e: object) -> Iterator[ast.Ident]:
    """The identifiers an expression reads."""
    if isinstance(e, ast.Ident):
        yield e
    elif isinstance(e, list):
        for x in e:
            yield from _identifiers(x)
    elif isinstance(e, ast.Expr):
        for name in e.__slots__:
            yield from _identifiers(getattr(e, name))


def _instances(items: Sequence[ast.Item]) -> Iterator[ast.ModuleInst]:
    for item in items:
        if isinstance(item, ast.ModuleInst):
            yield item
        elif isinstance(item, ast.GenFor):
            yield from _instances(item.body)
        elif isinstance(item, ast.GenIf):
            yield from _instances(item.then)
            yield from _instances(item.other or [])


class _Elaborator:
    def __init__(self, design: Design, table: dict[str, ast.ModuleDecl]) -> None:
        self.design = design
        self.table = table
        self.b = design.builder

    def error(self, message: str, node: ast.Node) -> InputError:
        return self.design.error(message, node.line, node.col)

    # -- the top module --------------------------------------------------------------------
    def top(self, decl: ast.ModuleDecl, group: bool = False) -> None:
        design, graph = self.design, self.design.graph
        scope = Scope(design, decl.name, "", 0)
        ports = _port_groups(self.setup(scope, decl, []), scope, group)
        signed_ports = []
        for name, nets in ports:
            if any(net.signed for net in nets):
                signed_ports.append(name)
            if nets[0].kind == "input":
                value = graph.add_input(name, IntType(sum(net.width for net in nets)))
                bits = iter(self.b.bits(value, nets[0].loc))
                for net in nets:
                    for i in range(net.width):
                        design.drive(net, i, next(bits), net.loc)
        self.items(scope, decl.items)
        for name, nets in ports:
            if nets[0].kind == "output":
                bits = [design.read(net, i, net.loc) for net in nets for i in range(net.width)]
                graph.add_output(name, self.output_value(bits, nets[0].loc))
        if signed_ports:
            graph.attributes["signed_ports"] = tuple(signed_ports)
        self.finish()

    def output_value(self, bits: list[Value], loc: FileLoc) -> Value:
        if len(bits) == 1:
            return bits[0]
        if len(bits) > 1 and self.b.const_value(bits) is not None:
            return self.design.graph.create(hw.JoinOp, bits, [IntType(len(bits))], loc=loc).result
        return self.b.word(bits, loc)

    def finish(self) -> None:
        design, graph = self.design, self.design.graph
        self.constant_initials()
        if design.placeholders:
            net, pos, loc = min(design.placeholders.values(), key=lambda x: (x[2].line, x[2].col))
            what = net.path if net.width == 1 else net.bit_name(pos)
            temp = design.clocked_temps.get(net)
            if temp is not None:
                raise InputError(f"'{net.path}' is assigned with '=' in a clocked always block and read outside "
                                 f"it (line {loc.line}): '=' there is for block-local temporaries; assign a "
                                 "register with '<='", temp, source=design.source)
            raise InputError(f"'{what}' is read but never driven", loc, source=design.source)
        try:
            order = graph.topo_order()
        except VerifyError as err:
            raise InputError(f"combinational loop: {err.message}", err.loc,
                             source=design.source) from None
        try:
            seq.check_clocking(graph)
        except VerifyError as err:
            raise InputError(err.message, err.loc, source=design.source) from None
        for op in reversed(order):
            if isinstance(op, _WIRING) and not any(r.has_uses for r in op.results):
                graph.erase(op)

    def constant_initials(self) -> None:
        """Variables with an initial value that no clocked block made a register keep it as a
        constant (nothing else may drive them)."""
        design = self.design
        for net, (value, loc) in design.initial.items():
            driven = next((p for p in range(net.width) if net.drivers[p] is not None), None)
            if driven is not None:
                raise InputError(f"'{net.path}' has an initial value but is not a register (it is driven at "
                                 f"line {net.drivers[driven].line}): only variables assigned in an "
                                 "'always @(posedge ...)' block keep an initial value", loc,
                                 source=design.source)
            for pos in range(net.width):
                design.drive(net, pos, self.b.one if (value >> pos) & 1 else self.b.zero, loc)
        design.initial.clear()

    def initials(self, scope: Scope, items: Sequence[ast.Item]) -> None:
        """Collect the constant initial values of variables (`reg r = 3;`, `initial r = 3;`)."""
        ev = ExprEval(scope)
        for item in items:
            if isinstance(item, ast.Decl) and item.init is not None and item.kind in _VARIABLES:
                net = scope.nets.get(item.name)
                constant = net is not None and not any(
                    isinstance(scope.lookup(x.name), Net) for x in _identifiers(item.init))
                value = self.b.const_value(ev.eval(item.init, net.width, net.signed)) if constant else None
                if value is not None:
                    self.design.initial[net] = (value, self.design.loc(item.line, item.col))
            elif isinstance(item, ast.Initial):
                for stmt in _initial_statements(item.body, item, self):
                    targets = ev.lvalue(stmt.target)
                    width, signed = ev.size(stmt.value)
                    bits = ev.eval(stmt.value, max(width, len(targets)), signed)
                    loc = self.design.loc(stmt.line, stmt.col)
                    for (net, pos), bit in zip(targets, bits):
                        if not self.b.is_const(bit):
                            raise self.error("an initial block may only assign constants (the power-up "
                                             "values of registers)", stmt.value)
                        value, _ = self.design.initial.get(net, (0, loc))
                        value = value | (1 << pos) if bit is self.b.one else value & ~(1 << pos)
                        self.design.initial[net] = (value, loc)

    # -- module set-up ---------------------------------------------------------------------
    def setup(self, scope: Scope, decl: ast.ModuleDecl,
              overrides: list[tuple[str | None, Param]]) -> list[str]:
        """Declare the parameters and nets of `decl` in `scope`; return the port names."""
        ev = ExprEval(scope)
        positional = [p for name, p in overrides if name is None]
        named = {name: p for name, p in overrides if name is not None}
        declared = [p.name for p in decl.param_ports] + [
            p.name for p in decl.items if isinstance(p, ast.ParamDecl) and not p.local]
        for name in named:
            if name not in declared:
                raise self.error(f"module '{decl.name}' has no parameter '{name}'", decl)
        overridable = iter(positional)
        for p in [*decl.param_ports, *(x for x in decl.items if isinstance(x, ast.ParamDecl))]:
            given = None if p.local else named.get(p.name, next(overridable, None))
            self.param(scope, ev, p, given)
        decls: dict[str, list[ast.Decl]] = {}
        last: ast.Decl | None = None
        header = {d.name: d for d in decl.header_decls}
        for name in decl.ports:
            d = header.get(name)
            if d is None and last is not None:
                d = ast.Decl(last.line, last.col, name, last.kind, last.signed, last.msb, last.lsb,
                             last.net)
            if d is not None:
                decls.setdefault(name, []).append(d)
                last = d
        for item in decl.items:
            if isinstance(item, ast.Decl):
                decls.setdefault(item.name, []).append(item)
        for name, group in decls.items():
            self.declare(scope, ev, name, group)
        for name in decl.ports:
            net = scope.nets.get(name)
            if net is None or net.kind not in ("input", "output", "inout"):
                raise self.error(f"port '{name}' has no input/output declaration", decl)
            if net.kind == "inout":
                raise self.error(f"inout port '{name}' is not supported (combinational circuits "
                                 "only)", decl)
        self.implicit_nets(scope, decl.items)
        return list(decl.ports)

    def param(self, scope: Scope, ev: ExprEval, p: ast.ParamDecl, given: Param | None) -> None:
        if given is None:
            bits, signed = ev.value(p.value)
            value = self.b.const_value(bits)
            if value is None:
                raise self.error(f"parameter '{p.name}' needs a constant value", p.value)
            given = Param(value, len(bits), signed)
        if p.msb is not None:
            width = abs(ev.const(p.msb) - ev.const(p.lsb)) + 1
            bits = ev.extend(self.b.const_bits(given.value, given.width), width, given.signed)
            given = Param(self.b.const_value(bits) or 0, width, p.signed)
        elif p.signed and not given.signed:
            given = Param(given.value, given.width, True)
        scope.params[p.name] = given

    def declare(self, scope: Scope, ev: ExprEval, name: str, group: list[ast.Decl]) -> None:
        kinds = {d.kind for d in group}
        direction = next((k for k in ("input", "output", "inout") if k in kinds), None)
        kind = direction or group[0].kind
        first = group[0]
        if any(d.array for d in group):
            raise self.error(f"memories (arrays such as '{name}') are not supported; {YOSYS_HINT}",
                             first)
        if kind in ("wand", "wor"):
            raise self.error(f"'{kind}' nets are not supported; {YOSYS_HINT}", first)
        if kind == "genvar":
            return
        ranges = {(ev.const(d.msb), ev.const(d.lsb)) for d in group if d.msb is not None}
        if len(ranges) > 1:
            raise self.error(f"'{name}' is declared with different ranges", group[-1])
        if kind == "integer":
            ranges = ranges or {(31, 0)}
        msb, lsb = next(iter(ranges), (0, 0))
        signed = any(d.signed for d in group) or kind == "integer"
        loc = self.design.loc(first.line, first.col)
        net = Net(name, scope.prefixed(name), kind, abs(msb - lsb) + 1, msb, lsb, signed, loc,
                  scope.depth)
        self.design.count_bits(net)
        scope.nets[name] = net
        if kind in ("supply0", "supply1"):
            for i in range(net.width):
                self.design.drive(net, i, self.b.one if kind == "supply1" else self.b.zero, loc)

    def implicit_nets(self, scope: Scope, items: Sequence[ast.Item]) -> None:
        """Declare the 1-bit wires Verilog creates for undeclared names on ports and targets."""
        for item in items:
            if isinstance(item, ast.GateInst):
                names = item.terminals
            elif isinstance(item, ast.ModuleInst):
                names = [e for _, e in item.conns if e is not None]
            elif isinstance(item, ast.Assign):
                names = item.target.items if isinstance(item.target, ast.Concat) else [item.target]
            else:
                continue
            for e in names:
                if isinstance(e, ast.Ident) and scope.lookup(e.name) is None:
                    scope.nets[e.name] = Net(e.name, scope.prefixed(e.name), "wire", 1, 0, 0,
                                             False, self.design.loc(e.line, e.col), scope.depth)

    # -- module items ----------------------------------------------------------------------
    def items(self, scope: Scope, items: Sequence[ast.Item]) -> None:
        self.initials(scope, items)
        for item in items:
            self.design.begin_statement()
            try:
                self.item(scope, item)
            except RecursionError:
                raise self.error("expressions nested too deeply to elaborate", item) from None

    def item(self, scope: Scope, item: ast.Item) -> None:
        """Elaborate one module item."""
        if isinstance(item, ast.Assign):
            self.assign(scope, item.target, item.value, item)
        elif isinstance(item, ast.GateInst):
            self.gate(scope, item)
        elif isinstance(item, ast.ModuleInst):
            self.instance(scope, item)
        elif isinstance(item, ast.Always):
            elaborate_always(scope, item)
        elif isinstance(item, ast.Decl):
            net = scope.nets.get(item.name)
            if item.init is not None and not (item.kind in _VARIABLES and net in self.design.initial):
                self.assign(scope, ast.Ident(item.line, item.col, item.name), item.init, item)
        elif isinstance(item, ast.ParamDecl):
            if item.name not in scope.params:
                self.param(scope, ExprEval(scope), item, None)
        elif isinstance(item, ast.GenFor):
            self.generate_for(scope, item)
        elif isinstance(item, ast.GenIf):
            self.generate_if(scope, item)
        elif isinstance(item, ast.Initial):
            pass  # initial values, collected by `initials`
        else:
            raise self.error(f"unsupported module item; {YOSYS_HINT}", item)

    def assign(self, scope: Scope, target: ast.Expr, value: ast.Expr, at: ast.Node) -> None:
        ev = ExprEval(scope)
        targets = ev.lvalue(target)
        width, signed = ev.size(value)
        bits = ev.eval(value, max(width, len(targets)), signed)
        loc = ev.loc(at)
        for (net, pos), bit in zip(targets, bits):
            self.design.drive(net, pos, bit, loc)

    def gate(self, scope: Scope, inst: ast.GateInst) -> None:
        """A gate primitive becomes exactly one gate (the netlist's structure is kept)."""
        ev = ExprEval(scope)
        loc = ev.loc(inst)
        terms = inst.terminals
        if len(terms) < 2:
            raise self.error(f"'{inst.gate}' needs an output and at least one input", inst)
        if inst.gate in ("not", "buf"):
            x = ev.value(terms[-1])[0][0]
            value = self.b.gate(logic.NotOp if inst.gate == "not" else logic.BufOp, [x], loc)
            outputs = terms[:-1]
        else:
            ins = [ev.value(t)[0][0] for t in terms[1:]]
            cls = _GATES[inst.gate] if len(ins) > 1 else _SINGLE_INPUT[inst.gate]
            value = self.b.gate(cls, ins, loc)
            outputs = terms[:1]
        for out in outputs:
            targets = ev.lvalue(out)
            if len(targets) != 1:
                raise self.error(f"the output of a '{inst.gate}' gate must be one bit", out)
            self.design.drive(targets[0][0], targets[0][1], value, loc)

    def instance(self, scope: Scope, inst: ast.ModuleInst) -> None:
        decl = self.table.get(inst.module)
        if decl is None:
            raise self.error(f"instance '{inst.name}' of module '{inst.module}', which is not defined "
                             "in this file: the file is not self-contained", inst)
        if inst.array:
            raise self.error(f"arrays of instances are not supported; {YOSYS_HINT}", inst)
        deepest = limits.current().max_depth
        if scope.depth >= deepest:
            raise self.error(f"instances nested deeper than {deepest} (recursive module?) (--max-depth)", inst)
        ev = ExprEval(scope)
        overrides = []
        for name, expr in inst.params:
            bits, signed = ev.value(expr)
            value = self.b.const_value(bits)
            if value is None:
                raise self.error("parameter values must be constant", expr)
            overrides.append((name, Param(value, len(bits), signed)))
        child = Scope(self.design, decl.name, scope.prefixed(inst.name), scope.depth + 1)
        ports = self.setup(child, decl, overrides)
        conns: list[tuple[str, ast.Expr | None]] = []
        if inst.conns and inst.conns[0][0] is None:
            if len(inst.conns) > len(ports):
                raise self.error(f"module '{decl.name}' has {len(ports)} ports, "
                                 f"{len(inst.conns)} connected", inst)
            conns = [(p, e) for p, (_, e) in zip(ports, inst.conns)]
        else:
            for name, e in inst.conns:
                if name not in ports:
                    raise self.error(f"module '{decl.name}' has no port '{name}'", inst)
                conns.append((name, e))
        loc = ev.loc(inst)
        outputs = []
        for name, actual in conns:
            net = child.nets[name]
            if actual is None:
                continue
            if net.kind == "output":
                outputs.append((net, actual))
                continue
            width, signed = ev.size(actual)
            bits = ev.eval(actual, max(width, net.width), signed)
            for i in range(net.width):
                self.design.drive(net, i, bits[i], loc)
        mark = self.design.mark
        self.items(child, decl.items)
        self.design.mark = mark
        for net, actual in outputs:
            targets = ev.lvalue(actual)
            bits = [self.design.read(net, i, loc) for i in range(net.width)]
            bits = ev.extend(bits, len(targets), net.signed)
            for (target, pos), bit in zip(targets, bits):
                self.design.drive(target, pos, bit, loc)

    # -- generate --------------------------------------------------------------------------
    def block_scope(self, scope: Scope, label: str, items: Sequence[ast.Item]) -> Scope:
        child = Scope(self.design, scope.module, scope.prefixed(label), scope.depth, parent=scope)
        ev = ExprEval(child)
        groups: dict[str, list[ast.Decl]] = {}
        for item in items:
            if isinstance(item, ast.Decl):
                groups.setdefault(item.name, []).append(item)
        for name, group in groups.items():
            self.declare(child, ev, name, group)
        self.implicit_nets(child, items)
        return child

    def generate_for(self, scope: Scope, loop: ast.GenFor) -> None:
        if loop.var != loop.step_var:
            raise self.error("the generate loop must step its own genvar", loop)
        value = ExprEval(scope).const(loop.init, "a constant loop start")
        for _ in range(1 << 16):
            probe = Scope(self.design, scope.module, scope.path, scope.depth, parent=scope)
            probe.params[loop.var] = Param(value & 0xFFFFFFFF, 32, True)
            ev = ExprEval(probe)
            if not ev.const(loop.cond, "a constant loop condition"):
                return
            label = f"{loop.label or 'genblk'}[{value}]"
            child = self.block_scope(probe, label, loop.body)
            child.path = scope.prefixed(label)
            self.items(child, loop.body)
            value = ev.const(loop.step, "a constant loop step")
        raise self.error("generate loop runs more than 65536 iterations", loop)

    def generate_if(self, scope: Scope, gen: ast.GenIf) -> None:
        chosen = ExprEval(scope).const(gen.cond, "a constant generate condition")
        label, body = (gen.label, gen.then) if chosen else (gen.other_label, gen.other or [])
        child = self.block_scope(scope, label or "genblk", body)
        self.items(child, body)
