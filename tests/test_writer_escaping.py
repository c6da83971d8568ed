"""Hostile port and net names through every netlist and picture writer (issue 16, escaping).

One bit-level module whose names carry spaces, quotes, backslashes, `<>&`, `#`, `;`, `=`,
BLIF keywords, brackets, a Verilog keyword, unicode and `.bench`'s `INPUT`: each writer's text
must be read by our own frontend with the same function and interface widths, and by an
independent reader (Yosys for Verilog and BLIF, Graphviz `dot` for DOT) without error, names
written as the format allows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from axc.backends.bench import emit_bench
from axc.backends.blif import emit_blif
from axc.backends.graphviz import to_dot
from axc.backends.verilog import emit_verilog
from axc.frontend.bench import parse_bench
from axc.frontend.blif import parse_blif
from axc.frontend.verilog import load_verilog
from axc.ir import Graph, IntType, Module, TruthTable, i1
from axc.ir.dialects import hw, logic
from axc.ir.views import LogicView
from axc.passes.infra.base import PassContext
from axc.passes.infra.registry import get_pass
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.yosys import run_yosys

INPUTS = ["a b", "a_b", 'q"uo\\te', "<&>", "#hash", "semi;colon", "x=y", ".names", "[br]",
          "module", "ünï", "p[0]", "x[2]"]


def hostile_module(source: str | None = None) -> Module:
    g = Graph('m o"d\\<>', kind="hw")
    ins = [g.add_input(n, i1) for n in INPUTS]
    x = g.add_input("x", IntType(2))
    bits = ins + list(g.create(hw.SplitOp, [x], [i1, i1]).results)
    inner = g.create(logic.AndOp, bits[:2], [i1]).result
    inner.name = 'int "net" #;=\\'
    mid = g.create(logic.XorOp, [inner, bits[2], bits[3]], [i1]).result
    mid.name = ".end"
    table = TruthTable.from_array(np.random.default_rng(1).integers(0, 2, 512))
    wide = g.create(logic.LutOp, bits[4:13], [i1], {"table": table}).result
    last = g.create(logic.OrOp, [mid, bits[13], bits[14]], [i1]).result
    last.name = "a_b"
    g.add_output('out "1" <&> \\', wide)
    g.add_output(".inputs", last)
    g.add_output("input", mid)
    g.add_output("wire", g.create(hw.JoinOp, [last, wide], [IntType(2)]).result)
    g.add_output("ünï2", bits[0])
    m = Module({"source": source} if source else None)
    m.add_graph(g, top=True)
    return m


def widths(module: Module) -> tuple[list[int], list[int]]:
    g = module.top_graph
    return [v.type.width for v in g.inputs], [v.type.width for v in g.outputs]


def outputs_on(module: Module, vectors: VectorSet) -> np.ndarray:
    lower = get_pass("lower-word")
    if any(op.name.startswith("word.") for op in module.top_graph.ops):
        lower().apply(PassContext(quiet=True), module)
    view = LogicView.from_graph(module.top_graph)
    return Simulator(view).run(vectors, keep_signals=False).packed


def assert_same_function(module: Module, back: Module) -> None:
    assert widths(back) == widths(module)
    view = LogicView.from_graph(module.top_graph)
    vectors = VectorSet.random(view, 512, seed=3)
    expected = Simulator(view).run(vectors, keep_signals=False).packed
    assert np.array_equal(outputs_on(back, vectors), expected)


def yosys_ports(name: str, text: str, reader: str) -> dict[str, tuple[str, int]]:
    result = run_yosys(f"{reader} {name}; hierarchy -auto-top; write_json out.json",
                       {name: text}, ("out.json",))
    (mod,) = json.loads(result.outputs["out.json"])["modules"].values()
    return {k: (p["direction"], len(p["bits"])) for k, p in mod["ports"].items()}


def test_verilog_escapes_hostile_names(tmp_path: Path) -> None:
    module = hostile_module()
    text = emit_verilog(module)
    # `a b` was written `\a_b `, the same identifier as the port `a_b`; the wide LUT's
    # constant table was named after an escaped port (`LUT_\out_"1"_<&>_\ `)
    ports = yosys_ports("in.v", text, "read_verilog -sv")
    assert ports["a_b"] == ("input", 1) and len(ports) == len(INPUTS) + 1 + 5
    assert {'q"uo\\te', "<&>", "#hash", "x=y", ".names", "module", "p[0]", "x[2]"} <= set(ports)
    assert ports["x"] == ("input", 2) and ports["wire"] == ("output", 2)
    assert all(32 < ord(c) < 127 for c in text.replace("\n", "").replace(" ", ""))
    path = tmp_path / "hostile.v"
    path.write_text(text)
    if shutil.which("iverilog"):
        run = subprocess.run(["iverilog", "-Wall", "-o", str(tmp_path / "a.out"), str(path)],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    assert_same_function(module, load_verilog(str(path), {}))


def test_blif_sanitises_hostile_names() -> None:
    module = hostile_module()
    text = emit_blif(module)
    # a scalar port `x[2]` read back as bit 2 of the vector `x` (widths 2 + 1 became 3)
    back = parse_blif(text, "hostile.blif")
    assert_same_function(module, back)
    names = [v.name for v in back.top_graph.inputs]
    assert "a_b" in names and "x" in names and len(set(names)) == len(names)
    ports = yosys_ports("in.blif", text, "read_blif")
    assert len(ports) == len(INPUTS) + 2 + 6


def test_bench_sanitises_hostile_names() -> None:
    module = hostile_module()
    text = emit_bench(module)
    # an output named `input` was written `input = XOR(...)`, which reads as a declaration
    back = parse_bench(text, "hostile.bench")
    assert_same_function(module, back)
    assert "input_" in back.top_graph.output_names


def svg_text(dot: str) -> str:
    run = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
    assert run.returncode == 0, run.stderr.decode()
    root = ET.fromstring(run.stdout)
    return " ".join(e.text or "" for e in root.iter() if e.tag.endswith("text"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("max_ops", [400, 2])
def test_dot_quotes_hostile_names(max_ops: int) -> None:
    names = ["a b", 'q"uo\\te', "<&>", "{x|y}", "end\\", "\\N\\G\\l", "ünï", '"', '\\"']
    g = Graph('g"{<x>}\\', kind="hw")
    word = g.add_input('v"{|}<>\\', IntType(len(names)))
    split = g.create(hw.SplitOp, [word], [i1] * len(names))
    for r, n in zip(split.results, names):
        r.name = n
    for n, bit in zip(names, split.results):
        g.add_output("o" + n, g.create(logic.AndOp, [g.add_input(n, i1), bit], [i1]).result)
    module = Module()
    module.add_graph(g, top=True)
    # in the summary (an HTML-like label) `\N` and `\G` were expanded to the node and graph name
    shown = svg_text(to_dot(module, max_ops))
    for name in [*names, *("o" + n for n in names), 'g"{<x>}\\', 'v"{|}<>\\']:
        assert name in shown, name


def test_a_source_name_with_a_line_break_stays_in_the_header_comment() -> None:
    module = hostile_module("evil\nmodule oops; endmodule\n.names x\n1\nINPUT(z).v")
    for name, text, reader in [("in.v", emit_verilog(module), "read_verilog -sv"),
                               ("in.blif", emit_blif(module), "read_blif")]:
        assert text.splitlines()[1] != "module oops; endmodule"
        assert len(yosys_ports(name, text, reader)) == len(INPUTS) + 1 + 5 + (name == "in.blif") * 2
    text = emit_bench(module)
    assert "INPUT(z).v" not in text.splitlines()[1:]
    assert_same_function(module, parse_bench(text, "hostile.bench"))
