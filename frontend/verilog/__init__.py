"""The Verilog frontend: a structural/dataflow Verilog-2001 subset read with lark.

`load_verilog(path, options)` parses the file (`parser`), then elaborates its top module
(`elaborate`: the module no other module instantiates, the last such one, or `options["top"]`)
into a Module with one flattened "hw" graph. Gate-level code becomes `logic` gates on port bits,
word-level operators become `word` ops (lower them with the `lower-word` pass). Constructs
outside the subset raise `ParseError`/`InputError` with the file position and a hint to use
`--frontend yosys` (`options["frontend"] == "yosys"` delegates to `axc.frontend.yosys_route`).

Options: `top` (module name), `group_ports` (regroup escaped `\\a[0]`.. scalar ports into vector
ports), `frontend` ("yosys"), and the size limits `max_bus_width`, `max_total_bits`, `max_depth`
(instance nesting; see `axc.frontend.limits`).
Semantics worth knowing: values are two-state, so `x`/`z` literal
bits read as 0 (in `casez`/`casex` labels they are wildcards as usual); a combinational
`always` block's sensitivity list is taken as `@*` (a block that misses a signal in it would
simulate differently in an event-driven simulator); procedural assignments to nets declared
`wire` are accepted; delays (`#5`) are ignored. `always @(posedge clk ...)` blocks become
`seq` registers (`clocked`); initial values of variables (`reg r = 3;`, `initial r = 3;`) are
their registers' init.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

from axc.frontend import limits
from axc.frontend.yosys_route import load_verilog_via_yosys
from axc.ir import FileLoc, InputError, Module

from .elaborate import elaborate
from .parser import parse_verilog

__all__ = ["load_verilog", "parse_verilog", "read_verilog"]


def load_verilog(path: str, options: dict[str, Any] | None = None) -> Module:
    """Read a Verilog file into a Module (see the package docstring)."""
    options = dict(options or {})
    if options.get("frontend") == "yosys":
        return load_verilog_via_yosys(path, options)
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    return read_verilog(text, str(path), options)


def read_verilog(text: str, file: str = "<string>", options: dict[str, Any] | None = None) -> Module:
    """Elaborate Verilog source text (the in-memory form of `load_verilog`)."""
    enabled = gc.isenabled()
    gc.disable()  # the parse and the netlist allocate millions of objects and free none
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # elaboration recurses along nested expressions
    try:
        with limits.using(limits.Limits.of(options)):
            modules = parse_verilog(text, file)
            return elaborate(modules, file, text, dict(options or {}))
    except RecursionError:
        raise InputError("expressions or instances nested too deeply to elaborate",
                         FileLoc(file, 1, 1)) from None
    finally:
        sys.setrecursionlimit(limit)
        if enabled:
            gc.enable()
