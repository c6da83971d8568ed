"""The shared table of the import benchmarks: our frontend's CPU time beside Yosys' reader.

`blif_import.py` and `verilog_import.py` differ only in the loader and the Yosys commands; the
measurement (CPU time, since the machine is shared; Yosys' start-up subtracted by
`yosys_cpu_seconds`) and the printed table are here.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from axc.ir import Module
from axc.runtime.yosys import run_yosys, yosys_cpu_seconds

__all__ = ["CORPORA", "import_table"]

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def import_table(description: str, files: dict[str, Path], load: Callable[[str], Module],
                 yosys_commands: Callable[[Path, Module], tuple[str, str]]) -> None:
    """Parse `--files`, then print lines, ops, our CPU s, lines/s, Yosys CPU s and the ratio.

    `yosys_commands(path, module)` gives the Yosys script reading the file and the name the
    file must have beside it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--files", nargs="*", default=list(files), choices=list(files))
    args = parser.parse_args()
    run_yosys("", {})  # the first run of the bundled Yosys compiles it
    print(f"{'file':<12} {'lines':>7} {'ops':>7} {'ours s':>8} {'lines/s':>9} {'yosys s':>8} "
          f"{'ours/yosys':>10}")
    for name in args.files:
        path = files[name]
        text = path.read_text()
        lines = text.count("\n")
        start = time.process_time()
        module = load(str(path))
        ours = time.process_time() - start
        script, file_name = yosys_commands(path, module)
        theirs = yosys_cpu_seconds(script, {file_name: text})
        ratio = f"{ours / theirs:.2f}" if theirs >= 0.01 else "-"  # below the clock's resolution
        print(f"{name:<12} {lines:>7} {len(module.top_graph):>7} {ours:>8.2f} {lines / ours:>9.0f} "
              f"{theirs:>8.2f} {ratio:>10}")
