"""Comparing two clocked Verilog designs over random clock cycles with Icarus (a test helper).

Both designs are instantiated under one testbench that drives them with the same inputs: each
cycle it draws new values for every input but the clock (from `$random` with a fixed seed;
1-bit inputs named like resets or clears are asserted one cycle in `reset_rate`, active low
when the name ends in `_n`), compares every output one time unit later (so outputs that
depend on the inputs count too), then gives a rising and a falling clock edge. Outputs are
compared where the gold design's output is known (no x bit): the gate design must match it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["HAVE_IVERILOG", "compare_cycles"]

HAVE_IVERILOG = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
_RESET = re.compile(r"(rst|reset|clr|clear)", re.IGNORECASE)


def _rename(text: str, old: str, new: str) -> str:
    renamed, count = re.subn(rf"\bmodule\s+{re.escape(old)}\b", f"module {new}", text, count=1)
    if count != 1:
        raise ValueError(f"module {old} not found")
    return renamed


def _draw(name: str, width: int, reset_rate: int) -> str:
    if width == 1 and _RESET.search(name):
        active = f"(($random(seed) % {reset_rate}) == 0)"
        return f"!{active}" if name.endswith("_n") else active
    words = ["$random(seed)"] * ((width + 31) // 32)
    return "{" + ", ".join(words) + "}" if len(words) > 1 else words[0]


def compare_cycles(gold: tuple[str, str], gate: tuple[str, str], clock: str,
                   inputs: Sequence[tuple[str, int]], outputs: Sequence[tuple[str, int]],
                   cycles: int, seed: int = 1, reset_rate: int = 16) -> int:
    """The number of cycles on which some output differs (designs as (Verilog text, top name))."""
    lines = ["`timescale 1ns/1ns", "module axc_tb;", "  integer i, bad, seed;"]
    conns = []
    for name, w in inputs:
        lines.append(f"  reg [{w - 1}:0] in_{name};")
        conns.append(f".{name}(in_{name})")
    gold_conns, gate_conns, diffs = list(conns), list(conns), []
    for name, w in outputs:
        lines.append(f"  wire [{w - 1}:0] g_{name}, t_{name};")
        gold_conns.append(f".{name}(g_{name})")
        gate_conns.append(f".{name}(t_{name})")
        diffs.append(f"(^g_{name} !== 1'bx && g_{name} !== t_{name})")
    lines.append(f"  axc_gold u_gold ({', '.join(gold_conns)});")
    lines.append(f"  axc_gate u_gate ({', '.join(gate_conns)});")
    lines += ["  initial begin", f"    bad = 0; seed = {seed}; in_{clock} = 0;",
              f"    for (i = 0; i < {cycles}; i = i + 1) begin"]
    lines += [f"      in_{name} = {_draw(name, w, reset_rate)};" for name, w in inputs if name != clock]
    lines += [f"      #1 if ({' || '.join(diffs)}) bad = bad + 1;",
              f"      #4 in_{clock} = 1;", f"      #5 in_{clock} = 0;", "    end",
              '    $display("mismatches %0d", bad);', "    $finish;", "  end", "endmodule", ""]
    with tempfile.TemporaryDirectory(prefix="axc-cycles-") as tmp:
        work = Path(tmp)
        (work / "tb.v").write_text("\n".join(lines))
        (work / "gold.v").write_text(_rename(gold[0], gold[1], "axc_gold"))
        (work / "gate.v").write_text(_rename(gate[0], gate[1], "axc_gate"))
        subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "-s", "axc_tb", "tb.v", "gold.v", "gate.v"],
                       cwd=work, check=True, capture_output=True, text=True)
        run = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=work, check=True, capture_output=True, text=True)
    m = re.search(r"mismatches (\d+)", run.stdout)
    if m is None:
        raise RuntimeError(f"unexpected simulator output: {run.stdout!r}")
    return int(m.group(1))
