"""The Yosys route: behavioural Verilog through Yosys and the BLIF frontend, checked by Icarus
and against the built-in frontend."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from axc.frontend.verilog import load_verilog
from axc.frontend.yosys_route import load_verilog_via_yosys
from axc.ir import InputError, ParseError, verify
from axc.ir.views import LogicView
from axc.runtime.interp import evaluate

from axc.formats import get_loader

sys.path.insert(0, str(Path(__file__).parent))
from iverilog_harness import HAVE_IVERILOG, ports_of, simulate  # noqa: E402

DATA = Path(__file__).parent / "data"
CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
pytestmark = pytest.mark.tools


def _vectors(graph, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v.name: rng.integers(0, 1 << v.type.width, n, dtype=np.uint64) for v in graph.inputs}


def _outputs(graph, vectors) -> dict[str, list[int]]:
    return {k: [int(x) for x in np.asarray(v)] for k, v in evaluate(graph, vectors).items()}


@pytest.fixture(scope="module")
def behavioural():
    path = DATA / "verilog_yosys" / "behavioural.v"
    return path, load_verilog(str(path), {"frontend": "yosys"})


def test_builtin_frontend_refuses_what_yosys_reads(behavioural) -> None:
    path, module = behavioural
    with pytest.raises(ParseError) as info:
        load_verilog(str(path))
    assert "--frontend yosys" in str(info.value)
    verify(module)
    LogicView.from_graph(module.top_graph)
    assert module.attributes["frontend"] == "yosys"


@pytest.mark.skipif(not HAVE_IVERILOG, reason="needs iverilog")
def test_behavioural_file_matches_icarus(behavioural) -> None:
    path, module = behavioural
    graph = module.top_graph
    assert [v.name for v in graph.inputs] == ["a", "b"]
    vectors = _vectors(graph, 500, seed=5)
    ins, outs = ports_of(graph)
    assert _outputs(graph, vectors) == simulate([path], graph.name, ins, outs, vectors)


# hierarchy.v is left out: its [10:3] and [0:3] ports come back from BLIF as separate bits.
@pytest.mark.parametrize("name", ["sizing", "operators", "procedural", "gates"])
def test_yosys_route_agrees_with_builtin_frontend(name: str) -> None:
    path = str(DATA / "verilog" / f"{name}.v")
    ours = load_verilog(path, {"group_ports": True}).top_graph  # as BLIF restores them
    theirs = get_loader("v")(path, {"frontend": "yosys"}).top_graph
    assert [(v.name, v.type) for v in ours.inputs] == [(v.name, v.type) for v in theirs.inputs]
    vectors = _vectors(ours, 400, seed=11)
    assert _outputs(ours, vectors) == _outputs(theirs, vectors)


def test_iscas_c17_same_function_both_ways() -> None:
    path = str(CORPORA / "iscas85" / "verilog_original" / "c17.v")
    ours = load_verilog(path).top_graph
    theirs = load_verilog_via_yosys(path, {}).top_graph
    rows = np.arange(32, dtype=np.uint64)
    vectors = {v.name: (rows >> np.uint64(i)) & np.uint64(1) for i, v in enumerate(ours.inputs)}
    assert _outputs(ours, vectors) == _outputs(theirs, vectors)


def test_errors_point_into_the_users_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.v"
    bad.write_text("module t(input a, output y);\n  assign y = a +;\nendmodule\n")
    with pytest.raises(InputError) as info:
        load_verilog_via_yosys(str(bad), {})
    assert str(info.value).startswith(f"{bad}:2:1: error: Yosys: ")
    seq = tmp_path / "seq.v"
    seq.write_text("module t(input c, input d, output reg q);\n always @(negedge c) q <= d;\nendmodule\n")
    with pytest.raises(InputError, match=r"falling-edge clocks \(negedge\)"):
        load_verilog_via_yosys(str(seq), {})
    latch = tmp_path / "latch.v"
    latch.write_text("module t(input e, input d, output reg q);\n always @* if (e) q = d;\nendmodule\n")
    with pytest.raises(InputError, match="level-sensitive latches"):
        load_verilog_via_yosys(str(latch), {})
    pdk = next((CORPORA / "evoapprox" / "v2022" / "8x8_signed").glob("*_pdk45.v"))
    with pytest.raises(InputError) as info:
        load_verilog_via_yosys(str(pdk), {})
    assert "\n" not in str(info.value) and str(info.value).startswith(f"{pdk}:")


def test_top_option(tmp_path: Path) -> None:
    two = tmp_path / "two.v"
    two.write_text("module inv(input a, output y); assign y = ~a; endmodule\n"
                   "module buf1(input a, output y); assign y = a; endmodule\n")
    graph = load_verilog_via_yosys(str(two), {"top": "inv"}).top_graph
    assert graph.name == "inv"
    assert _outputs(graph, {"a": np.array([0, 1], dtype=np.uint64)}) == {"y": [1, 0]}
    with pytest.raises(InputError):
        load_verilog_via_yosys(str(two), {"top": "a b"})
