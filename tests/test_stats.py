"""The `stats` pass: numbers in the run report, table on stderr, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axc.frontend import verilog
from axc.ir import Graph, InputError, IntType, Module
from axc.ir.dialects import word
from axc.passes.circuit.stats import StatsPass
from axc.passes.infra.base import PassContext
from axc.passes.infra.registry import get_pass
from logic_graphs import ripple_adder

from axc import cli

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def test_registered() -> None:
    assert get_pass("stats") is StatsPass


def test_gate_counts_without_mapping() -> None:
    ctx = PassContext(quiet=True)
    result = StatsPass(cost=False).apply(ctx, ripple_adder(4))
    stats = ctx.report["stats"]
    assert not result.modified
    assert stats["inputs"] == 8 and stats["outputs"] == 5 and stats["input_ports"] == 2
    assert stats["gates_by_kind"] == {"and": 1, "maj": 3, "xor": 7} and stats["gates"] == 11
    assert stats["depth"] == 4 and "area_um2" not in stats


@pytest.mark.tools
def test_area_delay_power_in_report(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AXC_CACHE", str(tmp_path))
    ctx = PassContext(quiet=False)
    result = StatsPass(vectors=512).apply(ctx, ripple_adder(8))
    stats = ctx.report["stats"]
    assert stats["area_um2"] > 0 and stats["delay_ns"] > 0 and stats["power_uw"] > 0
    assert sum(stats["cells"].values()) == stats["n_cells"]
    assert stats["cost_model"]["power_conditions"]["vectors"] == "512 random vectors (seed 0)"
    assert result.stats["area_um2"] == stats["area_um2"]
    json.dumps(ctx.report)  # the report must be JSON-ready
    err = capsys.readouterr().err
    assert "area" in err and "um^2" in err and "power" in err


@pytest.mark.tools
def test_word_level_graph_is_synthesised(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AXC_CACHE", str(tmp_path))
    g = Graph("mul4", kind="hw")
    a, b = g.add_input("a", IntType(4)), g.add_input("b", IntType(4))
    g.add_output("y", g.create(word.MulOp, [a, b], [IntType(8)], {"signed": False}).result)
    m = Module()
    m.add_graph(g, top=True)
    ctx = PassContext(quiet=True)
    StatsPass(power=False).apply(ctx, m)
    stats = ctx.report["stats"]
    assert stats["gates_by_kind"] == {"word.mul": 1} and stats["depth"] is None
    assert stats["area_um2"] > ctx.report["stats"]["n_cells"] * 0.5


def test_bad_input() -> None:
    nn = Module()
    nn.add_graph(Graph("net", kind="nn"), top=True)
    with pytest.raises(InputError, match="hw"):
        StatsPass().requires(nn)
    with pytest.raises(InputError, match="vectors"):
        StatsPass(vectors=0).requires(ripple_adder(2))


@pytest.mark.tools
def test_c880_from_verilog(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AXC_CACHE", str(tmp_path))
    path = CORPORA / "iscas85" / "verilog_circuitgraph" / "c880.v"
    module = verilog.load_verilog(str(path), {})
    ctx = PassContext(quiet=True)
    StatsPass(vectors=1024).apply(ctx, module)
    stats = ctx.report["stats"]
    assert stats["inputs"] == 60 and stats["outputs"] == 26
    assert 200 < stats["area_um2"] < 2000 and stats["power_uw"] > 0


@pytest.mark.tools
def test_cli_stats_report(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AXC_CACHE", str(tmp_path))
    report = tmp_path / "r.json"
    path = CORPORA / "iscas85" / "verilog_circuitgraph" / "c880.v"
    assert cli.main([str(path), "-p", "stats{vectors=512}", "--report", str(report)]) == 0
    data = json.loads(report.read_text())
    found = [v for v in _walk(data) if isinstance(v, dict) and "area_um2" in v and "cells" in v]
    assert found and found[0]["area_um2"] > 0 and found[0]["power_uw"] > 0
    assert "area" in capsys.readouterr().err


def _walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
