"""BLIF emitter: a bit-level circuit graph as `.names` covers.

Vector ports are written bit by bit (`a[0] a[1] ...`, which the BLIF frontend groups back into
vectors); nets keep their IR names (whitespace and BLIF-special characters replaced, names kept
unique). Each gate becomes one `.names` cover: and/nand as one cube, or/nor as one OFF-set cube,
xor/xnor by parity, mux and majority by three cubes, LUTs by the smaller irredundant cover of
their ON- or OFF-set. Word-level ops must be lowered first (`lower-word`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from axc.ir import Graph, InputError, Module, Op, Value
from axc.ir.dialects import hw
from axc.runtime.cover import smallest_cover
from axc.runtime.net_naming import Namer, NetNames

__all__ = ["emit_blif", "gate_cover", "save_blif"]


def legal_net(name: str) -> str:
    """A BLIF net name: no white space, comment, continuation or `=` characters."""
    clean = re.sub(r"[\s#\\=]", "_", name)
    return clean if clean and not clean.startswith(".") else f"n{clean}"


def _parity_rows(n: int, odd: bool) -> list[str]:
    rows = []
    for p in range(1 << n):
        if (p.bit_count() % 2 == 1) == odd:
            rows.append("".join("1" if (p >> i) & 1 else "0" for i in range(n)))
    return rows


def gate_cover(op: Op) -> tuple[list[str], bool]:
    """The cover of a logic op over its operands: (cubes, True for an ON-set cover)."""
    n = len(op.operands)
    kind = op.name
    if kind == "logic.const":
        return ([""] if op.attr("value") else []), True
    if kind == "logic.buf":
        return ["1"], True
    if kind == "logic.not":
        return ["0"], True
    if kind in ("logic.and", "logic.nand"):
        return ["1" * n], kind == "logic.and"
    if kind in ("logic.or", "logic.nor"):
        return ["0" * n], kind == "logic.nor"
    if kind in ("logic.xor", "logic.xnor"):
        return _parity_rows(n, kind == "logic.xor"), True
    if kind == "logic.mux":
        return ["11-", "0-1"], True
    if kind == "logic.maj":
        return ["11-", "1-1", "-11"], True
    if kind == "logic.lut":
        table = op.attr("table")
        return smallest_cover(table.bits, table.n_inputs)
    raise InputError(
        f"the BLIF emitter cannot write '{op.name}' ops: lower the circuit to gates first (lower-word)",
        op.loc,
    )


def _line(keyword: str, words: list[str], width: int = 78) -> list[str]:
    lines, current = [], keyword
    for w in words:
        if len(current) + 1 + len(w) > width and current != keyword:
            lines.append(current + " \\")
            current = " " + w
        else:
            current += " " + w
    lines.append(current)
    return lines


MAX_NAMES_INPUTS = 12
"""Widest `.names` written (Yosys' BLIF reader takes fewer than 13 inputs): wider and/or/xor
gates are split into a tree of such covers."""

_CHUNKED = {
    "logic.and": "logic.and", "logic.nand": "logic.and", "logic.or": "logic.or",
    "logic.nor": "logic.or", "logic.xor": "logic.xor", "logic.xnor": "logic.xor",
}


def _cover(nets: list[str], cubes: list[str], on_set: bool) -> list[str]:
    value = "1" if on_set else "0"
    return _line(".names", nets) + [f"{c} {value}" if c else value for c in cubes]


def _positive_cover(kind: str, n: int) -> tuple[list[str], bool]:
    if kind == "logic.and":
        return ["1" * n], True
    if kind == "logic.or":
        return ["0" * n], False
    return _parity_rows(n, True), True


def _wide_cover(op: Op, n: int) -> tuple[list[str], bool]:
    cubes, on_set = _positive_cover(_CHUNKED[op.name], n)
    return cubes, on_set != (op.name in ("logic.nand", "logic.nor", "logic.xnor"))


def _chunks(out: list[str], namer: Namer, name: str, nets: list[str], kind: str) -> list[str]:
    """Reduce `nets` with `kind` in groups until at most MAX_NAMES_INPUTS remain."""
    while len(nets) > MAX_NAMES_INPUTS:
        grouped = []
        for k in range(0, len(nets), MAX_NAMES_INPUTS):
            group = nets[k:k + MAX_NAMES_INPUTS]
            if len(group) == 1:
                grouped.append(group[0])
                continue
            part = namer.take(f"{name}_part")
            out += _cover(group + [part], *_positive_cover(kind, len(group)))
            grouped.append(part)
        nets = grouped
    return nets


def _model(graph: Graph) -> list[str]:
    namer = Namer(legal_net)
    names = NetNames.of(graph, namer, lambda v: None)
    ref = names.ref

    def bits(ports: list[tuple[str, int]]) -> list[str]:
        return [p if w == 1 else f"{p}[{i}]" for p, w in ports for i in range(w)]

    out = [f".model {legal_net(graph.name)}"]
    out += _line(".inputs", bits(names.inputs))
    out += _line(".outputs", bits(names.outputs))
    for op in graph.topo_order():
        if isinstance(op, hw.SplitOp | hw.JoinOp):
            if isinstance(op, hw.SplitOp) and op.operand(0).owner is not None:
                raise InputError("hw.split of an internal word: lower word-level ops first", op.loc)
            if isinstance(op, hw.JoinOp) and ref[op.result] not in dict(names.outputs):
                raise InputError("hw.join outside an output port: lower word-level ops first", op.loc)
            continue
        operands = [ref[v] for v in op.operands]
        if len(operands) > MAX_NAMES_INPUTS and op.name in _CHUNKED:
            operands = _chunks(out, namer, ref[op.result], operands, _CHUNKED[op.name])
        cubes, on_set = gate_cover(op) if len(operands) == len(op.operands) else _wide_cover(op, len(operands))
        out += _cover(operands + [ref[op.result]], cubes, on_set)
    for target, v in names.extra:
        _check_bit(v)
        out += [f".names {ref[v]} {target}", "1 1"]
    out.append(".end")
    return out


def _check_bit(v: Value) -> None:
    if v.type.width != 1:
        raise InputError("a multi-bit output that is not built by hw.join: lower word-level ops first")


def emit_blif(module: Module, options: dict[str, Any] | None = None) -> str:
    """The BLIF text of the top graph of `module` (flattened, bit-level)."""
    graph = module.top_graph
    if graph.kind != "hw":
        raise InputError(f"graph @{graph.name} is not a circuit: BLIF holds only circuits")
    if any(isinstance(op, hw.InstanceOp) for op in graph.ops):
        raise InputError("the BLIF emitter needs a flat circuit: flatten the instances first")
    source = module.attributes.get("source")
    header = "# Generated by axc-opt" + (f" from {Path(str(source)).name}" if source else "")
    return "\n".join([header, *_model(graph)]) + "\n"


def save_blif(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write the top graph of `module` as BLIF to `path`."""
    Path(path).write_text(emit_blif(module, options))
