"""Structural Verilog emitter: one module per circuit graph, one `assign` per op.

Ports keep their widths (`input [7:0] a`) and names; nets keep their IR names where those are
legal Verilog identifiers and are sanitised deterministically otherwise (`f[0]` as an internal
net becomes `f_0_`; names stay unique). Gates print as expressions (`assign n5 = ~(a & b);`);
LUTs as an irredundant sum of products (or, above 8 inputs, an indexed constant table);
`word` ops print as Verilog operators (`assign y = a + b;`), so unlowered graphs emit too;
`hw.instance` as a module instance with named ports. Registers (`seq.reg`/`seq.next`) print as
a `reg` (an `output reg` when it drives a port), an `initial` line when it has an init, and one
`always @(posedge clk[ or posedge/negedge rst])` block each: asynchronous reset, then
synchronous reset, then enable, as `seq` orders them. The output compiles cleanly with Icarus
(`iverilog -Wall`) and Yosys.
"""

from __future__ import annotations

import re
from typing import Any

from axc.ir import Graph, InputError, IntType, Module, Op, Value
from axc.ir.dialects import hw, logic, seq, word

from .cover import smallest_cover
from .net_naming import Namer, NetNames, bit_ref, source_label

__all__ = ["emit_verilog", "legal_identifier"]

KEYWORDS = frozenset(["always", "and", "assign", "automatic", "begin", "buf", "bufif0", "bufif1", "case", "casex", "casez", "cell", "cmos", "config", "deassign", "default", "defparam", "design", "disable", "edge", "else", "end", "endcase", "endconfig", "endfunction", "endgenerate", "endmodule", "endprimitive", "endspecify", "endtable", "endtask", "event", "for", "force", "forever", "fork", "function", "generate", "genvar", "highz0", "highz1", "if", "ifnone", "incdir", "include", "initial", "inout", "input", "instance", "integer", "join", "large", "liblist", "library", "localparam", "macromodule", "medium", "module", "nand", "negedge", "nmos", "nor", "noshowcancelled", "not", "notif0", "notif1", "or", "output", "parameter", "pmos", "posedge", "primitive", "pull0", "pull1", "pulldown", "pullup", "pulsestyle_onevent", "pulsestyle_ondetect", "rcmos", "real", "realtime", "reg", "release", "repeat", "rnmos", "rpmos", "rtran", "rtranif0", "rtranif1", "scalared", "showcancelled", "signed", "small", "specify", "specparam", "strong0", "strong1", "supply0", "supply1", "table", "task", "time", "tran", "tranif0", "tranif1", "tri", "tri0", "tri1", "triand", "trior", "trireg", "unsigned", "use", "uwire", "vectored", "wait", "wand", "weak0", "weak1", "while", "wire", "wor", "xnor", "xor", "logic", "bit", "byte", "int"])

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_CMP_SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
MAX_SOP_INPUTS = 8
"""LUTs with more inputs print as an indexed constant table rather than a sum of products."""


def legal_identifier(name: str) -> str:
    """`name` if it is a legal, non-keyword Verilog identifier, else a sanitised form."""
    if _IDENT.match(name) and name not in KEYWORDS:
        return name
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name) or "n"
    if not clean[0].isalpha() and clean[0] != "_":
        clean = "n" + clean
    return clean + "_" if clean in KEYWORDS else clean


def port_identifier(name: str) -> str:
    """A port name: kept as is when legal, else written as an escaped identifier (`\\a[0] `).

    An escaped identifier holds printable ASCII only (IEEE 1364 §3.7.1), so white space and
    other characters become `_`; one that is then a plain identifier is written plain, since
    `\\a_b ` and `a_b` are the same name (so the namer sees the clash).
    """
    clean = re.sub(r"[^!-~]", "_", name) or "p"
    if _IDENT.match(clean) and clean not in KEYWORDS:
        return clean
    return f"\\{clean} "


