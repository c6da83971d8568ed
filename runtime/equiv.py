"""Formal equivalence of two designs with Yosys: a miter proven by SAT.

`prove_equivalent(gold, gate)` writes both modules as Verilog (our emitter) and proves them
equal; `prove_files_equivalent` does the same for design files read by Yosys' own frontends
(`read_verilog`, `read_blif -wideports`), which is how round trips are checked independently of
our frontends. Ports are matched by name. A failed proof comes back with the counterexample
Yosys found (input and output port values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from axc.ir import InputError, Module

from .verilog_text import emit_verilog, port_identifier
from .yosys import YosysTimeout, run_yosys

__all__ = ["Design", "EquivResult", "prove_equivalent", "prove_error_within", "prove_files_equivalent"]


@dataclass
class EquivResult:
    """The verdict, how it was reached and, when not equivalent, a counterexample."""

    equivalent: bool
    method: str
    inputs: dict[str, int] = field(default_factory=dict)
    """Counterexample input port values."""
    outputs: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Counterexample output port values: (reference, current)."""
    timed_out: bool = False

    def describe(self) -> str:
        if self.equivalent:
            return "equivalent"
        if self.timed_out:
            return "the proof did not finish in time"
        ins = ", ".join(f"{k}={v}" for k, v in self.inputs.items())
        outs = ", ".join(f"{k}: {a} vs {b}" for k, (a, b) in self.outputs.items() if a != b)
        return f"counterexample {ins or '(no inputs)'} gives {outs or 'different outputs'}"


@dataclass(frozen=True)
class Design:
    """A design file for Yosys: its name, text, reader command and top module."""

    filename: str
    text: str
    reader: str
    top: str


_READERS = {"v": "read_verilog", "blif": "read_blif -wideports"}


def design_from_file(path: str, top: str) -> Design:
    """A `Design` for a Verilog or BLIF file, read by Yosys' own frontend."""
    from pathlib import Path

    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in _READERS:
        raise InputError(f"Yosys equivalence reads .v or .blif files, not '{path}'")
    return Design(f"in.{suffix}", Path(path).read_text(errors="replace"), _READERS[suffix], top)


def _load(design: Design, role: str) -> tuple[str, str]:
    name = f"{role}_{design.filename}"
    top = _escape(design.top)
    if role == "gold":  # flatten and keep only the renamed top, so the gate's modules cannot clash
        return (
            f"{design.reader} {name}\nhierarchy -top {top}\nproc\nflatten\nrename {top} gold\n"
            "hierarchy -top gold\n"
        ), name
    return f"{design.reader} {name}\nproc\nrename {top} {role}\n", name


def _escape(name: str) -> str:
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_$]*$", name) else "\\" + name


_ROW = re.compile(r"^\s*\d*\s+\\(\S+)\s+\S+\s+\S+\s+([01xz]+)\s*$")


def prove_files_equivalent(gold: Design, gate: Design, timeout: float = 600) -> EquivResult:
    """Prove two Yosys-readable designs equivalent (ports matched by name)."""
    gold_script, gold_name = _load(gold, "gold")
    gate_script, gate_name = _load(gate, "gate")
    script = (
        f"{gold_script}{gate_script}"
        "miter -equiv -flatten -make_assert -make_outputs gold gate miter\n"
        "hierarchy -top miter\nopt -fast\n"
        f"tee -o sat.txt sat -prove-asserts -show-ports -timeout {int(max(1, timeout))} miter\n"
    )
    result = run_yosys(
        script, {gold_name: gold.text, gate_name: gate.text}, outputs=("sat.txt",),
        timeout=timeout + 120,
    )
    log = result.outputs["sat.txt"]
    if "SUCCESS!" in log and "no model found" in log:
        return EquivResult(True, "Yosys SAT miter")
    if "TIMEOUT" in log.upper() and "model found: FAIL" not in log:
        return EquivResult(False, "Yosys SAT miter", timed_out=True)
    values: dict[str, int] = {}
    for line in log.splitlines():
        m = _ROW.match(line)
        if m and set(m.group(2)) <= {"0", "1"}:
            values[m.group(1)] = int(m.group(2), 2)
    inputs = {k[3:]: v for k, v in values.items() if k.startswith("in_")}
    outputs = {
        k[5:]: (v, values.get("gate_" + k[5:], -1)) for k, v in values.items() if k.startswith("gold_")
    }
    return EquivResult(False, "Yosys SAT miter", inputs, outputs)


