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

from .verilog_text import emit_verilog
from .yosys import run_yosys

__all__ = ["Design", "EquivResult", "prove_equivalent", "prove_files_equivalent"]


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
