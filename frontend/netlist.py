"""Building a bit-level "hw" graph from a flat list of named nets and the cells that drive them.

BLIF and `.bench` importers reduce a file to primary input names, primary output names and one
`FlatCell` per driven net (its fan-in nets and its function). `build_graph` checks the netlist
(one driver per net, every read net defined, no combinational cycle), creates the ops in
dependency order, and restores vector ports: bits named `a[0] a[1] ...` (all indices 0..N-1, no
clash with a scalar port) become one `iN` port `a`, reached through `hw.split` / built with
`hw.join`; each bit keeps its name as the value name.

A flip-flop is a `FlatCell` of kind "latch" (fan-in: its data net, then its clock net when
named, then an asynchronous reset net; payload: its init bit, the value the reset sets and
whether the reset is active low): it
becomes a one-bit register (`seq.reg` named after its output net, `seq.next` of its data) on the
clock `build_graph` is given, so loops through flip-flops are not combinational cycles. A clock
that is not a primary input is added as the last input port (the implicit clock of SIS BLIF and
`.bench`, named by `implicit_clock`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axc.ir import FileLoc, Graph, InputError, IntType, ParseError, Value, VerifyError, i1
from axc.ir.dialects import hw, logic, seq
from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from .logic_builder import FunctionBuilder

__all__ = [
    "IMPLICIT_CLOCK", "FlatCell", "PortBits", "build_graph", "check_port_buses", "group_ports", "implicit_clock",
    "parse_text", "read_source",
]

IMPLICIT_CLOCK = "clk"
"""The name of the clock port added to a netlist whose flip-flops have no clock of their own
(`.latch in out` in BLIF, `DFF` in `.bench`): `clk`, else `clk_1`, `clk_2`, ... whichever no net
of the file uses."""

_BIT_NAME = re.compile(r"^(.+)\[(\d+)\]$")


@dataclass(slots=True)
class FlatCell:
    """The driver of net `out`.

    `kind` is "cover" (payload `(cubes, on_set)`), "table" (payload: truth-table int),
    "gate" (payload: a logic op class applied to the fan-ins as they are), "buf", or "latch"
    (a rising-edge flip-flop: fan-in its data net, its clock net when named and an active-high
    asynchronous reset; payload `(init, reset value or None, reset active low)`).
    """

    kind: str
    ins: tuple[str, ...]
    out: str
    payload: Any
    loc: FileLoc


@dataclass(frozen=True)
class PortBits:
    """A port: its name and the net names of its bits (LSB first); one bit for a scalar."""

    name: str
    bits: tuple[str, ...]
    vector: bool


def read_source(path: str) -> str:
    """The text of a netlist file; a one-line InputError when it cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot read '{path}': no such file")
    return p.read_text(errors="replace")