def _wrap(head: str, items: list[str], tail: str, width: int = 100) -> list[str]:
    """`head item, item, ... tail` broken into lines of at most about `width` characters.

    Escaped identifiers keep the white space that ends them.
    """
    lines, current = [], head
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if current != head and len(current) + len(piece) + 1 > width:
            lines.append(current.rstrip() if not current.endswith(" ,") else current)
            current = "    "
        elif current != head:
            current += " "
        current += piece
    lines.append(current + tail)
    return lines


def _decl(kind: str, name: str, width: int) -> str:
    return f"{kind} [{width - 1}:0] {name}" if width > 1 else f"{kind} {name}"


_INFIX = {"and": " & ", "or": " | ", "xor": " ^ "}


def _gate_expression(gate: type[Op], a: list[str]) -> str:
    """A logic gate as a Verilog expression, read from the dialect's `core`/`inverted` data."""
    if gate.core == "mux":
        body = f"{a[0]} ? {a[1]} : {a[2]}"
    elif gate.core == "maj":
        body = f"({a[0]} & {a[1]}) | ({a[0]} & {a[2]}) | ({a[1]} & {a[2]})"
    elif gate.core == "buf":
        return f"~{a[0]}" if gate.inverted else a[0]
    else:
        body = _INFIX[gate.core].join(a)
    return f"~({body})" if gate.inverted else body

def _const(width: int, value: int) -> str:
    return f"{width}'h{value:x}" if width > 4 else f"{width}'b{value:0{width}b}"


def _reset_inverter(reg: seq.RegOp) -> bool:
    """Whether `reg`'s reset is the inverse of a port read by registers only (`negedge rst_n`
    says it all)."""
    arst = seq.async_reset_port(reg)
    return arst is not None and arst[1] and all(isinstance(u.op, seq.RegOp) for u in reg.async_reset.uses)


