"""The BLIF frontend: `.model .inputs .outputs .names .gate .subckt .barbuf` into a "hw" graph.

The project's BLIF reader (`axc.runtime.blif_text`) gives the statements; this module checks
each one and elaborates the top model. Covers may list the ON-set (`01 1`) or the OFF-set (`00 0`) with `-`
don't-cares; a `.names` without rows is constant 0. `.gate` cells take their functions from a
cell library (`options["genlib"]`, genlib or Liberty). `.subckt` instances of models in the same
file are flattened (internal nets are named `<model>_<k>.<net>`). The top model is `options["top"]`, else the first
model that no other model instantiates. Vector ports are restored from `name[i]` bit names (see
`frontend.netlist`).

Flip-flops: `.latch input output [type control] [init]` becomes a one-bit register named after
its output. Type `re` (rising edge) takes `control` as the clock, which must be a primary input;
without a type and control (or with control `NIL`) the latch runs on the implicit global clock of
SIS, for which a clock input port `clk` is added (`clk_1`, `clk_2`, ... when a net already has
that name). `init` 0 or 1 is the value before the first edge; 2 (don't care), 3 (unknown) and no
init read as 0. Yosys' flip-flop cells as `write_blif` writes them are read too: `.subckt
$_DFF_P_ C= D= Q=` and, with an asynchronous reset `R` to 0 or 1 (active high `$_DFF_PP0_`
`$_DFF_PP1_`, active low `$_DFF_PN0_` `$_DFF_PN1_`), a register with that reset. Refused with the
latch's location: falling-edge (`fe`, `$_DFF_N..._`) flip-flops, level-sensitive latches (`ah`,
`al`, `$_DLATCH_..._`), asynchronous latches (`as`), `.mlatch`, other Yosys flip-flop cells, and
latches on two different clocks (one clock per design).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from axc.ir import FileLoc, InputError, Module, ParseError
from axc.runtime.blif_text import BlifModel, BlifStatement, read_blif_models
from axc.runtime.cost import CellLibrary, load_library

from .limits import Limits
from .logic_builder import MAX_LUT_INPUTS
from .netlist import FlatCell, build_graph, check_port_buses, implicit_clock, read_source

__all__ = ["load_blif", "parse_blif"]

_IGNORED_DIRECTIVES = frozenset({
    ".area", ".delay", ".wire_load_slope", ".wire", ".input_arrival", ".default_input_arrival",
    ".output_required", ".default_output_required", ".input_drive", ".default_input_drive",
    ".output_load", ".default_output_load", ".max_input_load", ".default_max_input_load",
    ".attr", ".param", ".cname", ".search", ".blackbox", ".spec",
})


_INITS = ("0", "1", "2", "3")
_YOSYS_FLOP = re.compile(r"\$_DFF_P_|\$_DFF_P([PN])([01])_")
"""Yosys' rising-edge flip-flop cells the reader takes: plain, or with an asynchronous reset
(polarity, value)."""
_LATCH_TYPES = {
    "fe": "falling-edge flip-flops ('fe') are not supported: axc-opt registers load on the rising "
          "clock edge ('re')",
    "ah": "level-sensitive latches ('ah', transparent while the control is 1) are not supported: only "
          "rising-edge flip-flops ('re')",
    "al": "level-sensitive latches ('al', transparent while the control is 0) are not supported: only "
          "rising-edge flip-flops ('re')",
    "as": "asynchronous latches ('as') are not supported: only rising-edge flip-flops ('re')",
}
"""The latch types refused, with their messages."""


@dataclass
class _Model:
    name: str
    loc: FileLoc
    inputs: list[tuple[str, FileLoc]] = field(default_factory=list)
    outputs: list[tuple[str, FileLoc]] = field(default_factory=list)
    cells: list[FlatCell] = field(default_factory=list)
    instances: list[tuple[str, list[tuple[str, str]], FileLoc]] = field(default_factory=list)


class _Reader:
    """Turns the statements of one file into `_Model`s, checking each statement."""

    def __init__(self, text: str, filename: str, genlib: CellLibrary | None) -> None:
        self.text = text
        self.filename = filename
        self.genlib = genlib

    def loc(self, stmt: BlifStatement, word: str | None = None) -> FileLoc:
        line, col = (stmt.line, stmt.col) if word is None else stmt.locate(word)
        return FileLoc(self.filename, line, col)

    def error(self, message: str, stmt: BlifStatement, word: str | None = None,
              cls: type = InputError) -> Exception:
        return cls(message, self.loc(stmt, word), source=self.text, span=len(word or stmt.keyword))

    def model(self, blif: BlifModel) -> _Model:
        model = _Model(blif.name, FileLoc(self.filename, blif.line, blif.col))
        for stmt in blif.statements:
            keyword = stmt.keyword
            if keyword in (".inputs", ".outputs"):
                ports = model.inputs if keyword == ".inputs" else model.outputs
                ports.extend((w, FileLoc(self.filename, line, col))
                             for w, (line, col) in zip(stmt.words, stmt.word_locations()))
            elif keyword == ".names":
                self.names(model, stmt)
            elif keyword == ".gate":
                self.gate(model, stmt)
            elif keyword == ".subckt":
                if not stmt.words:
                    raise self.error("'.subckt' needs a model name", stmt, cls=ParseError)
                callee = stmt.words[0]
                if callee.startswith(("$_DFF", "$_DLATCH", "$_SDFF", "$_ALDFF", "$_SR_")):
                    model.cells.append(self.yosys_flop(stmt, callee))
                    continue
                model.instances.append((callee, self.pins(stmt, stmt.words[1:]), self.loc(stmt, callee)))
            elif keyword in (".barbuf", ".conn"):
                if len(stmt.words) != 2:
                    raise self.error(f"'{keyword}' takes an input and an output net", stmt)
                model.cells.append(FlatCell("buf", (stmt.words[0],), stmt.words[1], None, self.loc(stmt)))
            elif keyword == ".latch":
                model.cells.append(self.latch(stmt))
            elif keyword == ".mlatch":
                raise self.error("'.mlatch' (master-slave latches of a cell library) is not supported: write "
                                 "'.latch input output re clock init'", stmt)
            elif keyword not in _IGNORED_DIRECTIVES:
                raise self.error(f"unsupported BLIF construct '{keyword}'", stmt)
        return model

    def latch(self, stmt: BlifStatement) -> FlatCell:
        """A "latch" cell: fan-in the data net (and the clock net when named), payload the init bit."""
        words = stmt.words
        if not 2 <= len(words) <= 5:
            raise self.error("'.latch' takes an input, an output, then optionally a type and a control, "
                             "then optionally an init value", stmt)
        data, out, rest = words[0], words[1], words[2:]
        init = rest.pop() if len(rest) in (1, 3) else "0"
        if init not in _INITS:
            raise self.error(f"latch init value '{init}' must be 0, 1, 2 (don't care) or 3 (unknown)",
                             stmt, init)
        ins = (data,)
        if rest:
            kind, control = rest
            refused = _LATCH_TYPES.get(kind)
            if refused is not None:
                raise self.error(refused, stmt, kind)
            if kind != "re":
                raise self.error(f"unknown latch type '{kind}' (re, fe, ah, al or as)", stmt, kind)
            if control != "NIL":
                ins = (data, control)
        return FlatCell("latch", ins, out, (init == "1", None, False), self.loc(stmt))

    def yosys_flop(self, stmt: BlifStatement, cell: str) -> FlatCell:
        """A "latch" cell for Yosys' `$_DFF_P_` / `$_DFF_P[PN][01]_` (clock C, data D, output Q,
        asynchronous reset R); other Yosys flip-flop and latch cells are refused."""
        match = _YOSYS_FLOP.fullmatch(cell)
        if match is None:
            if cell.startswith("$_DLATCH") or cell.startswith("$_SR_"):
                raise self.error(f"'{cell}' is a level-sensitive latch: only rising-edge flip-flops are supported",
                                 stmt, cell)
            if re.match(r"\$_(DFF|DFFE|SDFF|SDFFE|SDFFCE|DFFSR|DFFSRE|ALDFF|ALDFFE)_N", cell):
                raise self.error(f"'{cell}' is a falling-edge flip-flop: axc-opt registers load on the rising "
                                 "clock edge", stmt, cell)
            raise self.error(f"Yosys cell '{cell}' is not supported: map flip-flops with 'dfflegalize -cell "
                             "$_DFF_P_ 01 -cell $_DFF_P??_ 0'", stmt, cell)
        pins = dict(self.pins(stmt, stmt.words[1:]))
        needed = ("C", "D", "Q", "R") if match.group(1) else ("C", "D", "Q")
        for pin in pins:
            if pin not in needed:
                raise self.error(f"'{cell}' has no pin '{pin}'", stmt, f"{pin}=")
        missing = [p for p in needed if p not in pins]
        if missing:
            raise self.error(f"pin '{missing[0]}' of '{cell}' is not connected", stmt, cell)
        if not match.group(1):
            return FlatCell("latch", (pins["D"], pins["C"]), pins["Q"], (False, None, False), self.loc(stmt))
        return FlatCell("latch", (pins["D"], pins["C"], pins["R"]), pins["Q"],
                        (False, int(match.group(2)), match.group(1) == "N"), self.loc(stmt))

    def names(self, model: _Model, stmt: BlifStatement) -> None:
        if not stmt.words:
            raise self.error("'.names' needs at least an output net", stmt)
        nets = stmt.words
        n = len(nets) - 1
        cubes: list[str] = []
        out_value: str | None = None
        for row, line in stmt.rows:
            where = FileLoc(self.filename, line, 1)
            if n == 0:
                if len(row) != 1:
                    raise ParseError("a constant '.names' row is a single 0 or 1", where, source=self.text)
                cube, value = "", row[0]
            else:
                if len(row) != 2 or len(row[0]) != n:
                    raise ParseError(
                        f"cover row must have {n} input column{'s' if n != 1 else ''} and an output",
                        where, source=self.text,
                    )
                cube, value = row
            if out_value is None:
                out_value = value
            elif value != out_value:
                raise InputError("cover mixes ON-set (output 1) and OFF-set (output 0) rows", where,
                                 source=self.text)
            cubes.append(cube)
        on_set = out_value != "0"
        model.cells.append(FlatCell("cover", tuple(nets[:-1]), nets[-1], (tuple(cubes), on_set), self.loc(stmt)))

    def gate(self, model: _Model, stmt: BlifStatement) -> None:
        if not stmt.words:
            raise self.error("'.gate' needs a cell name", stmt, cls=ParseError)
        cell_name, pins = stmt.words[0], self.pins(stmt, stmt.words[1:])
        if self.genlib is None:
            raise self.error("'.gate' needs a cell library: give one with --genlib FILE", stmt)
        if cell_name in self.genlib.latches:
            raise self.error(
                f"'{cell_name}' is a latch: sequential elements are not supported", stmt, cell_name
            )
        cell = self.genlib.cells.get(cell_name)
        if cell is None:
            raise self.error(f"unknown gate '{cell_name}' (not in {self.genlib.path})", stmt, cell_name)
        if len(cell.inputs) > MAX_LUT_INPUTS:
            raise self.error(f"gate '{cell_name}' has {len(cell.inputs)} inputs (at most {MAX_LUT_INPUTS})",
                             stmt, cell_name)
        bound = dict(pins)
        for formal, _ in pins:
            if formal != cell.output and formal not in cell.inputs:
                raise self.error(f"gate '{cell_name}' has no pin '{formal}'", stmt, f"{formal}=")
        missing = [p for p in (*cell.inputs, cell.output) if p not in bound]
        if missing:
            raise self.error(f"pin '{missing[0]}' of gate '{cell_name}' is not connected", stmt, cell_name)
        ins = tuple(bound[p] for p in cell.inputs)
        model.cells.append(FlatCell("table", ins, bound[cell.output], cell.mask, self.loc(stmt)))

    def pins(self, stmt: BlifStatement, words: list[str]) -> list[tuple[str, str]]:
        pins = []
        for w in words:
            formal, eq, actual = w.partition("=")
            if not eq or not formal or not actual:
                raise self.error(f"expected formal=actual, got '{w}'", stmt, w, ParseError)
            pins.append((formal, actual))
        return pins


def _flatten(
    models: dict[str, _Model], top: _Model, source: str
) -> list[FlatCell]:
    cells: list[FlatCell] = []
    counters: dict[str, int] = {}

    def emit(model: _Model, rename: dict[str, str] | None, prefix: str, path: tuple[str, ...]) -> None:
        def net(n: str) -> str:
            if rename is None:
                return n
            return rename.get(n) or prefix + n

        for c in model.cells:
            cells.append(FlatCell(c.kind, tuple(net(i) for i in c.ins), net(c.out), c.payload, c.loc))
        for callee, pins, loc in model.instances:
            sub = models.get(callee)
            if sub is None:
                raise InputError(f"'.subckt' of unknown model '{callee}'", loc, source=source)
            if callee in path:
                raise InputError(f"model '{callee}' instantiates itself", loc, source=source)
            ports = {n for n, _ in sub.inputs} | {n for n, _ in sub.outputs}
            inner: dict[str, str] = {}
            for formal, actual in pins:
                if formal not in ports:
                    raise InputError(f"model '{callee}' has no port '{formal}'", loc, source=source)
                inner[formal] = net(actual)
            for formal, _ in sub.inputs:
                if formal not in inner:
                    raise InputError(f"input '{formal}' of '{callee}' is not connected", loc, source=source)
            k = counters.get(callee, 0)
            counters[callee] = k + 1
            emit(sub, inner, f"{prefix}{callee}_{k}.", (*path, callee))

    emit(top, None, "", (top.name,))
    return cells


def _check_covers(models: list[_Model], limits: Limits, source: str) -> None:
    """A located error at a cover with more than `max_total_bits` rows x inputs."""
    for m in models:
        for c in m.cells:
            if c.kind == "cover" and len(c.payload[0]) * len(c.ins) > limits.max_total_bits:
                raise InputError(f"cover of '{c.out}' has {len(c.payload[0])} rows x {len(c.ins)} inputs: "
                                 f"above the limit of {limits.max_total_bits} (--max-total-bits)",
                                 c.loc, source=source)


class _Hierarchy:
    """Sizes the flattened netlist before it is built: `.subckt` nesting within `max_depth`, and
    nets (top inputs and the cells of every instance) within `max_total_bits`."""

    def __init__(self, models: dict[str, _Model], limits: Limits, source: str) -> None:
        self.models = models
        self.limits = limits
        self.source = source
        self.sizes: dict[str, tuple[int, int]] = {}
        """Model name -> (cells once flattened, levels of instances below and including it)."""

    def check(self, top: _Model) -> None:
        """Refuse `top` at the port, cell or instance that takes it past a limit."""
        below = [(self.size(callee, loc, (top.name,))[0], loc) for callee, _, loc in top.instances]
        most = self.limits.max_total_bits
        if len(top.inputs) + len(top.cells) + sum(c for c, _ in below) <= most:
            return
        steps = [(1, loc) for _, loc in top.inputs] + [(1, c.loc) for c in top.cells] + below
        total = 0
        for count, loc in steps:
            total += count
            if total > most:
                raise InputError(f"the flattened netlist has more than {most} nets (--max-total-bits)",
                                 loc, source=self.source)

    def size(self, name: str, loc: FileLoc, path: tuple[str, ...]) -> tuple[int, int]:
        """(cells, levels) of model `name` instantiated at `loc` under `path`."""
        sub = self.models.get(name)
        if sub is None:
            return 0, 0  # `_flatten` reports the unknown model
        if name in path:
            raise InputError(f"model '{name}' instantiates itself", loc, source=self.source)
        if name not in self.sizes:
            if len(path) > self.limits.max_depth:
                raise InputError(f"'.subckt' instances nest deeper than {self.limits.max_depth} "
                                 "(--max-depth)", loc, source=self.source)
            below = [self.size(callee, at, (*path, name)) for callee, _, at in sub.instances]
            self.sizes[name] = (len(sub.cells) + sum(c for c, _ in below), 1 + max((d for _, d in below), default=0))
        cells, levels = self.sizes[name]
        if len(path) - 1 + levels > self.limits.max_depth:
            raise InputError(f"'.subckt' instances nest deeper than {self.limits.max_depth} (--max-depth)",
                             loc, source=self.source)
        return cells, levels


def _clock(cells: list[FlatCell], top: _Model, source: str) -> str | None:
    """The one clock net of the flattened latches (a new implicit clock port's name when they
    have none); None without latches. Two clocks, or a clock that is not a primary input, are
    located errors."""
    latches = [c for c in cells if c.kind == "latch"]
    if not latches:
        return None
    first = latches[0]

    def clock_of(c: FlatCell) -> str | None:
        return c.ins[1] if len(c.ins) > 1 else None

    def said(clock: str | None) -> str:
        return f"'{clock}'" if clock is not None else "the implicit global clock"

    for c in latches[1:]:
        if clock_of(c) != clock_of(first):
            raise InputError(f"multiple clock domains are not supported: latch '{c.out}' is clocked by "
                             f"{said(clock_of(c))}, latch '{first.out}' by {said(clock_of(first))} (axc-opt "
                             "handles one clock per design)", c.loc, source=source)
    clock = clock_of(first)
    if clock is None:
        nets = [n for n, _ in top.inputs] + [n for n, _ in top.outputs] + [c.out for c in cells]
        return implicit_clock(nets)
    if clock not in {n for n, _ in top.inputs}:
        raise InputError(f"the clock '{clock}' of latch '{first.out}' is not a primary input (gated or "
                         "derived clocks are not supported)", first.loc, source=source)
    return clock


def parse_blif(text: str, filename: str = "<string>", options: dict[str, Any] | None = None) -> Module:
    """Parse BLIF `text` into a Module with one flattened "hw" graph."""
    options = options or {}
    genlib_path = options.get("genlib")
    genlib = load_library(genlib_path) if genlib_path else None
    reader = _Reader(text, filename, genlib)
    models = [reader.model(m) for m in read_blif_models(text, filename)]
    if not models:
        raise ParseError("malformed BLIF: no '.model'", FileLoc(filename, 1, 1), source=text)
    by_name: dict[str, _Model] = {}
    for m in models:
        if m.name in by_name:
            raise InputError(f"model '{m.name}' is defined twice", m.loc, source=text)
        by_name[m.name] = m
    top_name = options.get("top")
    if top_name:
        if top_name not in by_name:
            raise InputError(f"no model '{top_name}' in {filename}")
        top = by_name[top_name]
    else:
        called = {callee for m in models for callee, _, _ in m.instances}
        top = next((m for m in models if m.name not in called), models[0])
    limits = Limits.of(options)
    _check_covers(models, limits, text)
    check_port_buses(top.inputs, limits.max_bus_width, text)
    check_port_buses(top.outputs, limits.max_bus_width, text)
    _Hierarchy(by_name, limits, text).check(top)
    cells = _flatten(by_name, top, text)
    clock = _clock(cells, top, text)
    graph = build_graph(top.name, top.inputs, top.outputs, cells, source=text, clock=clock)
    graph.loc = top.loc
    module = Module({"source": filename, "format": "blif"})
    module.add_graph(graph, top=True)
    return module


def load_blif(path: str, options: dict[str, Any] | None = None) -> Module:
    """Read a BLIF file (see `parse_blif`)."""
    return parse_blif(read_source(path), str(path), options)
