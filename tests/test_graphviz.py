"""The Graphviz backend: readable pictures of small graphs, summaries of huge ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from axc.backends.graphviz import graph_depth, to_dot
from logic_graphs import random_circuit, ripple_adder

import axc

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


def test_small_graph_shows_ops_ports_and_edges() -> None:
    module = ripple_adder(4)
    dot = to_dot(module)
    graph = module.top_graph
    assert dot.startswith("digraph axc {") and "rankdir=LR;" in dot
    for v in graph.inputs:
        assert f'"{v.name} : {v.type}"' in dot
    for name in graph.output_names:
        assert f'"{name} : ' in dot
    assert dot.count(" -> ") == sum(len(op.operands) for op in graph.ops) + len(graph.outputs)
    assert "logic.xor" in dot
    assert "summary" not in dot


def test_huge_graph_becomes_a_summary() -> None:
    module = random_circuit(3, n_gates=600)
    graph = module.top_graph
    dot = to_dot(module, max_ops=400)
    assert "too large to draw; summary" in dot
    assert f"{len(graph)} ops, depth {graph_depth(graph)}" in dot
    assert " -> " not in dot
    assert "logic.lut" in dot and "inputs (3)" in dot and "outputs (3)" in dot
    assert "logic.lut" in to_dot(module, max_ops=10_000) and " -> " in to_dot(module, max_ops=10_000)


def test_depth_counts_the_longest_op_path() -> None:
    module = ripple_adder(4)
    shallow = ripple_adder(2)
    assert graph_depth(module.top_graph) > graph_depth(shallow.top_graph) >= 3


@needs_dot
def test_png_and_svg_are_real_images(tmp_path: Path) -> None:
    module = ripple_adder(16)
    assert len(module.top_graph) >= 48
    axc.save(module, tmp_path / "adder.png")
    axc.save(module, tmp_path / "adder.svg")
    axc.save(random_circuit(1, n_gates=900), tmp_path / "big.png")
    png = (tmp_path / "adder.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "big.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "adder.svg").read_text()
    assert "<svg" in svg and "logic.xor" in svg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adder.png", "adder.svg", "big.png"]


def test_split_and_join_get_named_ports() -> None:
    module = ripple_adder(3)
    split = next(op for op in module.top_graph.ops if op.name == "hw.split")
    for k, r in enumerate(split.results):
        r.name = f"a[{k}]"
    dot = to_dot(module)
    assert 'label="hw.split|<r0> a[0]|<r1> a[1]|<r2> a[2]"' in dot
    assert "hw.join\\ni4|<i0> 0|<i1> 1|<i2> 2|<i3> 3" in dot
    assert ":r2:e -> " in dot and ":i3:w;" in dot
