"""ISCAS `.bench` emitter: a bit-level circuit as AND/OR/NAND/NOR/XOR/XNOR/NOT/BUFF gates.

`.bench` has only those gates, so the others are expanded: `mux` into NOT/AND/OR, `maj` into
three ANDs and an OR, LUTs into their smaller irredundant cover (ANDs of literals, then OR or
NOR), constants into `XOR(x, x)` / `XNOR(x, x)` of the first input. Vector ports are written bit
by bit (`a[0]`, ...), which the `.bench` frontend groups back into vectors.

Registers become one `Q = DFF(D)` per bit (ISCAS'89). `.bench` has no clock net, so the clock
port is not written (the frontend adds it back as `clk`) and must clock registers only; an
enable and a synchronous reset are folded into D (`D = srst ? value : en ? d : q`, with
AND/OR/NOT), and a bit whose init is 1 is stored inverted (`Q_inv = DFF(NOT(D))`,
`Q = NOT(Q_inv)`), since a DFF starts at 0. Asynchronous resets are refused (`register_nets`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from axc.ir import InputError, Module, Op
from axc.ir.dialects import hw, seq
from axc.runtime.cover import smallest_cover
from axc.runtime.net_naming import Namer, NetNames, source_label
from axc.runtime.register_nets import RegisterBit, bit_nets, register_bits, writable_clock

__all__ = ["emit_bench", "save_bench"]

_DIRECT = {
    "logic.and": "AND", "logic.or": "OR", "logic.nand": "NAND", "logic.nor": "NOR",
    "logic.xor": "XOR", "logic.xnor": "XNOR", "logic.not": "NOT", "logic.buf": "BUFF",
}


def legal_bench_name(name: str) -> str:
    """A `.bench` net name: the characters the format allows; `INPUT`/`OUTPUT` (any case), which
    would start a declaration, get a `_` appended."""
    clean = re.sub(r"[^A-Za-z0-9_.\[\]$:<>/-]", "_", name) or "n"
    return clean + "_" if clean.upper() in ("INPUT", "OUTPUT") else clean


def legal_bench_port(name: str) -> str:
    """A `.bench` port name: a legal net without brackets, which are kept for the bits of vector
    ports (a scalar port `x[2]` would read back as a bit of a vector `x`)."""
    return legal_bench_name(re.sub(r"[\[\]]", "_", name))


class _Writer:
    def __init__(self, namer: Namer, ref: dict, first_input: str | None) -> None:
        self.namer = namer
        self.ref = ref
        self.first_input = first_input
        self.lines: list[str] = []
        self.inverted: dict[str, str] = {}

    def gate(self, out: str, kind: str, ins: list[str]) -> str:
        self.lines.append(f"{out} = {kind}({', '.join(ins)})")
        return out

    def temp(self, base: str, kind: str, ins: list[str]) -> str:
        return self.gate(self.namer.take(f"{base}_t"), kind, ins)

    def invert(self, net: str) -> str:
        if net not in self.inverted:
            self.inverted[net] = self.gate(self.namer.take(f"{net}_n"), "NOT", [net])
        return self.inverted[net]

    def constant(self, out: str, value: int, op: Op) -> None:
        if self.first_input is None:
            raise InputError("a .bench file cannot hold a constant without any input", op.loc)
        self.gate(out, "XNOR" if value else "XOR", [self.first_input, self.first_input])

    def op(self, op: Op) -> None:
        out = self.ref[op.result]
        ins = [self.ref[v] for v in op.operands]
        if op.name in _DIRECT:
            self.gate(out, _DIRECT[op.name], ins)
        elif op.name == "logic.const":
            self.constant(out, int(op.attr("value")), op)
        elif op.name == "logic.mux":
            s, t, f = ins
            on = self.temp(out, "AND", [s, t])
            off = self.temp(out, "AND", [self.invert(s), f])
            self.gate(out, "OR", [on, off])
        elif op.name == "logic.maj":
            a, b, c = ins
            terms = [self.temp(out, "AND", pair) for pair in ([a, b], [a, c], [b, c])]
            self.gate(out, "OR", terms)
        elif op.name == "logic.lut":
            self.lut(op, out, ins)
        else:
            raise InputError(f"the .bench emitter cannot write '{op.name}' ops: lower the circuit to gates first", op.loc)

    def flop(self, flop: RegisterBit) -> str:
        """The DFF line of one register bit; its enable, reset and init folded in as gates."""
        net = flop.d
        if flop.enable is not None:
            on = self.temp(flop.q, "AND", [flop.enable, net])
            off = self.temp(flop.q, "AND", [self.invert(flop.enable), flop.q])
            net = self.temp(flop.q, "OR", [on, off])
        if flop.srst is not None:
            if flop.srst_value:
                net = self.temp(flop.q, "OR", [flop.srst, net])
            else:
                net = self.temp(flop.q, "AND", [self.invert(flop.srst), net])
        if not flop.init:
            return f"{flop.q} = DFF({net})"
        stored = self.namer.take(f"{flop.q}_inv")
        self.gate(flop.q, "NOT", [stored])
        return f"{stored} = DFF({self.invert(net)})"

    def lut(self, op: Op, out: str, ins: list[str]) -> None:
        table = op.attr("table")
        cubes, on_set = smallest_cover(table.bits, table.n_inputs)
        if not cubes or cubes == ["-" * table.n_inputs]:
            self.constant(out, int(on_set == bool(cubes)), op)
            return
        terms = []
        for cube in cubes:
            lits = [ins[i] if c == "1" else self.invert(ins[i]) for i, c in enumerate(cube) if c != "-"]
            terms.append(lits[0] if len(lits) == 1 else self.temp(out, "AND", lits))
        if len(terms) == 1:
            self.gate(out, "BUFF" if on_set else "NOT", terms)
        else:
            self.gate(out, "OR" if on_set else "NOR", terms)


def emit_bench(module: Module, options: dict[str, Any] | None = None) -> str:
    """The `.bench` text of the top graph of `module` (flat, bit-level)."""
    graph = module.top_graph
    if graph.kind != "hw" or any(isinstance(op, hw.InstanceOp) for op in graph.ops):
        raise InputError("the .bench emitter needs a flat circuit")
    clock = writable_clock(graph, ".bench")
    if clock is not None:
        other = next((u.op for u in clock.uses if not isinstance(u.op, seq.RegOp)), None)
        if other is not None:
            raise InputError(f"the clock '{clock.name}' also drives '{other.name}' logic, but .bench has no "
                             "clock net: a .bench clock may only clock flip-flops", other.loc)
    namer = Namer(legal_bench_name)
    port_namer = Namer(legal_bench_port)
    port_namer.taken = namer.taken
    names = NetNames.of(graph, namer, lambda v: None, port_namer)
    flops, q_bits = register_bits(graph, names, namer)

    def bits(ports: list[tuple[str, int]]) -> list[str]:
        return [p if w == 1 else f"{p}[{i}]" for p, w in ports for i in range(w)]

    clock_port = names.ref[clock] if clock is not None else None
    in_bits = bits([(p, w) for p, w in names.inputs if p != clock_port])
    writer = _Writer(namer, names.ref, in_bits[0] if in_bits else flops[0].q if flops else None)
    for op in graph.topo_order():
        if isinstance(op, seq.RegOp | seq.NextOp):
            continue
        if isinstance(op, hw.SplitOp | hw.JoinOp):
            if isinstance(op, hw.SplitOp) and not isinstance(op.operand(0).owner, seq.RegOp | None):
                raise InputError("hw.split of an internal word: lower word-level ops first", op.loc)
            continue
        writer.op(op)
    for target, v in names.extra:
        if v.type.width > 1 and (v in q_bits or v.owner is None):
            for i, bit in enumerate(bit_nets(v, names, q_bits)):
                writer.gate(f"{target}[{i}]", "BUFF", [bit])
            continue
        writer.gate(target, "BUFF", [names.ref[v]])
    dffs = [writer.flop(flop) for flop in flops]
    source = module.attributes.get("source")
    lines = ["# Generated by axc-opt" + (f" from {source_label(source)}" if source else "")]
    lines += [f"INPUT({b})" for b in in_bits]
    lines += [f"OUTPUT({b})" for b in bits(names.outputs)]
    return "\n".join([*lines, "", *dffs, "", *writer.lines]) + "\n"


def save_bench(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write the top graph of `module` as `.bench` to `path`."""
    Path(path).write_text(emit_bench(module, options))
