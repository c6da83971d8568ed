"""BLIF text of a circuit module: the top graph, bit-level, as `.names` covers.

Vector ports are written bit by bit (`a[0] a[1] ...`, which the BLIF frontend groups back into
vectors); nets keep their IR names (whitespace and BLIF-special characters replaced, names kept
unique). Each gate becomes one `.names` cover, the smaller of the ON- and OFF-set covers of its
truth table (`blif_text.gate_cover`); and/or/xor gates wider than `MAX_NAMES_INPUTS` become a
tree of such covers. Word-level ops must be lowered first (`lower-word`). The BLIF backend
writes files with it, and `resynth` hands circuits to ABC with it.

Registers become one `.latch D Q re CLOCK INIT` per bit on the graph's clock port, with an
enable and a synchronous reset folded into D as covers (`D = srst ? value : en ? d : q`); a
register with an asynchronous reset is refused (see `register_nets`).
"""

from __future__ import annotations

import re

from axc.ir import Graph, InputError, Module, Op, Value
from axc.ir.dialects import hw, logic, seq

from .blif_text import BlifWriter, gate_cover
from .cover import smallest_cover
from .net_naming import Namer, NetNames, source_label
from .register_nets import RegisterBit, bit_nets, register_bits, writable_clock

__all__ = ["MAX_NAMES_INPUTS", "legal_net", "module_blif", "op_cover"]

MAX_NAMES_INPUTS = 12
"""Widest `.names` written (Yosys' BLIF reader takes fewer than 13 inputs): wider and/or/xor
gates are split into a tree of such covers."""


def legal_net(name: str) -> str:
    """A BLIF net name: no white space, comment, continuation or `=` characters."""
    clean = re.sub(r"[\s#\\=]", "_", name)
    return clean if clean and not clean.startswith(".") else f"n{clean}"


def legal_port(name: str) -> str:
    """A BLIF port name: a legal net without brackets, which are kept for the bits of vector
    ports (a scalar port `x[2]` would read back as a bit of a vector `x`)."""
    return legal_net(re.sub(r"[\[\]]", "_", name))


def op_cover(op: Op) -> tuple[tuple[str, ...], bool]:
    """The cover of a logic op over its operands: (cubes, True for an ON-set cover)."""
    if isinstance(op, logic.ConstOp):
        return (("",) if op.attr("value") else ()), True
    if isinstance(op, logic.LutOp):
        table = op.attr("table")
        cubes, on_set = smallest_cover(table.bits, table.n_inputs)
        return tuple(cubes), on_set
    if op.name in logic.GATE_OP_BY_NAME:
        return gate_cover(op.name, len(op.operands))
    raise InputError(
        f"the BLIF emitter cannot write '{op.name}' ops: lower the circuit to gates first (lower-word)",
        op.loc,
    )


def _chunks(blif: BlifWriter, namer: Namer, name: str, nets: list[str], core_gate: str) -> list[str]:
    """Reduce `nets` with the non-inverted gate `core_gate` in groups until at most
    MAX_NAMES_INPUTS remain."""
    while len(nets) > MAX_NAMES_INPUTS:
        grouped = []
        for k in range(0, len(nets), MAX_NAMES_INPUTS):
            group = nets[k:k + MAX_NAMES_INPUTS]
            if len(group) == 1:
                grouped.append(group[0])
                continue
            part = namer.take(f"{name}_part")
            blif.gate(core_gate, group, part)
            grouped.append(part)
        nets = grouped
    return nets


def _next_net(blif: BlifWriter, namer: Namer, flop: RegisterBit) -> str:
    """The net a flip-flop loads: its data with the enable and synchronous reset folded in."""
    net = flop.d
    if flop.enable is not None:
        held = namer.take(f"{flop.q}_en")
        blif.gate("logic.mux", [flop.enable, net, flop.q], held)
        net = held
    if flop.srst is not None:
        reset = namer.take(f"{flop.q}_srst")
        if flop.srst_value:
            blif.gate("logic.or", [flop.srst, net], reset)
        else:
            blif.names([flop.srst, net, reset], ["01"])
        net = reset
    return net


def _graph(blif: BlifWriter, graph: Graph) -> None:
    clock = writable_clock(graph, "BLIF")
    namer = Namer(legal_net)
    port_namer = Namer(legal_port)
    port_namer.taken = namer.taken
    names = NetNames.of(graph, namer, lambda v: None, port_namer)
    ref = names.ref
    flops, q_bits = register_bits(graph, names, namer)

    def bits(ports: list[tuple[str, int]]) -> list[str]:
        return [p if w == 1 else f"{p}[{i}]" for p, w in ports for i in range(w)]

    blif.model(legal_net(graph.name), bits(names.inputs), bits(names.outputs))
    for op in graph.topo_order():
        if isinstance(op, seq.RegOp | seq.NextOp):
            continue
        if isinstance(op, hw.SplitOp | hw.JoinOp):
            if isinstance(op, hw.SplitOp) and not isinstance(op.operand(0).owner, seq.RegOp | None):
                raise InputError("hw.split of an internal word: lower word-level ops first", op.loc)
            if isinstance(op, hw.JoinOp) and ref[op.result] not in dict(names.outputs) \
                    and not all(u.op is graph.output_op or isinstance(u.op, seq.NextOp) for u in op.result.uses):
                raise InputError("hw.join outside an output port: lower word-level ops first", op.loc)
            continue
        operands = [ref[v] for v in op.operands]
        gate = logic.GATE_OP_BY_NAME.get(op.name)
        if len(operands) > MAX_NAMES_INPUTS and gate is not None and gate.core in ("and", "or", "xor"):
            operands = _chunks(blif, namer, ref[op.result], operands, f"logic.{gate.core}")
            blif.gate(op.name, operands, ref[op.result])
            continue
        blif.names([*operands, ref[op.result]], *op_cover(op))
    for target, v in names.extra:
        if v.type.width > 1 and (v in q_bits or v.owner is None):
            for i, bit in enumerate(bit_nets(v, names, q_bits)):
                blif.names([bit, f"{target}[{i}]"], ["1"])
            continue
        _check_bit(v)
        blif.names([ref[v], target], ["1"])
    for flop in flops:
        blif.latch(_next_net(blif, namer, flop), flop.q, ref[clock], flop.init)
    blif.end()


def _check_bit(v: Value) -> None:
    if v.type.width != 1:
        raise InputError("a multi-bit output that is not built by hw.join: lower word-level ops first")


def module_blif(module: Module) -> str:
    """The BLIF text of the top graph of `module` (flat, bit-level)."""
    graph = module.top_graph
    if graph.kind != "hw":
        raise InputError(f"graph @{graph.name} is not a circuit: BLIF holds only circuits")
    if any(isinstance(op, hw.InstanceOp) for op in graph.ops):
        raise InputError("the BLIF emitter needs a flat circuit: flatten the instances first")
    source = module.attributes.get("source")
    blif = BlifWriter()
    blif.lines.append("# Generated by axc-opt" + (f" from {source_label(source)}" if source else ""))
    _graph(blif, graph)
    return blif.text()