def prove_equivalent(gold: Module, gate: Module, timeout: float = 600) -> EquivResult:
    """Prove two IR modules equivalent by writing both as Verilog for Yosys."""
    gold_text = emit_verilog(gold, {"top_name": "gold_top", "module_prefix": "gold_"})
    gate_text = emit_verilog(gate, {"top_name": "gate_top", "module_prefix": "gate_"})
    return prove_files_equivalent(
        Design("gold.v", gold_text, "read_verilog", "gold_top"),
        Design("gate.v", gate_text, "read_verilog", "gate_top"),
        timeout,
    )


def _check_module(gold: Module, limit: int) -> str:
    """A top `wce_check` with an output `bad` that is 1 when |gate − gold| > `limit` (all output
    ports read as one unsigned number, the first port least significant)."""
    graph = gold.top_graph
    ins = [(port_identifier(v.name), v.type.width) for v in graph.inputs]
    outs = [(port_identifier(n), v.type.width) for n, v in zip(graph.output_names, graph.outputs)]
    total = sum(w for _, w in outs)
    lines = [f"module wce_check({', '.join(n for n, _ in ins)}, bad);"]
    lines += [f"  input [{w - 1}:0] {n};" for n, w in ins]
    lines.append("  output bad;")
    for role in ("e", "a"):
        lines += [f"  wire [{w - 1}:0] {role}_{i};" for i, (_, w) in enumerate(outs)]
    for role, top in (("e", "gold_top"), ("a", "gate_top")):
        pins = [f".{n}({n})" for n, _ in ins] + [f".{n}({role}_{i})" for i, (n, _) in enumerate(outs)]
        lines.append(f"  {top} {role}_inst({', '.join(pins)});")
    for role in ("e", "a"):
        parts = ", ".join(f"{role}_{i}" for i in reversed(range(len(outs))))
        lines.append(f"  wire [{total - 1}:0] {role}_all = {{{parts}}};")
    lines.append(f"  wire [{total}:0] diff = a_all > e_all ? a_all - e_all : e_all - a_all;")
    lines.append(f"  assign bad = diff > {total + 1}'d{limit};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def prove_error_within(gold: Module, gate: Module, limit: int, timeout: float = 120) -> bool | None:
    """Whether |gate − gold| ≤ `limit` for every input (outputs read as one unsigned number):
    True when Yosys' SAT proves it, False when it finds an input that exceeds it, None when the
    proof does not finish within `timeout` seconds."""
    files = {"gold.v": emit_verilog(gold, {"top_name": "gold_top", "module_prefix": "gold_"}),
             "gate.v": emit_verilog(gate, {"top_name": "gate_top", "module_prefix": "gate_"}),
             "check.v": _check_module(gold, limit)}
    script = ("read_verilog gold.v gate.v check.v\nhierarchy -top wce_check\nproc\nflatten\nopt -fast\n"
              f"tee -o sat.txt sat -prove bad 0 -timeout {int(max(1, timeout))} wce_check\n")
    try:
        log = run_yosys(script, files, outputs=("sat.txt",), timeout=timeout + 10).outputs["sat.txt"]
    except YosysTimeout:
        return None
    if "SUCCESS!" in log:
        return True
    if "model found: FAIL" in log or "FAIL!" in log:
        return False
    return None
