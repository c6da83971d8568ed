"""The `bmf` pass end to end: error within budget, confirmed by Icarus on the emitted Verilog."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from axc.backends.verilog import emit_verilog
from axc.frontend.verilog import load_verilog
from axc.ir import InputError, verify
from axc.ir.dialects import approx
from axc.ir.views import LogicView
from axc.passes.bmf.bmf_pass import BmfPass
from axc.passes.bmf.rebuild import inline_bmf
from axc.passes.infra.base import PassContext
from axc.runtime.icarus import port_errors, run_icarus
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.metrics import compare_rows
from bmf_circuits import array_multiplier, random_logic, ripple_adder

ROOT = Path(__file__).resolve().parents[1]
ADDER = ROOT / "examples" / "adder.v"


def _icarus_error(original_text: str, original_top: str, module, vectors: dict[str, np.ndarray]):
    graph = module.top_graph
    ins = [(v.name, v.type.width) for v in graph.inputs]
    outs = [(n, v.type.width) for n, v in zip(graph.output_names, graph.outputs)]
    exact = run_icarus(original_text, original_top, ins, outs, vectors)
    got = run_icarus(emit_verilog(module), module.top, ins, outs, vectors)
    return port_errors(exact, got, outs)


@pytest.mark.tools
def test_example_adder_within_one_percent_and_icarus_agrees(tmp_path: Path) -> None:
    module = load_verilog(str(ADDER), {})
    ctx = PassContext()
    res = BmfPass(err=0.01, pareto=str(tmp_path / "front.csv"), plot=str(tmp_path / "front.png")).apply(ctx, module)
    verify(module)
    rep = ctx.report["bmf"]
    assert rep["metric"] == "mae" and rep["vectors"] == "65536 exhaustive vectors"
    assert 0 < res.errors["mae"] <= 0.01
    assert rep["final"]["area"] < rep["original"]["area"]
    # independent: Icarus on every input pair, errors recomputed with plain integers
    p = np.arange(1 << 16)
    icarus = _icarus_error(ADDER.read_text(), "adder", module, {"a": p & 255, "b": p >> 8})
    assert icarus["mae"] == pytest.approx(res.errors["mae"], abs=1e-12)
    assert icarus["er"] == pytest.approx(rep["errors"]["overall"]["er"], abs=1e-12)
    rows = list(csv.DictReader((tmp_path / "front.csv").open()))
    assert rows and float(rows[0]["error"]) == 0.0
    assert (tmp_path / "front.png").stat().st_size > 1000


@pytest.mark.tools
@pytest.mark.parametrize("metric,threshold", [("hd", 0.05), ("er", 0.3), ("wce", 0.1)])
def test_metrics_and_random_vectors_agree_with_icarus(metric: str, threshold: float) -> None:
    module = array_multiplier(5)
    original = emit_verilog(module.clone())
    ctx = PassContext()
    res = BmfPass(err=threshold, metric=metric, k=6, m=5).apply(ctx, module)
    assert res.errors[metric] <= threshold
    p = np.arange(1 << 10)
    icarus = _icarus_error(original, module.top, module, {"a": p & 31, "b": p >> 5})
    assert icarus[metric] == pytest.approx(res.errors[metric], abs=1e-12)


def test_random_vectors_and_records_kept() -> None:
    module = random_logic(30, 300, 24, seed=4)
    ctx = PassContext()
    res = BmfPass(err=0.05, vectors=4096, seed=3, keep_records=True, finer=False).apply(ctx, module)
    verify(module)
    rep = ctx.report["bmf"]
    assert rep["metric"] == "hd" and rep["vectors"] == "4096 random vectors (seed 3)"
    assert res.errors["hd"] <= 0.05
    records = module.top_graph.ops_of(approx.BmfOp)
    assert len(records) == res.stats["approximated_parts"] > 0
    for op in records:
        assert op.attr("degree") < len(op.results) and op.attr("origin").startswith("part ")
    assert inline_bmf(module) == len(records)
    verify(module)
    assert not module.top_graph.ops_of(approx.BmfOp) and len(module.graphs) == 1


def test_dask_local_cluster_gives_the_same_design() -> None:
    distributed = pytest.importorskip("distributed")
    # two local processes split the synthesis batches exactly as the two Dask workers do
    local = BmfPass(err=0.02, k=6, m=5, jobs=2, finer=False).apply(PassContext(), array_multiplier(4))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        ctx = PassContext()
        remote = BmfPass(err=0.02, k=6, m=5, finer=False, scheduler=cluster.scheduler_address).apply(ctx, array_multiplier(4))
    assert remote.errors == local.errors and remote.stats == local.stats


@pytest.mark.parametrize("options,message", [
    ({"err": 0.0}, r"err must be in \(0, 1\]"),
    ({"err": 1.5}, r"err must be in \(0, 1\]"),
    ({}, "needs an error threshold"),
    ({"err": 0.1, "metric": "mae"}, "needs numeric"),
    ({"err": 0.1, "metric": "nmed"}, "metric 'nmed' needs numeric"),  # an alias of mae, as in reports
    ({"err": 0.1, "metric": "bogus"}, "unknown metric 'bogus'"),
    ({"err": 0.1, "k": 0}, "k must be"),
])
def test_bad_options(options: dict, message: str) -> None:
    module = random_logic(8, 40, 3)
    with pytest.raises(InputError, match=message):
        BmfPass(**options).apply(PassContext(), module)


def test_a_clocked_design_without_logic_keeps_its_registers(tmp_path: Path) -> None:
    """Clocked designs go cone by cone (tests/test_clocked_approx.py); one whose registers only
    pass data along has no cone to approximate and comes back unchanged."""
    src = tmp_path / "seq.v"
    src.write_text("module seq(input clk, input [3:0] d, output reg [3:0] q);\n"
                   "  always @(posedge clk) q <= d;\nendmodule\n")
    module = load_verilog(str(src), {})
    ctx = PassContext(quiet=True)
    result = BmfPass(err=0.1, cycles=20, traces=64).apply(ctx, module)
    assert not result.modified and ctx.report["bmf"]["cones"] == []
    assert [op.name for op in module.top_graph.ops].count("seq.reg") == 1


def test_adder_built_in_ir_reaches_budget() -> None:
    module = ripple_adder(6)
    res = BmfPass(err=0.02).apply(PassContext(), module)
    assert 0 < res.errors["mae"] <= 0.02


def test_word_level_input_is_lowered_first(tmp_path: Path) -> None:
    src = tmp_path / "mul4.v"
    src.write_text("module mul4(input [3:0] a, input [3:0] b, output [7:0] y);\n"
                   "  assign y = a * b;\nendmodule\n")
    module = load_verilog(str(src), {})
    res = BmfPass(err=0.02, k=6, m=4).apply(PassContext(), module)
    assert res.errors["mae"] <= 0.02
    assert not any(op.name.startswith("word.") for op in module.top_graph.ops)


def test_extra_thresholds_are_monotone_and_front_is_mapped() -> None:
    ctx = PassContext()
    BmfPass(err=0.08, metric="hd", thresholds=(0.02, 0.04), map_front=4, k=6, m=5, finer=False).apply(ctx, array_multiplier(5))
    rep = ctx.report["bmf"]
    areas = [rep["thresholds"]["0.02"]["area"], rep["thresholds"]["0.04"]["area"], rep["final"]["area"]]
    assert areas == sorted(areas, reverse=True)
    assert rep["thresholds"]["0.02"]["error"] <= 0.02 and rep["thresholds"]["0.04"]["error"] <= 0.04
    mapped = [r for r in rep["front"] if "mapped_area" in r]
    assert 1 <= len(mapped) <= 4 and all(r["mapped_area"] > 0 or r["error"] > 0 for r in mapped)


def test_sampled_exploration_stays_within_budget() -> None:
    ctx = PassContext()
    res = BmfPass(err=0.05, metric="er", sample=3, seed=5, k=5, m=3, finer=False).apply(ctx, random_logic(20, 200, 12, seed=9))
    assert res.errors["er"] <= 0.05 and ctx.report["bmf"]["parts"] > 3


def test_nothing_within_a_tiny_budget_leaves_the_circuit_unchanged() -> None:
    module = random_logic(10, 60, 4, seed=1)
    before = len(list(module.top_graph.ops))
    ctx = PassContext()
    res = BmfPass(err=1e-9, metric="er", finer=False).apply(ctx, module)
    assert not res.modified and res.errors["er"] == 0.0 and ctx.report["bmf"]["area_ratio"] == 1.0
    assert len(list(module.top_graph.ops)) == before


@pytest.mark.parametrize("args,message", [
    (["--err", "0"], "err must be in (0, 1]"),
    (["--err", "1.5"], "err must be in (0, 1]"),
])
def test_cli_bad_threshold_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    import subprocess
    import sys

    out = tmp_path / "approx.v"
    proc = subprocess.run([sys.executable, "-m", "axc", str(ADDER), "-p", "bmf", *args, "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.tools
def test_iscas_c880_fresh_vectors_in_icarus_agree(corpora: Path) -> None:
    # explored and re-measured on 10,000 random vectors (seed 0); Icarus on 20,000 fresh ones
    path = corpora / "iscas85" / "verilog_circuitgraph" / "c880.v"
    module = load_verilog(str(path), {})
    ports = [(v.name, v.type.width) for v in module.top_graph.inputs]
    ctx = PassContext()
    res = BmfPass(err=0.10, metric="er", finer=False).apply(ctx, module)
    assert 0 < res.errors["er"] <= 0.10 and ctx.report["bmf"]["area_ratio"] < 1.0
    rng = np.random.default_rng(12345)
    fresh = {name: rng.integers(0, 1 << w, 20000) for name, w in ports}
    icarus = _icarus_error(path.read_text(), load_verilog(str(path), {}).top, module, fresh)
    assert icarus["er"] == pytest.approx(res.errors["er"], abs=0.015)


@pytest.mark.parametrize("metric,threshold", [("hd", 0.08), ("mae", 0.02)])
def test_batched_exploration_meets_every_threshold_and_saves_area(metric: str, threshold: float) -> None:
    module = array_multiplier(6)
    ctx = PassContext()
    res = BmfPass(err=threshold, metric=metric, thresholds=(threshold / 4,), k=5, m=3, finer=False,
                  batched=True).apply(ctx, module)
    rep = ctx.report["bmf"]
    assert rep["exploration"] == "batched" and rep["parts"] > 10
    assert 0.0 < res.errors[metric] <= threshold and rep["area_ratio"] < 0.9
    lower = rep["thresholds"][str(threshold / 4)]
    assert lower["error"] <= threshold / 4 and lower["area"] >= rep["final"]["area"]
    verify(module)


def test_batched_and_per_move_exploration_both_stay_within_budget() -> None:
    results = {}
    for batched in (False, True):
        ctx = PassContext()
        res = BmfPass(err=0.05, metric="hd", seed=5, k=5, m=3, finer=False, batched=batched).apply(
            ctx, random_logic(20, 200, 12, seed=9))
        results[batched] = (res.errors["hd"], ctx.report["bmf"]["area_ratio"])
    assert all(0.0 < err <= 0.05 and ratio < 1.0 for err, ratio in results.values())


def test_epfl_max_batched_meets_budget_on_fresh_vectors(corpora: Path) -> None:
    # 5383 gates: batched exploration; the result is re-simulated on 20,000 fresh vectors

    path = corpora / "epfl" / "arithmetic" / "max.v"
    module = load_verilog(str(path), {})
    ctx = PassContext(quiet=True)
    res = BmfPass(err=0.05, metric="hd").apply(ctx, module)
    rep = ctx.report["bmf"]
    assert rep["exploration"] == "batched" and rep["area_ratio"] < 0.6 and 0 < res.errors["hd"] <= 0.05
    exact_view = LogicView.from_graph(load_verilog(str(path), {}).top_graph)
    approx_view = LogicView.from_graph(module.top_graph)
    fresh = VectorSet.random(exact_view, 20000, seed=4321)
    exact = Simulator(exact_view).run(fresh, keep_signals=False).packed
    approx = Simulator(approx_view).run(fresh, keep_signals=False).packed
    measured = compare_rows(exact, approx, fresh, list(exact_view.output_ports)).value("hd")
    assert measured == pytest.approx(res.errors["hd"], abs=0.005)
