"""Simulating a Verilog file with Icarus on given input vectors (a test helper).

The testbench reads one `$readmemh` file per input port, applies vector after vector and
prints every output port in hex; `simulate` returns the outputs as lists of Python ints.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from axc.ir import Graph

__all__ = ["HAVE_IVERILOG", "ports_of", "simulate"]

HAVE_IVERILOG = shutil.which("iverilog") is not None and shutil.which("vvp") is not None


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def ports_of(graph: Graph) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    ins = [(v.name, v.type.width) for v in graph.inputs]
    outs = [(n, v.type.width) for n, v in zip(graph.output_names, graph.outputs)]
    return ins, outs


def simulate(files: Sequence[str | Path], top: str, inputs: Sequence[tuple[str, int]],
             outputs: Sequence[tuple[str, int]], vectors: Mapping[str, Sequence[int]]) -> dict[str, list[int]]:
    """Outputs of `top` (from `files`) for the vectors, by port name (x/z raise ValueError)."""
    n = len(next(iter(vectors.values())))
    lines = ["`timescale 1ns/1ps", "module axc_tb;", "  integer i;"]
    for k, (_, w) in enumerate(inputs):
        lines.append(f"  reg [{w - 1}:0] mem{k} [0:{n - 1}];")
        lines.append(f"  reg [{w - 1}:0] in{k};")
    for k, (_, w) in enumerate(outputs):
        lines.append(f"  wire [{w - 1}:0] out{k};")
    conns = [f".{_ident(name)}(in{k})" for k, (name, _) in enumerate(inputs)]
    conns += [f".{_ident(name)}(out{k})" for k, (name, _) in enumerate(outputs)]
    lines.append(f"  {_ident(top)} dut ({', '.join(conns)});")
    lines.append("  initial begin")
    for k in range(len(inputs)):
        lines.append(f'    $readmemh("in{k}.hex", mem{k});')
    lines.append(f"    for (i = 0; i < {n}; i = i + 1) begin")
    lines.extend(f"      in{k} = mem{k}[i];" for k in range(len(inputs)))
    fmt = " ".join(["%h"] * len(outputs))
    args = ", ".join(f"out{k}" for k in range(len(outputs)))
    lines += ["      #100;", f'      $display("{fmt}", {args});', "    end", "    $finish;", "  end",
              "endmodule"]
    with tempfile.TemporaryDirectory(prefix="axc-iverilog-") as tmp:
        work = Path(tmp)
        (work / "tb.v").write_text("\n".join(lines) + "\n")
        for k, (name, w) in enumerate(inputs):
            values = np.asarray(vectors[name], dtype=object)
            (work / f"in{k}.hex").write_text("".join(f"{int(v) & ((1 << w) - 1):x}\n" for v in values))
        sources = [str(Path(f).resolve()) for f in files]
        subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "-s", "axc_tb", "tb.v", *sources],
                       cwd=work, check=True, capture_output=True, text=True)
        run = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=work, check=True, capture_output=True,
                             text=True)
    rows = [ln.split() for ln in run.stdout.splitlines() if ln and not ln.startswith(("VCD", "WARNING"))]
    rows = [r for r in rows if len(r) == len(outputs)][:n]
    result: dict[str, list[int]] = {name: [] for name, _ in outputs}
    for row in rows:
        for (name, _), text in zip(outputs, row):
            if any(ch in text for ch in "xXzZ"):
                raise ValueError(f"Icarus printed '{text}' for output {name}")
            result[name].append(int(text, 16))
    return result
