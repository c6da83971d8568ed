"""Verilog import speed: our lark frontend (parse + elaborate into IR) vs Yosys `read_verilog`.

For each file: our CPU time for `load_verilog` (parse and elaboration into a verified-ready IR
graph), and Yosys' CPU time for `read_verilog; hierarchy -top <top>` on the same file (the
child-process CPU time of a run minus that of an empty run, so start-up is not counted).
Lines per second and the ratio ours/Yosys are printed. The machine is shared: CPU times, not
wall clocks.

    python benchmarks/verilog_import.py [--files adder multiplier div ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from axc.frontend.verilog import load_verilog, read_verilog
from axc.runtime.yosys import run_yosys, yosys_cpu_seconds

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
FILES = {p.stem: p for p in sorted((CORPORA / "epfl" / "arithmetic").glob("*.v"))}
FILES["c6288"] = CORPORA / "iscas85" / "verilog_original" / "c6288.v"
FILES["mul8u_1JJQ"] = CORPORA / "evoapprox" / "v2022" / "8x8_unsigned" / "mul8u_1JJQ.v"


def yosys_cpu(path: Path, top: str) -> float:
    return yosys_cpu_seconds(f"read_verilog input.v\nhierarchy -top {top}\n", {"input.v": path.read_text()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", nargs="*", default=list(FILES), choices=list(FILES))
    args = parser.parse_args()
    run_yosys("", {})  # the first run of the bundled Yosys compiles it
    read_verilog("module warm_up; endmodule\n")  # our first call compiles the LALR tables
    print(f"{'file':<12} {'lines':>7} {'ops':>7} {'ours s':>8} {'lines/s':>9} {'yosys s':>8} "
          f"{'ours/yosys':>10}")
    for name in args.files:
        path = FILES[name]
        lines = path.read_text().count("\n")
        start = time.process_time()
        module = load_verilog(str(path), {})
        ours = time.process_time() - start
        theirs = yosys_cpu(path, module.top)
        ratio = f"{ours / theirs:.2f}" if theirs >= 0.01 else "-"  # below the clock's resolution
        print(f"{name:<12} {lines:>7} {len(module.top_graph):>7} {ours:>8.2f} {lines / ours:>9.0f} "
              f"{theirs:>8.2f} {ratio:>10}")


if __name__ == "__main__":
    main()
