"""Cell libraries for the cost model: genlib (ABC's format) and a Liberty subset.

A `CellLibrary` holds, per combinational cell, its area (µm²), output pin, input pins with their
load (fF) and timing (block delay ns, fan-out delay ns/fF), the function as a truth table, and
leakage (nW) and internal energy per output transition (fJ) for the power estimate.

genlib files carry no power data: for the shipped NanGate-45 X1 library `POWER_NANGATE45` gives
representative typical-corner (1.1 V, 25 °C) leakage and internal energy figures of the NanGate
FreePDK45 Open Cell Library X1 cells, rounded; other genlib cells get none (and a note).
Liberty files give `area`, pin `capacitance`, `function`, `cell_leakage_power` (in the file's
leakage unit, converted to nW) and the delay of the slowest `cell_rise`/`cell_fall` table read
at its smallest input transition as a line in the output load (zero-load delay + slope; tables
whose load axis cannot be found give their smallest entry and no slope).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from axc.ir import FileLoc, InputError, ParseError

__all__ = ["POWER_NANGATE45", "Cell", "CellLibrary", "default_genlib", "load_library"]

POWER_NANGATE45: dict[str, tuple[float, float]] = {
    # cell: (leakage nW, internal energy fJ per output transition)
    "INV_X1": (14.4, 0.35), "BUF_X1": (21.4, 0.85), "NAND2_X1": (17.4, 0.50),
    "NOR2_X1": (21.9, 0.60), "AND2_X1": (25.1, 0.95), "OR2_X1": (22.7, 1.05),
    "AOI21_X1": (27.9, 0.80), "OAI21_X1": (22.9, 0.80), "AOI22_X1": (32.9, 1.00),
    "OAI22_X1": (31.0, 1.00), "XOR2_X1": (36.4, 1.60), "XNOR2_X1": (36.2, 1.60),
    "MUX2_X1": (61.8, 1.70),
}


@dataclass(frozen=True)
class Cell:
    """One combinational cell."""

    name: str
    area: float
    output: str
    inputs: tuple[str, ...]
    table: tuple[int, ...]
    """Output for each input pattern (input i = bit i of the pattern index)."""
    load: tuple[float, ...]
    """Input capacitance per input pin (fF)."""
    block_delay: tuple[float, ...]
    """Per input pin, ns."""
    fanout_delay: tuple[float, ...]
    """Per input pin, ns per fF of load on the output."""
    leakage_nw: float = 0.0
    internal_fj: float = 0.0


@dataclass(frozen=True)
class CellLibrary:
    """The cells of one library file, and how to hand the file to Yosys/ABC."""

    path: str
    kind: str
    """'genlib' or 'liberty'."""
    text: str = field(repr=False)
    cells: dict[str, Cell] = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        return hashlib.blake2b(self.text.encode(), digest_size=10).hexdigest()


# --- Boolean expressions (genlib: ! ' * & + | ^, juxtaposition; Liberty the same family) ---

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][\w\[\].]*)|(.))")


def _truth_table(expr: str, pins: list[str], where: FileLoc) -> tuple[int, ...]:
    """Evaluate `expr` on every pattern of `pins` (pins not yet listed are appended)."""
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(expr) if m.group(0).strip()]
    for name, _ in tokens:
        if name and name not in ("CONST0", "CONST1") and name not in pins:
            pins.append(name)
    n = len(pins)
    full = (1 << (1 << n)) - 1
    var = {}
    for i, p in enumerate(pins):
        mask = 0
        for pattern in range(1 << n):
            if pattern >> i & 1:
                mask |= 1 << pattern
        var[p] = mask
    pos = 0

    def peek() -> tuple[str | None, str | None]:
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take() -> tuple[str | None, str | None]:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> int:
        name, sym = take() if pos < len(tokens) else (None, None)
        if name == "CONST0" or sym == "0":
            value = 0
        elif name == "CONST1" or sym == "1":
            value = full
        elif name:
            value = var[name]
        elif sym == "(":
            value = disjunction()
            if take()[1] != ")":
                raise ParseError(f"missing ')' in '{expr}'", where)
        elif sym == "!":
            value = full ^ atom()
        else:
            raise ParseError(f"cannot read the function '{expr}'", where)
        while peek()[1] == "'":
            take()
            value ^= full
        return value

    def conjunction() -> int:
        value = atom()
        while True:
            name, sym = peek()
            if sym in ("*", "&"):
                take()
                value &= atom()
            elif name or sym in ("(", "!"):
                value &= atom()
            else:
                return value

    def xor_term() -> int:
        value = conjunction()
        while peek()[1] == "^":
            take()
            value ^= conjunction()
        return value

    def disjunction() -> int:
        value = xor_term()
        while peek()[1] in ("+", "|"):
            take()
            value |= xor_term()
        return value

    value = disjunction()
    if pos != len(tokens):
        raise ParseError(f"cannot read the function '{expr}'", where)
    return tuple((value >> p) & 1 for p in range(1 << n))


def _parse_genlib(text: str, path: str) -> CellLibrary:
    cells: dict[str, Cell] = {}
    power_known = True
    # statements: GATE name area out=expr; PIN ...  (PINs follow their GATE)
    body = re.sub(r"#[^\n]*", "", text)
    for m in re.finditer(r"\bGATE\s+(\S+)\s+([\d.eE+-]+)\s+(\w+)\s*=\s*([^;]*);(.*?)(?=\bGATE\b|\bLATCH\b|\Z)",
                         body, re.S):
        name, area, out, expr, pin_text = m.groups()
        line = body.count("\n", 0, m.start()) + 1
        where = FileLoc(path, line, 1)
        pins: list[str] = []
        table = _truth_table(expr, pins, where)
        timing: dict[str, tuple[float, float, float]] = {}
        for pm in re.finditer(r"\bPIN\s+(\S+)\s+\w+\s+([\d.eE+-]+)\s+[\d.eE+-]+\s+([\d.eE+-]+)\s+"
                              r"([\d.eE+-]+)\s+([\d.eE+-]+)\s+([\d.eE+-]+)", pin_text):
            pin, load, rb, rf, fb, ff = pm.groups()
            timing[pin] = (float(load), max(float(rb), float(fb)), max(float(rf), float(ff)))
        default = timing.get("*", (1.0, 1.0, 0.0))
        per_pin = [timing.get(p, default) for p in pins]
        leak, internal = POWER_NANGATE45.get(name, (0.0, 0.0))
        if name not in POWER_NANGATE45 and pins:
            power_known = False
        cells[name] = Cell(name, float(area), out, tuple(pins), table,
                           tuple(t[0] for t in per_pin), tuple(t[1] for t in per_pin),
                           tuple(t[2] for t in per_pin), leak, internal)
    if not cells:
        raise ParseError("no GATE in the genlib file", FileLoc(path, 1, 1))
    notes = () if power_known else ("genlib has no power data: leakage and internal energy "
                                    "are 0 for cells outside the shipped NanGate-45 table",)
    return CellLibrary(path, "genlib", text, cells, notes)


def _groups(text: str, kind: str) -> list[tuple[str, str, int]]:
    """(name, body, offset) of each `kind (name) { ... }` group, braces matched."""
    found = []
    for m in re.finditer(rf"\b{kind}\s*\(\s*\"?([^\")]*)\"?\s*\)\s*\{{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found.append((m.group(1).strip(), text[m.end():i - 1], m.start()))
    return found


def _attr(body: str, key: str) -> str | None:
    m = re.search(rf"\b{key}\s*:\s*\"?([^;\"]*)\"?\s*;", body)
    return m.group(1).strip() if m else None


_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"


def _numbers(body: str, key: str) -> list[list[float]]:
    """The rows of `key ("a, b", "c, d")` as numbers (empty when absent)."""
    m = re.search(rf"\b{key}\s*\(([^)]*)\)", body)
    if not m:
        return []
    return [[float(x) for x in re.findall(_NUMBER, row)] for row in re.findall(r'"([^"]*)"', m.group(1))
            or [m.group(1)]]


def _arc_delay(template: str, body: str, templates: dict[str, str]) -> tuple[float, float]:
    """(delay at zero load, ns per fF) of one NLDM table, at its smallest input transition."""
    values = _numbers(body, "values")
    if not values or not values[0]:
        return 0.0, 0.0
    layout = templates.get(template, "")
    load_axis = 1 if "total_output_net_capacitance" in (_attr(layout, "variable_2") or "") else (
        0 if "total_output_net_capacitance" in (_attr(layout, "variable_1") or "") else -1)
    index_key = f"index_{load_axis + 1}"
    loads = (_numbers(body, index_key) or _numbers(layout, index_key) or [[]])[0]
    line = values[0] if load_axis == 1 else [row[0] for row in values]
    if load_axis < 0 or len(loads) < 2 or len(line) != len(loads):
        return min(min(row) for row in values), 0.0
    slope = (line[-1] - line[0]) / (loads[-1] - loads[0])
    return max(0.0, line[0] - slope * loads[0]), max(0.0, slope)


def _parse_liberty(text: str, path: str) -> CellLibrary:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S).replace("\\\n", " ")
    unit = (_attr(text, "leakage_power_unit") or "1nW").strip()
    scale = {"1pW": 1e-3, "10pW": 1e-2, "100pW": 0.1, "1nW": 1.0, "10nW": 10.0, "100nW": 100.0,
             "1uW": 1e3, "10uW": 1e4, "100uW": 1e5, "1mW": 1e6}.get(unit, 1.0)
    templates = {name: body for name, body, _ in _groups(text, "lu_table_template")}
    cells: dict[str, Cell] = {}
    for name, body, offset in _groups(text, "cell"):
        where = FileLoc(path, text.count("\n", 0, offset) + 1, 1)
        if re.search(r"\b(ff|latch|statetable)\s*\(", body):
            continue
        pins = _groups(body, "pin")
        outs = [(p, b) for p, b, _ in pins if _attr(b, "direction") == "output" and _attr(b, "function")]
        ins = {p: b for p, b, _ in pins if _attr(b, "direction") == "input"}
        if len(outs) != 1:
            continue
        out, out_body = outs[0]
        order = list(ins)
        table = _truth_table(_attr(out_body, "function") or "", order, where)
        arcs = [_arc_delay(g[0], g[1], templates) for tbl in ("cell_rise", "cell_fall")
                for g in _groups(out_body, tbl)]
        block = max((b for b, _ in arcs), default=0.0)
        slope = max((f for _, f in arcs), default=0.0)
        loads = tuple(float(_attr(ins[p], "capacitance") or 0.0) for p in order if p in ins)
        if len(loads) != len(order):
            raise ParseError(f"cell {name}: function uses a pin that is not an input", where)
        leak = float(_attr(body, "cell_leakage_power") or 0.0) * scale
        cells[name] = Cell(name, float(_attr(body, "area") or 0.0), out, tuple(order), table,
                           loads, (block,) * len(order), (slope,) * len(order), leak, 0.0)
    if not cells:
        raise ParseError("no combinational cell with a function in the Liberty file", FileLoc(path, 1, 1))
    cap_unit = _attr(text, "capacitive_load_unit")
    notes = ("Liberty delays are linear in the load at the smallest input transition; internal "
             "energy is not modelled", f"capacitive_load_unit {cap_unit or '?'} taken as fF")
    return CellLibrary(path, "liberty", text, cells, notes)


@cache
def _load(path: str, mtime: float) -> CellLibrary:
    text = Path(path).read_text(errors="replace")
    if path.endswith((".lib", ".liberty")) or re.search(r"^\s*library\s*\(", text, re.M):
        return _parse_liberty(text, path)
    return _parse_genlib(text, path)


def load_library(path: str | Path) -> CellLibrary:
    """Read a genlib or Liberty file (cached per path and modification time)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot read cell library '{path}': no such file")
    return _load(str(p.resolve()), p.stat().st_mtime)


def default_genlib() -> Path:
    """The NanGate-45 X1 genlib shipped with the project."""
    return Path(__file__).with_name("nangate45.genlib")
