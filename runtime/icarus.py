"""Independent check of an emitted circuit: simulate Verilog with Icarus, recompute errors.

`run_icarus` compiles a Verilog text with `iverilog`, drives the top module's input ports with
given integer vectors (through `$readmemh`) and reads every output port back; `port_errors`
recomputes the error metrics with plain numpy integers from two such runs. Nothing here shares
code with the simulator or metrics used inside the passes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from axc.ir import InputError

__all__ = ["port_errors", "run_icarus"]


def run_icarus(verilog: str, top: str, inputs: Sequence[tuple[str, int]], outputs: Sequence[tuple[str, int]],
               vectors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Output port values (uint64 arrays; ports ≤ 64 bits) of `top` for each input vector."""
    if shutil.which("iverilog") is None:
        raise InputError("Icarus Verilog (iverilog) is not installed")
    n = len(next(iter(vectors.values()))) if vectors else 1
    in_width = sum(w for _, w in inputs)
    with tempfile.TemporaryDirectory(prefix="axc-icarus-") as tmp:
        d = Path(tmp)
        packed = np.zeros(n, dtype=object)
        lo = 0
        for name, w in inputs:
            packed = packed + (np.asarray(vectors[name], dtype=object) << lo)
            lo += w
        digits = max(1, (in_width + 3) // 4)
        (d / "vec.hex").write_text("\n".join(f"{int(v):0{digits}x}" for v in packed) + "\n")
        decl = [f"  reg [{max(in_width, 1) - 1}:0] mem [0:{n - 1}];", "  integer i, fd;"]
        conns = []
        lo = 0
        for name, w in inputs:
            decl.append(f"  wire [{w - 1}:0] in_{name} = mem[i][{lo + w - 1}:{lo}];")
            conns.append(f".{name}(in_{name})")
            lo += w
        for name, w in outputs:
            decl.append(f"  wire [{w - 1}:0] out_{name};")
            conns.append(f".{name}(out_{name})")
        fmt = " ".join("%h" for _ in outputs)
        args = ", ".join(f"out_{name}" for name, _ in outputs)
        tb = "\n".join([
            "`timescale 1ns/1ps", "module axc_tb;", *decl, f"  {top} dut ({', '.join(conns)});",
            "  initial begin",
            '    $readmemh("vec.hex", mem);', '    fd = $fopen("out.txt", "w");',
            f"    for (i = 0; i < {n}; i = i + 1) begin #1; $fdisplay(fd, \"{fmt}\", {args}); end",
            "    $fclose(fd);", "    $finish;", "  end", "endmodule", ""])
        (d / "dut.v").write_text(verilog)
        (d / "tb.v").write_text(tb)
        proc = subprocess.run(["iverilog", "-g2005", "-o", "sim", "tb.v", "dut.v"], cwd=d,
                              capture_output=True, text=True)
        if proc.returncode:
            raise InputError("iverilog failed: " + proc.stderr.strip().splitlines()[0])
        proc = subprocess.run(["vvp", "-n", "sim"], cwd=d, capture_output=True, text=True)
        if proc.returncode:
            raise InputError("vvp failed: " + proc.stderr.strip()[-300:])
        rows = [ln.split() for ln in (d / "out.txt").read_text().splitlines() if ln.strip()]
    if len(rows) != n:
        raise InputError(f"Icarus produced {len(rows)} output lines for {n} vectors")
    if any("x" in tok.lower() or "z" in tok.lower() for r in rows for tok in r):
        raise InputError("Icarus produced unknown (x/z) output bits")
    return {name: np.array([int(r[j], 16) for r in rows], dtype=np.uint64) for j, (name, _) in enumerate(outputs)}


def port_errors(exact: Mapping[str, np.ndarray], approx: Mapping[str, np.ndarray],
                outputs: Sequence[tuple[str, int]]) -> dict[str, float]:
    """er, hd, mae, wce, mse, mre over all output bits read as one unsigned number (first port
    least significant), numeric ones normalised by 2^bits as in `axc.runtime.metrics`."""
    total = sum(w for _, w in outputs)
    e = np.zeros(len(next(iter(exact.values()))), dtype=object)
    a = np.zeros_like(e)
    lo = 0
    for name, w in outputs:
        e = e + (exact[name].astype(object) << lo)
        a = a + (approx[name].astype(object) << lo)
        lo += w
    diff = np.array([abs(int(x) - int(y)) for x, y in zip(e, a)], dtype=float)
    flips = sum(bin(int(x) ^ int(y)).count("1") for x, y in zip(e, a))
    n = len(e)
    scale = float(2 ** total)
    return {
        "er": float((diff > 0).mean()), "hd": flips / (n * total), "mae": float(diff.mean()) / scale,
        "wce": float(diff.max()) / scale, "mse": float((diff ** 2).mean()) / scale ** 2,
        "mre": float(np.mean([d / max(1, int(x)) for d, x in zip(diff, e)])),
    }
