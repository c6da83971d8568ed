"""Verilog import speed: our lark frontend (parse + elaborate into IR) vs Yosys `read_verilog`.

For each file: our CPU time for `load_verilog` (parse and elaboration into a verified-ready IR
graph), and Yosys' CPU time for `read_verilog; hierarchy -top <top>` on the same file (the
child-process CPU time of a run minus that of an empty run, so start-up is not counted).
Lines per second and the ratio ours/Yosys are printed. The machine is shared: CPU times, not
wall clocks.

    python benchmarks/verilog_import.py [--files adder multiplier div ...]
"""

from __future__ import annotations

from pathlib import Path

from axc.frontend.verilog import load_verilog, read_verilog
from axc.ir import Module
from import_speed import CORPORA, import_table

FILES = {p.stem: p for p in sorted((CORPORA / "epfl" / "arithmetic").glob("*.v"))}
FILES["c6288"] = CORPORA / "iscas85" / "verilog_original" / "c6288.v"
FILES["mul8u_1JJQ"] = CORPORA / "evoapprox" / "v2022" / "8x8_unsigned" / "mul8u_1JJQ.v"


def yosys_commands(path: Path, module: Module) -> tuple[str, str]:
    return f"read_verilog input.v\nhierarchy -top {module.top}\n", "input.v"


def main() -> None:
    read_verilog("module warm_up; endmodule\n")  # our first call compiles the LALR tables
    import_table(__doc__.split("\n")[0], FILES, lambda path: load_verilog(path, {}), yosys_commands)


if __name__ == "__main__":
    main()
