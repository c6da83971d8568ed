"""BLIF text of a `LogicView` for Yosys, and the cell netlist Yosys writes back after mapping.

`view_to_blif` writes one `.names` cover per gate (n-ary XOR/XNOR wider than 6 inputs and LUTs
wider than 10 are split into a chain/Shannon tree of smaller covers so no cover explodes;
AND/OR/NAND/NOR gates wider than `MAX_NAMES_INPUTS`, which Yosys' BLIF reader refuses, become a
tree of narrower gates of the same kind). Port
bits are named `port[i]` (`port` for 1-bit ports). `read_mapped_blif` reads the `.gate`/
`.subckt` cell instances, `.names` buffers/constants (net aliases) of a mapped netlist.
(The public emitter `axc.backends.blif` writes Modules; the cost model works on views, which may
be built directly as arrays, so it serialises them itself.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from axc.ir import InputError
from axc.ir.dialects.logic import GATE_OP_BY_NAME
from axc.ir.views import GATE_CODES, LogicView

from ..blif_module import MAX_NAMES_INPUTS
from ..blif_text import BlifWriter, minterm_rows, read_blif_models
from .library import CellLibrary

__all__ = ["MappedNetlist", "bit_names", "blif_inputs", "read_mapped_blif", "view_to_blif"]

_NAME = {code: name for name, code in GATE_CODES.items()}


def bit_names(ports: list[tuple[str, int]]) -> list[str]:
    """BLIF net names of the bits of `ports` (LSB first)."""
    return [name if width == 1 else f"{name}[{i}]" for name, width in ports for i in range(width)]


def view_to_blif(view: LogicView, model: str = "top") -> str:
    """A BLIF model of the circuit (combinational `.names` covers only)."""
    ins = bit_names(view.input_ports)
    outs = bit_names(view.output_ports)
    net = ["$c0", "$c1", *ins] + [f"$g{g}" for g in range(view.n_gates)]
    blif = BlifWriter(width=None)
    blif.model(model, ins, outs)
    blif.names(["$c0"], [])
    blif.names(["$c1"], [""])
    extra = 0

    def fresh() -> str:
        nonlocal extra
        extra += 1
        return f"$t{extra}"

    def lut(fanin: list[str], table: np.ndarray, out: str) -> None:
        if len(fanin) <= 10:
            blif.names([*fanin, out], *minterm_rows(table, len(fanin), off_set_when_shorter=False))
            return
        half = table.size // 2  # split on the last input: out = x ? hi : lo
        lo, hi = fresh(), fresh()
        lut(fanin[:-1], table[:half], lo)
        lut(fanin[:-1], table[half:], hi)
        blif.gate("logic.mux", [fanin[-1], hi, lo], out)

    for g in range(view.n_gates):
        name = _NAME[int(view.codes[g])]
        fanin = [net[s] for s in view.fanin[view.fanin_ptr[g]:view.fanin_ptr[g + 1]]]
        out = net[view.first_gate_signal + g]
        gate = GATE_OP_BY_NAME[name]
        if gate.core == "lut":
            lut(fanin, view.lut_bits[view.lut_ptr[g]:view.lut_ptr[g + 1]], out)
        elif gate.core == "xor" and len(fanin) > 6:
            acc = fanin[0]
            for i, x in enumerate(fanin[1:]):
                last = i == len(fanin) - 2
                nxt = out if last else fresh()
                blif.gate(name if last else "logic.xor", [acc, x], nxt)
                acc = nxt
        elif gate.core in ("and", "or") and len(fanin) > MAX_NAMES_INPUTS:
            while len(fanin) > MAX_NAMES_INPUTS:
                groups = [fanin[k:k + MAX_NAMES_INPUTS] for k in range(0, len(fanin), MAX_NAMES_INPUTS)]
                fanin = [group[0] if len(group) == 1 else fresh() for group in groups]
                for group, part in zip(groups, fanin):
                    if len(group) > 1:
                        blif.gate(f"logic.{gate.core}", group, part)
            blif.gate(name, fanin, out)
        elif gate.core == "const":
            blif.names([out], [])
        else:
            blif.gate(name, fanin, out)
    for name, sig in zip(outs, view.outputs):
        blif.names([net[int(sig)], name], ["1"])
    blif.end()
    return blif.text()


@dataclass
class MappedNetlist:
    """Cells of a mapped netlist; nets are numbered 0 = const 0, 1 = const 1, then inputs."""

    inputs: list[str]
    outputs: list[str]
    n_nets: int
    cell_type: list[str]
    cell_inputs: list[list[int]]
    cell_output: list[int]
    output_nets: list[int]
    input_index: list[int] = field(default_factory=list)
    """Per mapped input, its position among the input bits of the design that was mapped."""


def blif_inputs(text: str) -> list[str]:
    """The `.inputs` net names of the first model of a BLIF text, in order."""
    models = read_blif_models(text)
    return [w for s in models[0].statements if s.keyword == ".inputs" for w in s.words] if models else []


def read_mapped_blif(text: str, library: CellLibrary) -> MappedNetlist:
    """Cell instances of the (single) model Yosys wrote after technology mapping."""
    inputs: list[str] = []
    outputs: list[str] = []
    alias: dict[str, str] = {}
    constants: dict[str, int] = {}
    cells: list[tuple[str, list[str], str]] = []
    models = read_blif_models(text, "mapped.blif")
    for stmt in models[0].statements if models else []:
        words = stmt.words
        if stmt.keyword == ".inputs":
            inputs.extend(words)
        elif stmt.keyword == ".outputs":
            outputs.extend(words)
        elif stmt.keyword == ".names":
            rows = [row for row, _ in stmt.rows]
            if len(words) == 1:
                constants[words[0]] = 1 if rows == [["1"]] else 0
            elif len(words) == 2 and rows == [["1", "1"]]:
                alias[words[1]] = words[0]
            else:
                raise InputError(f"mapped netlist has a logic cover on '{words[-1]}' (expected cells)")
        elif stmt.keyword in (".gate", ".subckt"):
            cell = library.cells.get(words[0])
            if cell is None:
                raise InputError(f"mapped netlist uses cell '{words[0]}' that is not in {library.path}")
            pins = dict(w.split("=", 1) for w in words[1:])
            cells.append((cell.name, [pins[p] for p in cell.inputs], pins[cell.output]))
        elif stmt.keyword == ".latch":
            raise InputError("mapped netlist contains a latch")
    net_id: dict[str, int] = {}
    for n, v in constants.items():
        net_id[n] = v
    for k, name in enumerate(inputs):
        net_id[name] = 2 + k
    for k, (_, _, out) in enumerate(cells):
        net_id[out] = 2 + len(inputs) + k

    def resolve(name: str) -> int:
        seen = 0
        while name not in net_id and name in alias and seen < 100_000:
            name = alias[name]
            seen += 1
        if name not in net_id:
            if name in ("$undef", "$false"):
                return 0
            raise InputError(f"mapped netlist: net '{name}' has no driver")
        return net_id[name]

    return MappedNetlist(
        inputs=inputs, outputs=outputs, n_nets=2 + len(inputs) + len(cells),
        cell_type=[c for c, _, _ in cells],
        cell_inputs=[[resolve(x) for x in ins] for _, ins, _ in cells],
        cell_output=[net_id[out] for _, _, out in cells],
        output_nets=[resolve(o) for o in outputs],
    )