def parse_text(parser: Lark, text: str, filename: str, kind: str) -> Tree:
    """Parse with a lark parser; a syntax error becomes one located ParseError ("malformed KIND")."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return parser.parse(text)
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        what = "end of file" if token is not None and token.type == "$END" else (
            _shown(str(token)) if token is not None else f"character {_shown(getattr(exc, 'char', '?'))}"
        )
        raise ParseError(f"malformed {kind}: unexpected {what}", FileLoc(filename, exc.line, exc.column),
                         source=text) from None


def _shown(text: str) -> str:
    """A token for a one-line message: "end of line" for a line break, else quoted with control
    characters escaped."""
    if "\n" in text and not text.strip():
        return "end of line"
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) + "'"


def group_ports(names: Sequence[str]) -> list[PortBits]:
    """Group `x[0] x[1] ...` bit names into vector ports, in order of first appearance."""
    scalars = set(names)
    groups: dict[str, dict[int, str]] = {}
    counts: dict[str, int] = {}
    for n in names:
        m = _BIT_NAME.match(n)
        if m:
            groups.setdefault(m.group(1), {})[int(m.group(2))] = n
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    vectors = {
        base: bits for base, bits in groups.items()
        if base not in scalars and counts[base] == len(bits) and max(bits) == len(bits) - 1
    }
    ports: list[PortBits] = []
    seen: set[str] = set()
    for n in names:
        m = _BIT_NAME.match(n)
        base = m.group(1) if m else None
        if base is not None and base in vectors:
            if base not in seen:
                seen.add(base)
                bits = vectors[base]
                ports.append(PortBits(base, tuple(bits[i] for i in range(len(bits))), True))
        else:
            ports.append(PortBits(n, (n,), False))
    return ports


def implicit_clock(nets: Sequence[str]) -> str:
    """A clock port name no net in `nets` uses, neither as a scalar nor as a vector (`clk[0]`)."""
    taken = set(nets) | {m.group(1) for n in nets if (m := _BIT_NAME.match(n))}
    name, k = IMPLICIT_CLOCK, 1
    while name in taken:
        name, k = f"{IMPLICIT_CLOCK}_{k}", k + 1
    return name


def check_port_buses(ports: Sequence[tuple[str, FileLoc]], max_width: int, source: str | None = None) -> None:
    """A located error (at the bus's first bit) when bit names `a[0] .. a[N-1]` form a port wider
    than `max_width` bits (`--max-bus-width`)."""
    if len(ports) <= max_width:
        return  # no bus can be wider than the names listed
    locs = dict(reversed(ports))
    for port in group_ports([n for n, _ in ports]):
        if len(port.bits) > max_width:
            raise InputError(f"port '{port.name}' is {len(port.bits)} bits wide: above the limit of "
                             f"{max_width} bits (--max-bus-width)", locs[port.bits[0]], source=source)


def build_graph(
    name: str,
    inputs: Sequence[tuple[str, FileLoc]],
    outputs: Sequence[tuple[str, FileLoc]],
    cells: Sequence[FlatCell],
    source: str | None = None,
    clock: str | None = None,
) -> Graph:
    """A "hw" graph for the netlist (see the module docstring); `InputError` on a broken one.
    Flip-flops ("latch" cells) are clocked by net `clock`, a primary input or, when no input has
    that name, a new last input port."""
    graph = Graph(name, "hw")
    values: dict[str, Value] = {}
    input_locs: dict[str, FileLoc] = {}
    for net, loc in inputs:
        if net in input_locs:
            raise InputError(f"input '{net}' is declared twice", loc, source=source)
        input_locs[net] = loc
    for port in group_ports([n for n, _ in inputs]):
        value = graph.add_input(port.name, IntType(len(port.bits)))
        if port.vector:
            split = graph.create(hw.SplitOp, [value], [i1] * len(port.bits), names=list(port.bits))
            values.update(zip(port.bits, split.results))
        else:
            values[port.name] = value

    latches = [i for i, c in enumerate(cells) if c.kind == "latch"]
    if latches and clock is None:
        raise ValueError("flip-flops need a clock net")
    if latches and clock not in values:
        values[clock] = graph.add_input(clock, i1)
    if latches and values[clock].owner is not None:
        raise InputError(f"the clock '{clock}' is a bit of a vector port: a clock must be a one-bit port",
                         cells[latches[0]].loc, source=source)
    registers: dict[int, seq.RegOp] = {}
    for index in latches:
        cell = cells[index]
        attrs = {"name": cell.out, "init": 1} if cell.payload[0] else {"name": cell.out}
        registers[index] = graph.create(seq.RegOp, [values[clock]], [i1], attrs, cell.loc, [cell.out])

    driver: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell.out in input_locs:
            raise InputError(f"net '{cell.out}' is a primary input and cannot be driven", cell.loc, source=source)
        first = driver.setdefault(cell.out, index)
        if first != index:
            raise InputError(
                f"net '{cell.out}' has more than one driver", cell.loc, source=source,
                notes=[f"{cells[first].loc}: first driver"],
            )

    builder = FunctionBuilder(graph)
    state = bytearray(len(cells))
    for index, reg in registers.items():
        values[cells[index].out] = reg.result
        state[index] = 2
    for start in range(len(cells)):
        if state[start]:
            continue
        stack = [start]
        while stack:
            c = stack[-1]
            if state[c] == 0:
                state[c] = 1
                for net in cells[c].ins:
                    if net in values:
                        continue
                    d = driver.get(net)
                    if d is None:
                        raise InputError(f"signal '{net}' is used but never driven", cells[c].loc, source=source)
                    if state[d] == 1:
                        raise InputError(f"combinational cycle through net '{net}'", cells[d].loc, source=source)
                    if state[d] == 0:
                        stack.append(d)
                continue
            stack.pop()
            if state[c] == 1:
                values[cells[c].out] = _build_cell(builder, cells[c], values)
                state[c] = 2

    for index, reg in registers.items():
        cell = cells[index]
        data = values.get(cell.ins[0])
        if data is None:
            raise InputError(f"signal '{cell.ins[0]}' is used but never driven", cell.loc, source=source)
        graph.create(seq.NextOp, [reg.result, data], [], {}, cell.loc)
        if len(cell.ins) > 2:
            reset = values.get(cell.ins[2])
            if reset is None:
                raise InputError(f"signal '{cell.ins[2]}' is used but never driven", cell.loc, source=source)
            if cell.payload[2]:
                reset = builder.invert(reset, cell.loc)
            reg.set_operands([values[clock], reset])
            reg.set_attr("arst_value", int(cell.payload[1]))
    if registers:
        try:
            seq.check_clocking(graph)
        except VerifyError as exc:
            raise InputError(exc.message, exc.loc, source=source) from None

    out_values: list[Value] = []
    out_names: list[str] = []
    output_nets = [n for n, _ in outputs]
    out_locs = dict((n, loc) for n, loc in reversed(list(outputs)))
    for port in group_ports(output_nets):
        for net in port.bits:
            if net not in values:
                raise InputError(f"output '{net}' is never driven", out_locs[net], source=source)
        if port.name in out_names:
            raise InputError(f"output '{port.name}' is declared twice", out_locs[port.bits[0]], source=source)
        if port.vector:
            bits = [values[b] for b in port.bits]
            out_values.append(graph.create(hw.JoinOp, bits, [IntType(len(bits))], names=[port.name]).result)
        else:
            out_values.append(values[port.bits[0]])
        out_names.append(port.name)
    graph.set_outputs(out_values, out_names)
    return graph


def _build_cell(builder: FunctionBuilder, cell: FlatCell, values: dict[str, Value]) -> Value:
    operands = [values[n] for n in cell.ins]
    if cell.kind == "cover":
        cubes, on_set = cell.payload
        return builder.build_cover(cubes, on_set, operands, cell.out, cell.loc)
    if cell.kind == "table":
        return builder.build(cell.payload, operands, cell.out, cell.loc)
    if cell.kind == "buf":
        return builder.gate(logic.BufOp, operands, cell.out, cell.loc)
    return builder.gate(cell.payload, operands, cell.out, cell.loc)
