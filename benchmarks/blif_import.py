"""BLIF import speed: our lark frontend (parse, cover analysis, IR graph) vs Yosys `read_blif`.

For each EPFL BLIF file: our CPU time for `load_blif` (parse with the lark grammar, covers to
gates, vector ports restored, graph built), and Yosys' CPU time for `read_blif -wideports` on the
same file (child-process CPU of a run minus that of an empty run, so start-up is not counted).
Lines per second and the ratio ours/Yosys are printed; CPU times, since the machine is shared.

    python benchmarks/blif_import.py [--files adder multiplier div ...]
"""

from __future__ import annotations

from pathlib import Path

from axc.frontend.blif import load_blif
from axc.ir import Module
from import_speed import CORPORA, import_table

FILES = {p.stem: p for p in sorted((CORPORA / "epfl" / "arithmetic").glob("*.blif"))}


def yosys_commands(path: Path, module: Module) -> tuple[str, str]:
    return "read_blif -wideports input.blif\n", "input.blif"


def main() -> None:
    import_table(__doc__.split("\n")[0], FILES, lambda path: load_blif(path, {}), yosys_commands)


if __name__ == "__main__":
    main()