class _ModuleWriter:
    def __init__(self, graph: Graph, module_names: dict[str, str], port_names: dict[str, NetNames],
                 namer: Namer):
        self.graph = graph
        self.namer = namer
        self.module_names = module_names
        self.port_names = port_names
        self.lines: list[str] = []
        self.params: list[str] = []

    def r(self, v: Value) -> str:
        return self.names.ref[v]

    def width(self, v: Value) -> int:
        return v.type.width

    def write(self, names: NetNames) -> str:
        self.names = names
        g = self.graph
        body: list[str] = []
        regs = self.name_registers()
        edge_only = {reg.async_reset for reg in regs if _reset_inverter(reg)}
        names.wires = [v for v in names.wires if v not in edge_only]
        for op in g.topo_order():
            if isinstance(op, seq.RegOp | seq.NextOp) or op.results and op.results[0] in edge_only:
                continue
            if isinstance(op, hw.SplitOp) or (isinstance(op, logic.ConstOp) and self.r(op.result)[0].isdigit()):
                continue
            if isinstance(op, hw.InstanceOp):
                body.append(self.instance(op))
                continue
            if isinstance(op, hw.JoinOp) and self.r(op.result) in dict(names.outputs):
                continue
            body.append(f"  assign {self.r(op.result)} = {self.expr(op)};")
        for target, v in names.extra:
            body.append(f"  assign {target} = {self.r(v)};")
        ports = [n for n, _ in names.inputs] + [n for n, _ in names.outputs]
        out = _wrap(f"module {self.module_names[g.name]}(", ports, ");")
        out += [f"  {_decl('input', n, w)};" for n, w in names.inputs]
        reg_ports = {self.r(reg.result) for reg in regs}
        out += [f"  {_decl('output reg' if n in reg_ports else 'output', n, w)};" for n, w in names.outputs]
        out += [f"  {_decl('reg' if isinstance(v.owner, seq.RegOp) else 'wire', self.r(v), self.width(v))};"
                for v in names.wires]
        out += self.params
        out += body
        for reg in regs:
            out += self.register(reg)
        out.append("endmodule")
        return "\n".join(out) + "\n"

    def name_registers(self) -> list[seq.RegOp]:
        """The registers; one named as a bit of a port gets a name of its own and an assign."""
        regs = seq.registers(self.graph)
        for reg in regs:
            q = reg.result
            if "[" in self.r(q) and q not in self.names.wires:
                self.names.extra.append((self.r(q), q))
                self.names.ref[q] = self.namer.take(q.name or "r")
                self.names.wires.append(q)
        return regs

    def register(self, reg: seq.RegOp) -> list[str]:
        """The `initial` line and the `always` block of one register."""
        q, width = self.r(reg.result), reg.width
        nxt = seq.next_of(reg)
        lines = [f"  initial {q} = {_const(width, reg.init)};"] if "init" in reg.attributes else []
        events = f"posedge {self.r(reg.operand(0))}"
        steps: list[tuple[str, str]] = []
        arst = seq.async_reset_port(reg)
        if reg.async_reset is not None:
            port, low = arst if arst is not None else (reg.async_reset, False)
            events += f" or {'negedge' if low else 'posedge'} {self.r(port)}"
            steps.append((f"!{self.r(port)}" if low else self.r(port), _const(width, reg.attr("arst_value"))))
        if nxt.sync_reset is not None:
            steps.append((self.r(nxt.sync_reset), _const(width, nxt.attr("srst_value"))))
        if nxt.enable is not None:
            steps.append((self.r(nxt.enable), self.r(nxt.data)))
        elif nxt.data is not reg.result:
            steps.append(("", self.r(nxt.data)))
        lines.append(f"  always @({events})")
        if not steps:
            steps.append(("", q))
        for k, (cond, value) in enumerate(steps):
            head = ("if" if k == 0 else "else if") + f" ({cond}) " if cond else ("else " if k else "")
            lines.append(f"    {head}{q} <= {value};")
        return lines

    def instance(self, op: Op) -> str:
        callee = op.attr("callee")
        ports = self.port_names[callee]
        conns = [f".{p}({self.r(v)})" for (p, _), v in zip(ports.inputs, op.operands)]
        conns += [f".{p}({self.r(v)})" for (p, _), v in zip(ports.outputs, op.results)]
        inst = self.namer.take(op.attr("instance") or f"u_{self.r(op.results[0]) if op.results else callee}")
        return f"  {self.module_names[callee]} {inst} ({', '.join(conns)});"

    def expr(self, op: Op) -> str:
        a = [self.r(v) for v in op.operands]
        name = op.name
        if isinstance(op, logic.LutOp):
            return self.lut(op, a)
        if isinstance(op, logic.ConstOp):
            return f"1'b{op.attr('value')}"
        if op.name in logic.GATE_OP_BY_NAME:
            return _gate_expression(logic.GATE_OP_BY_NAME[op.name], a)
        simple = {
            "word.add": lambda: f"{a[0]} + {a[1]}", "word.sub": lambda: f"{a[0]} - {a[1]}",
            "word.neg": lambda: f"-{a[0]}", "word.not": lambda: f"~{a[0]}",
            "word.and": lambda: " & ".join(a), "word.or": lambda: " | ".join(a),
            "word.xor": lambda: " ^ ".join(a), "word.shl": lambda: f"{a[0]} << {a[1]}",
            "word.mux": lambda: f"{a[0]} ? {a[1]} : {a[2]}",
            "word.reduce_and": lambda: f"&{a[0]}", "word.reduce_or": lambda: f"|{a[0]}",
            "word.reduce_xor": lambda: f"^{a[0]}",
            "word.const": lambda: _const(self.width(op.result), op.attr("value")),
            "hw.join": lambda: "{" + ", ".join(reversed(a)) + "}",
            "word.concat": lambda: "{" + ", ".join(reversed(a)) + "}",
        }
        if name in simple:
            return simple[name]()
        if isinstance(op, word.MulOp):
            if op.attr("signed"):
                return f"$signed({a[0]}) * $signed({a[1]})"
            return f"{a[0]} * {a[1]}"
        if isinstance(op, word.ShrOp):
            return f"$signed({a[0]}) >>> {a[1]}" if op.attr("arith") else f"{a[0]} >> {a[1]}"
        if isinstance(op, word.CmpOp):
            pred = op.attr("pred")
            sym = _CMP_SYMBOLS[pred if pred in ("eq", "ne") else pred[1:]]
            if pred.startswith("s"):
                return f"$signed({a[0]}) {sym} $signed({a[1]})"
            return f"{a[0]} {sym} {a[1]}"
        if isinstance(op, word.ExtractOp):
            lo, w = op.attr("lo"), self.width(op.result)
            if self.width(op.operand(0)) == 1:
                return a[0]
            return f"{a[0]}[{lo}]" if w == 1 else f"{a[0]}[{lo + w - 1}:{lo}]"
        if isinstance(op, word.SextOp | word.ZextOp):
            src_w, w = self.width(op.operand(0)), self.width(op.result)
            if w == src_w:
                return a[0]
            if not isinstance(op, word.SextOp):
                return f"{{{w - src_w}'b0, {a[0]}}}"
            sign = bit_ref(a[0], src_w, src_w - 1)
            return f"{{{{{w - src_w}{{{sign}}}}}, {a[0]}}}"
        raise InputError(f"the Verilog emitter cannot write '{op.name}' ops", op.loc)

    def lut(self, op: Op, a: list[str]) -> str:
        table = op.attr("table")
        n = table.n_inputs
        if n == 0:
            return f"1'b{table.bits & 1}"
        if n > MAX_SOP_INPUTS:
            name = self.namer.take(f"LUT_{self.r(op.result)}")
            self.params.append(f"  localparam [{(1 << n) - 1}:0] {name} = {1 << n}'h{table.bits:x};")
            return f"{name}[{{{', '.join(reversed(a))}}}]"
        cubes, on_set = smallest_cover(table.bits, n)
        terms = []
        for cube in cubes:
            lits = [a[i] if c == "1" else f"~{a[i]}" for i, c in enumerate(cube) if c != "-"]
            terms.append(" & ".join(lits) if lits else "1'b1")
        sop = " | ".join(f"({t})" if len(terms) > 1 and "&" in t else t for t in terms) or "1'b0"
        return sop if on_set else f"~({sop})"


