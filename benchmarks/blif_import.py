"""BLIF import speed: our lark frontend (parse, cover analysis, IR graph) vs Yosys `read_blif`.

For each EPFL BLIF file: our CPU time for `load_blif` (parse with the lark grammar, covers to
gates, vector ports restored, graph built), and Yosys' CPU time for `read_blif -wideports` on the
same file (child-process CPU of a run minus that of an empty run, so start-up is not counted).
Lines per second and the ratio ours/Yosys are printed; CPU times, since the machine is shared.

    python benchmarks/blif_import.py [--files adder multiplier div ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from axc.frontend.blif import load_blif
from axc.runtime.yosys import run_yosys, yosys_cpu_seconds

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
FILES = {p.stem: p for p in sorted((CORPORA / "epfl" / "arithmetic").glob("*.blif"))}


def yosys_cpu(path: Path) -> float:
    return yosys_cpu_seconds("read_blif -wideports input.blif\n", {"input.blif": path.read_text()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", nargs="*", default=list(FILES), choices=list(FILES))
    args = parser.parse_args()
    run_yosys("", {})  # the first run of the bundled Yosys compiles it
    print(f"{'file':<12} {'lines':>7} {'ops':>7} {'ours s':>8} {'lines/s':>9} {'yosys s':>8} "
          f"{'ours/yosys':>10}")
    for name in args.files:
        path = FILES[name]
        lines = path.read_text().count("\n")
        start = time.process_time()
        module = load_blif(str(path), {})
        ours = time.process_time() - start
        theirs = yosys_cpu(path)
        ratio = ours / theirs if theirs > 0 else float("inf")
        print(f"{name:<12} {lines:>7} {len(module.top_graph):>7} {ours:>8.2f} {lines / ours:>9.0f} "
              f"{theirs:>8.2f} {ratio:>10.2f}")


if __name__ == "__main__":
    main()
