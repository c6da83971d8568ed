"""The ISCAS `.bench` frontend: `INPUT(x)`, `OUTPUT(y)`, `y = NAND(a, b)` into a "hw" graph.

Gates: AND OR NAND NOR XOR XNOR (two or more inputs), NOT, BUF/BUFF. Vector ports are restored
from `x[i]` names as for BLIF (see `frontend.netlist`).

Flip-flops (ISCAS'89): `G5 = DFF(G10)` is a rising-edge D flip-flop that starts at 0, a one-bit
register named `G5`. `.bench` has no clock net: all flip-flops run on one implicit clock, for
which an input port `clk` is added as the last input (`clk_1`, `clk_2`, ... when a net of the
file already has that name, as in BLIF). Other sequential cells (`DFFR`, `DFFS`, `LATCH`, `FF`)
are refused with their location.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from axc.ir import FileLoc, InputError, Module
from axc.ir.dialects import logic
from lark import Lark

from .limits import Limits
from .netlist import (
    FlatCell,
    build_graph,
    check_port_buses,
    implicit_clock,
    parse_text,
    read_source,
)

__all__ = ["load_bench", "parse_bench"]

_GATES: dict[str, type] = {
    "AND": logic.AndOp, "OR": logic.OrOp, "NAND": logic.NandOp, "NOR": logic.NorOp,
    "XOR": logic.XorOp, "XNOR": logic.XnorOp, "NOT": logic.NotOp, "INV": logic.NotOp,
    "BUF": logic.BufOp, "BUFF": logic.BufOp,
}
_SEQUENTIAL = {
    "DFFR": "flip-flops with a reset (DFFR) are not supported: write the reset as logic before a DFF",
    "DFFS": "flip-flops with a set (DFFS) are not supported: write the set as logic before a DFF",
    "LATCH": "level-sensitive latches (LATCH) are not supported: only DFF (rising-edge flip-flops)",
    "FF": "'FF' cells are not supported: write DFF (a rising-edge D flip-flop)",
}


@cache
def _parser() -> Lark:
    return Lark((Path(__file__).parent / "bench.lark").read_text(), parser="lalr", lexer="contextual")


def _check_size(nets: int, fan_in: int, limits: Limits, loc: FileLoc, text: str) -> None:
    """A located error at a statement that takes the nets past `max_total_bits` or whose gate
    reads more than `max_bus_width` inputs."""
    if nets > limits.max_total_bits:
        raise InputError(f"the netlist has more than {limits.max_total_bits} nets (--max-total-bits)",
                         loc, source=text)
    if fan_in > limits.max_bus_width:
        raise InputError(f"gate of fan-in {fan_in}: above the limit of {limits.max_bus_width} "
                         "(--max-bus-width)", loc, source=text)


def parse_bench(text: str, filename: str = "<string>", options: dict[str, Any] | None = None) -> Module:
    """Parse `.bench` text into a Module with one "hw" graph."""
    limits = Limits.of(options)
    tree = parse_text(_parser(), text, filename, ".bench")
    inputs: list[tuple[str, FileLoc]] = []
    outputs: list[tuple[str, FileLoc]] = []
    cells: list[FlatCell] = []
    for stmt in tree.children:
        first = stmt.children[0]
        loc = FileLoc(filename, first.line, first.column)
        if stmt.data == "input":
            inputs.append((str(first), loc))
        elif stmt.data == "output":
            outputs.append((str(first), loc))
        else:
            out, kind_tok, *ins = stmt.children
            kind = str(kind_tok).upper()
            args = tuple(str(i) for i in ins if i is not None)
            kind_loc = FileLoc(filename, kind_tok.line, kind_tok.column)
            _check_size(0, len(args), limits, kind_loc, text)
            if kind in _SEQUENTIAL:
                raise InputError(_SEQUENTIAL[kind], kind_loc, source=text, span=len(kind))
            if kind == "DFF":
                if len(args) != 1:
                    raise InputError(f"DFF takes one input, got {len(args)}", kind_loc, source=text)
                cells.append(FlatCell("latch", args, str(out), (False, None, False), loc))
                _check_size(len(inputs) + len(cells), 0, limits, loc, text)
                continue
            cls = _GATES.get(kind)
            if cls is None:
                raise InputError(f"unknown .bench gate '{kind_tok}'", kind_loc, source=text, span=len(kind))
            single = cls in (logic.NotOp, logic.BufOp)
            if (single and len(args) != 1) or (not single and len(args) < 1):
                raise InputError(f"{kind} takes {'one input' if single else 'one or more inputs'}, got {len(args)}", kind_loc, source=text)
            if not single and len(args) == 1:
                cells.append(FlatCell("gate", args, str(out), logic.BufOp if cls in (logic.AndOp, logic.OrOp, logic.XorOp) else logic.NotOp, loc))
            else:
                cells.append(FlatCell("gate", args, str(out), cls, loc))
        _check_size(len(inputs) + len(cells), 0, limits, loc, text)
    if not outputs:
        raise InputError("no OUTPUT(...) in the .bench file: nothing to compute", FileLoc(filename, 1, 1),
                         source=text)
    check_port_buses(inputs, limits.max_bus_width, text)
    check_port_buses(outputs, limits.max_bus_width, text)
    name = Path(filename).stem if filename != "<string>" else "top"
    clock = None
    if any(c.kind == "latch" for c in cells):
        clock = implicit_clock([n for n, _ in inputs] + [n for n, _ in outputs] + [c.out for c in cells])
    graph = build_graph(name, inputs, outputs, cells, source=text, clock=clock)
    module = Module({"source": filename, "format": "bench"})
    module.add_graph(graph, top=True)
    return module


def load_bench(path: str, options: dict[str, Any] | None = None) -> Module:
    """Read a `.bench` file (see `parse_bench`)."""
    return parse_bench(read_source(path), str(path), options)
