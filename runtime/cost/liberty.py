"""Liberty cell libraries (the subset the cost model needs).

Liberty files give `area`, pin `capacitance`, `function`, `cell_leakage_power` (in the file's
leakage unit, converted to nW) and the delay of the slowest `cell_rise`/`cell_fall` table read
at its smallest input transition as a line in the output load (zero-load delay + slope; tables
whose load axis cannot be found give their smallest entry and no slope). Functions are read by
the genlib expression grammar (`genlib.function_table`). Cells with `ff`, `latch` or
`statetable` groups are sequential and kept by name only.
"""

from __future__ import annotations

import re

from axc.ir import FileLoc, ParseError

from .cells import Cell, CellLibrary
from .genlib import function_table

__all__ = ["parse_liberty"]


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


def parse_liberty(text: str, path: str) -> CellLibrary:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S).replace("\\\n", " ")
    unit = (_attr(text, "leakage_power_unit") or "1nW").strip()
    scale = {"1pW": 1e-3, "10pW": 1e-2, "100pW": 0.1, "1nW": 1.0, "10nW": 10.0, "100nW": 100.0,
             "1uW": 1e3, "10uW": 1e4, "100uW": 1e5, "1mW": 1e6}.get(unit, 1.0)
    templates = {name: body for name, body, _ in _groups(text, "lu_table_template")}
    cells: dict[str, Cell] = {}
    latches: set[str] = set()
    for name, body, offset in _groups(text, "cell"):
        where = FileLoc(path, text.count("\n", 0, offset) + 1, 1)
        if re.search(r"\b(ff|latch|statetable)\s*\(", body):
            latches.add(name)
            continue
        pins = _groups(body, "pin")
        outs = [(p, b) for p, b, _ in pins if _attr(b, "direction") == "output" and _attr(b, "function")]
        ins = {p: b for p, b, _ in pins if _attr(b, "direction") == "input"}
        if len(outs) != 1:
            continue
        out, out_body = outs[0]
        order = list(ins)
        function = _attr(out_body, "function") or ""
        table = function_table(function, order, where)
        arcs = [_arc_delay(g[0], g[1], templates) for tbl in ("cell_rise", "cell_fall")
                for g in _groups(out_body, tbl)]
        block = max((b for b, _ in arcs), default=0.0)
        slope = max((f for _, f in arcs), default=0.0)
        loads = tuple(float(_attr(ins[p], "capacitance") or 0.0) for p in order if p in ins)
        if len(loads) != len(order):
            raise ParseError(f"cell {name}: function uses a pin that is not an input", where)
        leak = float(_attr(body, "cell_leakage_power") or 0.0) * scale
        cells[name] = Cell(name, float(_attr(body, "area") or 0.0), out, tuple(order), table,
                           loads, (block,) * len(order), (slope,) * len(order), leak, 0.0,
                           function, where)
    if not cells:
        raise ParseError("no combinational cell with a function in the Liberty file", FileLoc(path, 1, 1))
    cap_unit = _attr(text, "capacitive_load_unit")
    notes = ("Liberty delays are linear in the load at the smallest input transition; internal "
             "energy is not modelled", f"capacitive_load_unit {cap_unit or '?'} taken as fF")
    return CellLibrary(path, "liberty", text, cells, notes, frozenset(latches))
