"""BLIF text of a `LogicView` for Yosys, and the cell netlist Yosys writes back after mapping.

`view_to_blif` writes one `.names` cover per gate (n-ary XOR/XNOR wider than 6 inputs and LUTs
wider than 10 are split into a chain/Shannon tree of smaller covers so no cover explodes). Port
bits are named `port[i]` (`port` for 1-bit ports). `read_mapped_blif` reads the `.gate`/
`.subckt` cell instances, `.names` buffers/constants (net aliases) of a mapped netlist.
(The public emitter `axc.backends.blif` writes Modules; the cost model works on views, which may
be built directly as arrays, so it serialises them itself.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from axc.ir import InputError
from axc.ir.views import GATE_CODES, LogicView

from .library import CellLibrary

__all__ = ["MappedNetlist", "bit_names", "blif_inputs", "read_mapped_blif", "view_to_blif"]

_NAME = {code: name.split(".")[1] for name, code in GATE_CODES.items()}


def bit_names(ports: list[tuple[str, int]]) -> list[str]:
    """BLIF net names of the bits of `ports` (LSB first)."""
    return [name if width == 1 else f"{name}[{i}]" for name, width in ports for i in range(width)]


def _minterms(table: np.ndarray, n: int) -> list[str]:
    return ["".join("1" if p >> i & 1 else "0" for i in range(n)) + " 1"
            for p in range(1 << n) if table[p]]


def _cover(kind: str, n: int) -> list[str]:
    if kind == "not":
        return ["0 1"]
    if kind == "buf":
        return ["1 1"]
    if kind == "and":
        return ["1" * n + " 1"]
    if kind == "nor":
        return ["0" * n + " 1"]
    if kind == "or":
        return ["-" * i + "1" + "-" * (n - i - 1) + " 1" for i in range(n)]
    if kind == "nand":
        return ["-" * i + "0" + "-" * (n - i - 1) + " 1" for i in range(n)]
    if kind == "mux":  # s t f
        return ["11- 1", "0-1 1"]
    if kind == "maj":
        return ["11- 1", "1-1 1", "-11 1"]
    if kind in ("xor", "xnor"):
        odd = kind == "xor"
        return [f"{p:0{n}b}"[::-1] + " 1" for p in range(1 << n) if (bin(p).count("1") % 2 == 1) == odd]
    raise AssertionError(kind)


def view_to_blif(view: LogicView, model: str = "top") -> str:
    """A BLIF model of the circuit (combinational `.names` covers only)."""
    ins = bit_names(view.input_ports)
    outs = bit_names(view.output_ports)
    net = ["$c0", "$c1", *ins] + [f"$g{g}" for g in range(view.n_gates)]
    lines = [f".model {model}", ".inputs " + " ".join(ins), ".outputs " + " ".join(outs),
             ".names $c0", ".names $c1", "1"]
    extra = 0

    def fresh() -> str:
        nonlocal extra
        extra += 1
        return f"$t{extra}"

    def names(fanin: list[str], out: str, rows: list[str]) -> None:
        lines.append(".names " + " ".join([*fanin, out]))
        lines.extend(rows)

    def lut(fanin: list[str], table: np.ndarray, out: str) -> None:
        if len(fanin) <= 10:
            names(fanin, out, _minterms(table, len(fanin)))
            return
        half = table.size // 2  # split on the last input: out = x ? hi : lo
        lo, hi = fresh(), fresh()
        lut(fanin[:-1], table[:half], lo)
        lut(fanin[:-1], table[half:], hi)
        names([fanin[-1], hi, lo], out, _cover("mux", 3))

    for g in range(view.n_gates):
        kind = _NAME[int(view.codes[g])]
        fanin = [net[s] for s in view.fanin[view.fanin_ptr[g]:view.fanin_ptr[g + 1]]]
        out = net[view.first_gate_signal + g]
        if kind == "lut":
            lut(fanin, view.lut_bits[view.lut_ptr[g]:view.lut_ptr[g + 1]], out)
        elif kind in ("xor", "xnor") and len(fanin) > 6:
            acc = fanin[0]
            for i, x in enumerate(fanin[1:]):
                last = i == len(fanin) - 2
                nxt = out if last else fresh()
                names([acc, x], nxt, _cover(kind if last else "xor", 2))
                acc = nxt
        elif kind == "const":
            names([], out, [])
        else:
            names(fanin, out, _cover(kind, len(fanin)))
    for name, sig in zip(outs, view.outputs):
        names([net[int(sig)]], name, ["1 1"])
    lines.append(".end")
    return "\n".join(lines) + "\n"


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
    names: list[str] = []
    collecting = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not collecting:
            if line.startswith(".inputs"):
                collecting = True
                line = line[len(".inputs"):]
            elif line.startswith((".names", ".gate", ".subckt", ".end")):
                break
            else:
                continue
        more = line.endswith("\\")
        names.extend(line.rstrip("\\").split())
        if not more:
            collecting = False
    return names


def read_mapped_blif(text: str, library: CellLibrary) -> MappedNetlist:
    """Cell instances of the (single) model Yosys wrote after technology mapping."""
    statements: list[list[str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.strip():
            statements.append(line.split())
    inputs: list[str] = []
    outputs: list[str] = []
    alias: dict[str, str] = {}
    constants: dict[str, int] = {}
    cells: list[tuple[str, list[str], str]] = []
    i = 0
    while i < len(statements):
        words = statements[i]
        i += 1
        head = words[0]
        if head == ".inputs":
            inputs.extend(words[1:])
        elif head == ".outputs":
            outputs.extend(words[1:])
        elif head == ".names":
            rows = []
            while i < len(statements) and not statements[i][0].startswith("."):
                rows.append(statements[i])
                i += 1
            if len(words) == 2:
                constants[words[1]] = 1 if rows == [["1"]] else 0
            elif len(words) == 3 and rows == [["1", "1"]]:
                alias[words[2]] = words[1]
            else:
                raise InputError(f"mapped netlist has a logic cover on '{words[-1]}' (expected cells)")
        elif head in (".gate", ".subckt"):
            cell = library.cells.get(words[1])
            if cell is None:
                raise InputError(f"mapped netlist uses cell '{words[1]}' that is not in {library.path}")
            pins = dict(w.split("=", 1) for w in words[2:])
            cells.append((cell.name, [pins[p] for p in cell.inputs], pins[cell.output]))
        elif head == ".latch":
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