def emit_verilog(module: Module, options: dict[str, Any] | None = None) -> str:
    """The Verilog text of every circuit graph of `module` (the top module last).

    Options: `top_name` renames the top module, `module_prefix` prefixes the others (so two
    designs can be read into one tool side by side).
    """
    graphs = [g for g in module.graphs.values() if g.kind == "hw"]
    if not graphs:
        raise InputError("the module has no circuit graph to write as Verilog")
    graphs.sort(key=lambda g: g.name == module.top)
    options = options or {}
    prefix = str(options.get("module_prefix", ""))
    module_namer = Namer(legal_identifier)
    module_names = {
        g.name: module_namer.take(options["top_name"] if g.name == module.top and options.get("top_name") else prefix + g.name)
        for g in graphs
    }
    all_names: dict[str, NetNames] = {}
    namers: dict[str, Namer] = {}
    for g in graphs:
        namer = namers[g.name] = Namer(legal_identifier, {module_names[g.name]})
        port_namer = Namer(port_identifier)
        port_namer.taken = namer.taken
        all_names[g.name] = NetNames.of(
            g, namer, lambda v: f"1'b{v.owner.attr('value')}" if v.type == IntType(1) else None,
            port_namer,
        )
    source = module.attributes.get("source")
    header = "// Generated by axc-opt" + (f" from {source_label(source)}" if source else "") + "\n"
    parts = [header]
    for g in graphs:
        parts.append(_ModuleWriter(g, module_names, all_names, namers[g.name]).write(all_names[g.name]))
    return "\n".join(parts)
