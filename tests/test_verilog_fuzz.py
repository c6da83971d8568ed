"""Random expressions against Icarus: Verilog-2001 sizing and signedness, every operator.

Each seed writes a module of 60 `assign`s whose right-hand sides are random expression trees
over signed and unsigned inputs of several widths (arithmetic, bitwise, logical, reduction,
comparison, shift, `?:`, concatenation, replication, selects, `$signed`/`$unsigned`, sized and
unsized, signed and unsigned literals) into outputs of random widths. The imported graph, and
the graph after `lower-word`, must give Icarus' outputs on random vectors. A second generator
writes combinational always blocks with nested if/case/casez/casex and partial assignments.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest
from axc.frontend.verilog import read_verilog
from axc.passes.circuit.lower_word import LowerWordPass
from axc.passes.infra.base import PassContext
from axc.runtime.interp import evaluate

sys.path.insert(0, str(Path(__file__).parent))
from iverilog_harness import HAVE_IVERILOG, ports_of, simulate  # noqa: E402

pytestmark = [pytest.mark.tools, pytest.mark.skipif(not HAVE_IVERILOG, reason="needs iverilog")]

INPUTS = [("ua", 4, False), ("ub", 7, False), ("uc", 1, False),
          ("sa", 5, True), ("sb", 3, True), ("sc", 8, True)]
BINARY = ["+", "-", "*", "&", "|", "^", "~^", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
          "<<", ">>", "<<<", ">>>"]
UNARY = ["-", "~", "!", "&", "|", "^", "~&", "~|", "~^", "+"]
SHIFT_AMOUNTS = ["ua[1:0]", "sb", "2", "uc", "3'd5"]


def _leaf(r: random.Random, sized: bool) -> str:
    k = r.random()
    if sized and k >= 0.8:
        k = 0.7  # concatenation items must have a size
    if k < 0.6:
        name, width, _ = r.choice(INPUTS)
        if width > 1 and r.random() < 0.25:
            hi = r.randrange(width)
            return f"{name}[{hi}:{r.randrange(hi + 1)}]"
        if width > 1 and r.random() < 0.1:
            return f"{name}[{r.randrange(width)}]"
        return name
    if k < 0.8:
        width = r.randint(1, 6)
        value = r.randrange(1 << width)
        base = r.choice("bdh")
        digits = {"b": format(value, "b"), "d": str(value), "h": format(value, "x")}[base]
        return f"{width}'{'s' if r.random() < 0.3 else ''}{base}{digits}"
    return str(r.randint(0, 20)) if r.random() < 0.7 else f"(-{r.randint(1, 9)})"


def _expr(r: random.Random, depth: int, sized: bool = False) -> str:
    if depth == 0 or r.random() < 0.2:
        return _leaf(r, sized)
    k = r.random()
    if k < 0.5:
        op = r.choice(BINARY)
        right = r.choice(SHIFT_AMOUNTS) if op in ("<<", ">>", "<<<", ">>>") else _expr(r, depth - 1, sized)
        return f"({_expr(r, depth - 1, sized)} {op} {right})"
    if k < 0.65:
        return f"({r.choice(UNARY)}{_expr(r, depth - 1, sized)})"
    if k < 0.75:
        return f"({_expr(r, depth - 1, sized)} ? {_expr(r, depth - 1, sized)} : {_expr(r, depth - 1, sized)})"
    if k < 0.85:
        items = ", ".join(_expr(r, depth - 1, True) for _ in range(r.randint(1, 3)))
        return f"{{{r.randint(1, 3)}{{{items}}}}}" if r.random() < 0.3 else f"{{{items}}}"
    return f"{r.choice(['$signed', '$unsigned'])}({_expr(r, depth - 1, sized)})"


def fuzz_module(seed: int, n: int = 60) -> str:
    r = random.Random(seed)
    ports = [f"input {'signed ' if s else ''}[{w - 1}:0] {name}" for name, w, s in INPUTS]
    body = []
    for i in range(n):
        ports.append(f"output [{r.randint(1, 12) - 1}:0] o{i}")
        body.append(f"  assign o{i} = {_expr(r, 3)};")
    return f"module fuzz{seed} (\n  " + ",\n  ".join(ports) + "\n);\n" + "\n".join(body) + "\nendmodule\n"


def _statement(r: random.Random, depth: int, regs: list[tuple[str, int]]) -> str:
    k = r.random()
    if depth == 0 or k < 0.35:
        name, width = r.choice(regs)
        if width > 1 and r.random() < 0.3:
            hi = r.randrange(width)
            return f"{name}[{hi}:{r.randrange(hi + 1)}] = {_expr(r, 2)};"
        return f"{name} = {_expr(r, 2)};"
    if k < 0.6:
        text = f"if ({_expr(r, 2)}) begin {_statement(r, depth - 1, regs)} {_statement(r, depth - 1, regs)} end"
        return text + (f" else {_statement(r, depth - 1, regs)}" if r.random() < 0.6 else "")
    if k < 0.85:
        kind = r.choice(["case", "casez", "casex"])
        digits = "01" + ("?" if kind != "case" else "") + ("x" if kind == "casex" else "")
        items = [f"3'b{''.join(r.choice(digits) for _ in range(3))}: {_statement(r, depth - 1, regs)}"
                 for _ in range(r.randint(1, 4))]
        if r.random() < 0.7:
            items.append(f"default: {_statement(r, depth - 1, regs)}")
        subject = r.choice(["ua", "ua[1:0]", "sb", "{uc, ua[0]}"])
        return f"{kind} ({subject}) " + " ".join(items) + " endcase"
    return f"begin {_statement(r, depth - 1, regs)} {_statement(r, depth - 1, regs)} end"


def procedural_module(seed: int, blocks: int = 8) -> str:
    """Always blocks: defaults first (no latches), then nested if/case/casez/casex."""
    r = random.Random(seed)
    ports = [f"input {'signed ' if s else ''}[{w - 1}:0] {name}" for name, w, s in INPUTS]
    body = []
    for b in range(blocks):
        regs = [(f"r{b}_{i}", r.randint(1, 8)) for i in range(3)]
        ports += [f"output reg [{w - 1}:0] {n}" for n, w in regs]
        defaults = " ".join(f"{n} = {_expr(r, 1)};" for n, _ in regs)
        body.append(f"  always @* begin {defaults} {_statement(r, 3, regs)} {_statement(r, 3, regs)} end")
    return f"module proc{seed} (\n  " + ",\n  ".join(ports) + "\n);\n" + "\n".join(body) + "\nendmodule\n"


def _run(seed: int, tmp_path: Path, procedural: bool = False) -> None:
    source = procedural_module(seed) if procedural else fuzz_module(seed)
    path = tmp_path / f"fuzz{seed}.v"
    path.write_text(source)
    module = read_verilog(source, str(path))
    graph = module.top_graph
    ins, outs = ports_of(graph)
    rng = np.random.default_rng(seed)
    vectors = {name: rng.integers(0, 1 << w, 200, dtype=np.uint64) for name, w in ins}
    want = simulate([path], graph.name, ins, outs, vectors)

    def wrong(g) -> list[str]:
        got = evaluate(g, vectors)
        return [n for n, _ in outs if [int(x) for x in got[n]] != want[n]]

    assert wrong(graph) == []
    LowerWordPass().apply(PassContext(), module)
    assert wrong(module.top_graph) == []


@pytest.mark.parametrize("seed", [0, 1])
def test_random_expressions_match_icarus(seed: int, tmp_path: Path) -> None:
    _run(seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 40))
def test_many_random_expressions_match_icarus(seed: int, tmp_path: Path) -> None:
    _run(seed, tmp_path)


def test_random_always_blocks_match_icarus(tmp_path: Path) -> None:
    _run(0, tmp_path, procedural=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 20))
def test_many_random_always_blocks_match_icarus(seed: int, tmp_path: Path) -> None:
    _run(seed, tmp_path, procedural=True)
