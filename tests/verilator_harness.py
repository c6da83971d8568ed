"""Comparing two Verilog designs on many random vectors with Verilator (a test helper).

Both designs are compiled into one model under a wrapper that feeds them the same inputs and
raises `diff` when any output differs; a C++ loop draws `n` vectors from a seeded splitmix64
generator and counts the vectors with a difference. Icarus manages a few hundred thousand gate
evaluations per second, too slow for 100,000 vectors on the large EPFL circuits; Verilator
compiles the netlists to C++ and runs them in seconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["HAVE_VERILATOR", "compare_designs"]

HAVE_VERILATOR = shutil.which("verilator") is not None


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def _rename_module(text: str, old: str, new: str) -> str:
    pattern = re.escape(old) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", old) else re.escape("\\" + old) + r"\s"
    renamed, count = re.subn(rf"\bmodule\s+{pattern}", f"module {new} ", text, count=1)
    if count != 1:
        raise ValueError(f"module {old} not found")
    return renamed


def _wrapper(inputs: Sequence[tuple[str, int]], outputs: Sequence[tuple[str, int]]) -> tuple[str, int]:
    n_in = sum(w for _, w in inputs)
    width = max(n_in, 65)  # always a VlWide in C++
    lines = [f"module axc_cmp(input [{width - 1}:0] vin, output diff);"]
    conns, lo = [], 0
    for name, w in inputs:
        conns.append(f".{_ident(name)}(vin[{lo + w - 1}:{lo}])")
        lo += w
    gold, gate, diffs = list(conns), list(conns), []
    for k, (name, w) in enumerate(outputs):
        lines.append(f"  wire [{w - 1}:0] g{k}, t{k};")
        gold.append(f".{_ident(name)}(g{k})")
        gate.append(f".{_ident(name)}(t{k})")
        diffs.append(f"(|(g{k} ^ t{k}))")
    lines.append(f"  axc_gold u_gold ({', '.join(gold)});")
    lines.append(f"  axc_gate u_gate ({', '.join(gate)});")
    lines.append(f"  assign diff = {' | '.join(diffs) or '1b0'};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n", (width + 31) // 32


_MAIN = """#include "Vaxc_cmp.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
static uint64_t state = SEED;
static uint32_t next32() {
  state += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}
int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  Vaxc_cmp* top = new Vaxc_cmp;
  long bad = 0, first = -1;
  for (long i = 0; i < NVEC; ++i) {
    for (int w = 0; w < WORDS; ++w) top->vin[w] = next32();
    top->eval();
    if (top->diff) { if (first < 0) first = i; ++bad; }
  }
  printf("vectors %ld mismatches %ld first %ld\\n", (long)NVEC, bad, first);
  delete top;
  return 0;
}
"""


def compare_designs(gold: tuple[str, str], gate: tuple[str, str], inputs: Sequence[tuple[str, int]],
                    outputs: Sequence[tuple[str, int]], n: int, seed: int = 1) -> tuple[int, int]:
    """(vectors run, vectors with a difference) for designs given as (Verilog text, top name)."""
    wrapper, words = _wrapper(inputs, outputs)
    with tempfile.TemporaryDirectory(prefix="axc-verilator-") as tmp:
        work = Path(tmp)
        (work / "gold.v").write_text(_rename_module(gold[0], gold[1], "axc_gold"))
        (work / "gate.v").write_text(_rename_module(gate[0], gate[1], "axc_gate"))
        (work / "cmp.v").write_text(wrapper)
        main = _MAIN.replace("SEED", f"{seed}ULL").replace("NVEC", str(n)).replace("WORDS", str(words))
        (work / "main.cpp").write_text(main)
        subprocess.run(
            ["verilator", "--cc", "--exe", "--build", "-Wno-fatal", "-Wno-lint", "-Wno-style",
             "--x-assign", "0", "--top-module", "axc_cmp", "-CFLAGS", "-O1", "-Mdir", "obj",
             "-o", "sim", "cmp.v", "gold.v", "gate.v", "main.cpp"],
            cwd=work, check=True, capture_output=True, text=True,
        )
        run = subprocess.run([str(work / "obj" / "sim")], cwd=work, check=True, capture_output=True, text=True)
    m = re.search(r"vectors (\d+) mismatches (\d+)", run.stdout)
    if m is None:
        raise RuntimeError(f"unexpected simulator output: {run.stdout!r}")
    return int(m.group(1)), int(m.group(2))
