"""The Yosys route (`--frontend yosys`): full behavioural Verilog through Yosys, imported as BLIF.

Yosys reads the file, flattens the hierarchy from the top module (`options["top"]`, else the
one Yosys finds), synthesises it to simple gates, ties undriven bits to 0 and writes BLIF,
which `axc.frontend.blif` imports (vector ports come back as `iN` ports). What the built-in
frontend refuses (division, functions, memories read combinationally, SystemVerilog, ...)
loads this way.

Clocked designs: `dfflegalize` maps every flip-flop Yosys infers (`$dff`, `$dffe`, `$sdff`,
`$sdffe`, `$adff`, ...) onto `$_DFF_P_` (written as `.latch D Q re C INIT`, enables and
synchronous resets turned into logic in front of it) or `$_DFF_P[PN][01]_` (written as a
`.subckt`), which keeps an asynchronous reset as a reset of the register. The BLIF reader
refuses what is left with a precise message, located at the user's line where Yosys names it:
falling-edge clocks (`fe`, `$_DFF_N..._`), level-sensitive latches (`ah`/`al`) and several clocks.

Yosys sees only copies: the files the input reads (`` `include ``, `$readmemh`/`$readmemb`)
are checked and copied by `yosys_confine.confined_sources` (inside the input's folder, or under
a folder of `options["allow_read"]`, i.e. `--allow-read DIR`); anything else is a located error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from axc.ir import FileLoc, InputError, Module
from axc.runtime.yosys import run_yosys

from .blif import parse_blif
from .yosys_confine import confined_sources

__all__ = ["load_verilog_via_yosys", "yosys_script"]

_ERROR_AT = re.compile(r"(?:^|\s)(?:\S*?)input\.s?v:(\d+):\s*(?:ERROR:\s*)?(.*)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def yosys_script(source: str, top: str | None) -> str:
    """The Yosys commands that turn `source` (a file beside the script) into `out.blif`."""
    sv = "-sv " if source.endswith(".sv") else ""
    select_top = f"-top {top}" if top else "-auto-top"
    return "\n".join([
        f"read_verilog {sv}-DSYNTHESIS {source}",
        f"hierarchy -check {select_top}",
        "proc",
        f"synth -flatten {select_top}",
        "setundef -undriven -zero",
        "dfflegalize -cell $_DFF_?_ 01 -cell $_DFF_???_ 0 -cell $_DLATCH_?_ 01",
        "opt_clean -purge",
        "write_blif -attr out.blif",
        "",
    ])


def load_verilog_via_yosys(path: str, options: dict[str, Any] | None = None) -> Module:
    """Read any Verilog Yosys reads: synthesise it to gates and import the BLIF it writes."""
    options = dict(options or {})
    file = Path(path)
    try:
        text = file.read_text(errors="replace")
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    top = options.get("top")
    if top is not None and not _NAME.match(str(top)):
        raise InputError(f"top module name '{top}' is not a plain identifier")
    source = "input.sv" if file.suffix.lower() == ".sv" else "input.v"
    files = confined_sources(path, text, source, options.get("allow_read") or ())
    try:
        result = run_yosys(yosys_script(source, top), files, outputs=("out.blif",))
    except InputError as err:
        raise _located(err, str(path), text) from None
    blif = result.outputs["out.blif"]
    cells = sorted(c for c in set(re.findall(r"^\.subckt\s+(\S+)", blif, re.MULTILINE))
                   if not c.startswith(("$_DFF", "$_DLATCH")))
    if cells:
        raise InputError(f"Yosys left cells that are not logic: {', '.join(cells[:4])}",
                         FileLoc(str(path), 1, 1), source=text)
    blif_options = {k: v for k, v in options.items() if k not in ("frontend", "top", "genlib", "allow_read")}
    try:
        module = parse_blif(blif, f"{path} (via Yosys)", blif_options)
    except InputError as err:
        line = _user_line(blif, err.loc.line if err.loc is not None else 0, source, text)
        raise InputError(_in_verilog_terms(err.message), FileLoc(str(path), line, 1), source=text) from None
    module.attributes["source"] = str(path)
    module.attributes["frontend"] = "yosys"
    return module


def _user_line(blif: str, line: int, source: str, verilog: str) -> int:
    """The line of the user's file for the BLIF statement at `line`: the one Yosys names
    (`.attr src "input.v:L.C-..."`), else for a flip-flop the first `posedge`/`negedge` of its
    clock; 1 when neither is found."""
    lines = blif.splitlines()
    for text in lines[line:line + 8]:
        if text.startswith(".attr src"):
            match = re.search(rf'"{re.escape(source)}:(\d+)', text)
            return int(match.group(1)) if match else 1
        if text.startswith(".") and not text.startswith((".attr", ".param")):
            break
    words = lines[line - 1].split() if 0 < line <= len(lines) else []
    if len(words) >= 5 and words[0] == ".latch" and words[3] in ("re", "fe"):
        edge = "posedge" if words[3] == "re" else "negedge"
        match = re.search(rf"\b{edge}\s+{re.escape(words[4])}\b", verilog)
        if match:
            return verilog.count("\n", 0, match.start()) + 1
    return 1


_VERILOG_TERMS = {
    "falling-edge flip-flops ('fe')": "falling-edge clocks (negedge) are not supported: axc-opt registers load "
                                      "on the rising clock edge (posedge)",
    "level-sensitive latches": "level-sensitive latches (a combinational always block that leaves a variable "
                               "unassigned on some path) are not supported: only rising-edge flip-flops",
}


def _in_verilog_terms(message: str) -> str:
    """A BLIF reader's message about flip-flops, worded for the Verilog the user wrote."""
    for start, said in _VERILOG_TERMS.items():
        if message.startswith(start):
            return said
    return message.replace("latch '", "register '")


def _located(err: InputError, path: str, text: str) -> InputError:
    """Yosys' error, pointing at the line of the user's file it names."""
    message = err.message.removeprefix("Yosys failed: ")
    match = _ERROR_AT.search(message)
    if match:
        line = int(match.group(1))
        detail = match.group(2).strip() or message
        return InputError(f"Yosys: {detail}", FileLoc(path, line, 1), source=text)
    return InputError(f"Yosys: {message.removeprefix('ERROR: ')}", FileLoc(path, 1, 1), source=text)
