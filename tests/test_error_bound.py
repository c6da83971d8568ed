"""Error bounds of written designs: exact sums, exhaustive slices, fresh-sample confidence
bounds, SAT proofs of wce, fallbacks, and the passes' written designs re-measured on vectors
their search never saw."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from axc.frontend.verilog import load_verilog
from axc.ir.views import LogicView
from axc.passes.circuit.error_bound import (
    Candidate,
    ErrorBound,
    bound_error,
    certify,
    compared_slices,
)
from axc.runtime.equiv import prove_error_within
from axc.runtime.error_sums import ErrorSums
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.metrics import compare_rows
from axc.runtime.simvectors import tail_mask

from axc.api import read_file

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
CC = CORPORA / "lgsynth91" / "blif_names" / "cc.blif"  # 21 inputs: searched on samples, checked on 2^21
C432 = CORPORA / "iscas85" / "verilog_circuitgraph" / "c432.v"  # 36 inputs: bounded on fresh vectors


@pytest.mark.parametrize("n_out", [8, 25, 70])
def test_sums_give_every_metric_as_the_metrics_module_defines_it(n_out: int) -> None:
    rng = np.random.default_rng(n_out)
    n = 5000
    words = (n + 63) // 64
    exact = rng.integers(0, 1 << 64, size=(n_out, words), dtype=np.uint64)
    flips = exact.copy()
    for _ in range(2):
        flips &= rng.integers(0, 1 << 64, size=(n_out, words), dtype=np.uint64)
    approx = exact ^ flips
    exact &= tail_mask(n)
    approx &= tail_mask(n)
    sums = ErrorSums()
    sums.add(exact[:, :40], approx[:, :40], 40 * 64)  # two slices, as a chunked run adds them
    sums.add(exact[:, 40:], approx[:, 40:], n - 40 * 64)
    report = compare_rows(exact, approx, n, [("O", n_out)])
    for metric in ("er", "hd", "mae", "mre", "mse", "wce"):
        assert sums.mean(metric) == pytest.approx(report.value(metric), rel=1e-12), metric


def _flip_when_three_inputs_are_one(vectors: VectorSet) -> tuple[np.ndarray, np.ndarray]:
    """A 4-bit output that is input bits 0..3; the 'approximation' flips bit 0 when inputs 0-2
    are all 1 (one vector in 8)."""
    exact = vectors.words[:4].copy()
    approx = exact.copy()
    approx[0] ^= vectors.words[0] & vectors.words[1] & vectors.words[2]
    return exact, approx


def test_exhaustive_slices_cover_every_vector_once() -> None:
    bound = bound_error(21, compared_slices(21, _flip_when_three_inputs_are_one), "er", 0.2)  # 2^21 vectors: two slices
    assert bound.method == "exhaustive" and bound.vectors == 1 << 21
    assert bound.estimate == bound.bound == 0.125 and bound.holds
    assert not bound_error(21, compared_slices(21, _flip_when_three_inputs_are_one), "er", 0.12).holds


def test_a_sample_gives_a_confidence_bound_on_fresh_vectors() -> None:
    bound = bound_error(30, compared_slices(30, _flip_when_three_inputs_are_one, 3, 200_000), "er", 0.2, 3)
    assert bound.method == "sample" and bound.vectors == 200_000
    half_width = 2.326 * math.sqrt(0.125 * 0.875 / 200_000)
    assert abs(bound.estimate - 0.125) < half_width
    assert bound.bound == pytest.approx(bound.estimate + half_width, rel=0.02)
    again = bound_error(30, compared_slices(30, _flip_when_three_inputs_are_one, 3, 200_000), "er", 0.2, 3)
    other = bound_error(30, compared_slices(30, _flip_when_three_inputs_are_one, 4, 200_000), "er", 0.2, 4)
    assert again == bound and other.estimate != bound.estimate
    mae = bound_error(30, compared_slices(30, _flip_when_three_inputs_are_one, 3, 200_000), "mae", 1.0, 3)
    assert mae.estimate == pytest.approx(bound.estimate / 16) and mae.bound > mae.estimate


def test_certify_falls_back_by_the_excess_it_saw() -> None:
    built = []

    def candidate(name: str, error: float, area: float, unchanged: bool = False) -> Candidate:
        return Candidate(name, error, area, lambda: built.append(name) or name, unchanged)  # type: ignore[return-value]

    pool = [candidate("a", 0.0095, 0.2), candidate("b", 0.0085, 0.3), candidate("c", 0.0065, 0.4),
            candidate("d", 0.005, 0.6), candidate("original", 0.0, 1.0, unchanged=True)]
    errors = {c.key: c.error for c in pool}

    def bound_of(design: str) -> ErrorBound:  # every bound is 0.003 over the searched error
        return ErrorBound("mae", errors[design] + 0.002, errors[design] + 0.003, 10, "sample", 0.01)

    got = certify(pool[0], pool, bound_of, "mae", 0.01)  # type: ignore[arg-type]
    # a: bound 0.0125 fails by 0.0025 -> need searched error <= 0.007: c (smallest such)
    assert got.candidate.key == "c" and built == ["a", "c"] and len(got.refused) == 1
    assert not got.refused[0].holds and got.bound.holds


def test_wce_above_24_inputs_is_proven_by_sat(tmp_path: Path) -> None:
    src = tmp_path / "add13.v"
    src.write_text("module add13(input [12:0] a, input [12:0] b, output [13:0] y);\n"
                   "  assign y = a + b;\nendmodule\n")
    trunc = tmp_path / "trunc.v"
    trunc.write_text("module add13(input [12:0] a, input [12:0] b, output [13:0] y);\n"
                     "  wire [13:0] s = a + b;\n  assign y = {s[13:3], 3'b000};\nendmodule\n")
    exact, approx = load_verilog(str(src)), load_verilog(str(trunc))
    assert prove_error_within(exact, approx, 7) is True  # the three dropped bits: at most 7
    assert prove_error_within(exact, approx, 6) is False


def _run(args: list[str], cwd: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "axc", *args, "--report", "r.json"], cwd=cwd,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads((cwd / "r.json").read_text())


@pytest.mark.parametrize("pipeline", ["prune{err=0.05,metric=hd}", "bmf{err=0.05,metric=hd,time_budget=20}"])
def test_a_21_input_design_is_checked_exhaustively(tmp_path: Path, pipeline: str) -> None:
    """cc (21 inputs) is searched on 10,000 random vectors; the written design is measured on
    all 2^21 again, independently, from the file it wrote."""
    report = _run([str(CC), "-p", pipeline, "-o", "out.blif"], tmp_path)
    bound = report["results"][pipeline.split("{")[0]]["bound"]
    assert bound["method"] == "exhaustive" and bound["vectors"] == 1 << 21 and bound["bound"] <= 0.05
    original = LogicView.from_graph(read_file(str(CC), {}).top_graph)
    written = LogicView.from_graph(read_file(str(tmp_path / "out.blif"), {}).top_graph)
    vectors = VectorSet.exhaustive(original)
    measured = compare_rows(Simulator(original).run(vectors, keep_signals=False).packed,
                            Simulator(written).run(vectors, keep_signals=False).packed,
                            vectors, list(original.output_ports)).value("hd")
    assert measured == pytest.approx(bound["estimate"], abs=1e-12) and measured <= 0.05


def test_a_36_input_design_holds_on_a_million_vectors_it_never_saw(tmp_path: Path) -> None:
    report = _run([str(C432), "-p", "prune{err=0.05,metric=hd}", "-o", "out.v"], tmp_path)
    bound = report["results"]["prune"]["bound"]
    assert bound["method"] == "sample" and bound["vectors"] == 1_000_000
    assert bound["estimate"] < bound["bound"] <= 0.05
    original = LogicView.from_graph(read_file(str(C432), {}).top_graph)
    written = LogicView.from_graph(read_file(str(tmp_path / "out.v"), {}).top_graph)
    vectors = VectorSet.random(original, 1_000_000, seed=12345)  # neither the search's nor the bound's
    measured = compare_rows(Simulator(original).run(vectors, keep_signals=False).packed,
                            Simulator(written).run(vectors, keep_signals=False).packed,
                            vectors, list(original.output_ports)).value("hd")
    assert measured <= 0.05


MUL8 = next((CORPORA / "evoapprox").rglob("mul8u_1JJQ.v"))


@pytest.mark.parametrize("pipeline, limit", [("bmf{err=0.02,max_iterations=3}", "max_iterations"),
                                             ("prune{err=0.02,max_moves=5}", "max_moves")])
def test_a_counted_limit_stops_at_the_same_design_every_run(tmp_path: Path, pipeline: str, limit: str) -> None:
    texts = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        report = _run([str(MUL8), "-p", pipeline, "-o", "out.v"], folder)
        result = report["results"][pipeline.split("{")[0]]
        assert result["stopped_by"] == limit and result["error"] <= 0.02
        texts.append((folder / "out.v").read_text())
    assert texts[0] == texts[1]


def test_a_spent_time_budget_still_keeps_a_design_within_the_threshold(tmp_path: Path) -> None:
    report = _run([str(C432), "-p", "prune{err=0.05,metric=hd,time_budget=0.001}", "-o", "out.v"], tmp_path)
    result = report["results"]["prune"]
    assert result["stopped_by"] == "time_budget" and result["moves"] >= 1  # one move, then the budget
    assert result["bound"]["bound"] <= 0.05


def test_a_budgeted_run_on_a_large_circuit_ends_with_a_design_within_the_threshold(tmp_path: Path) -> None:
    """Over 3000 gates under a small budget: fast partitioning, the parts' own gates as exact
    realisations, the smallest design certified before it is mapped (the original if it maps
    smaller); the written design stays within err on vectors the run never saw."""
    path = CORPORA / "epfl" / "arithmetic" / "bar.blif"
    report = _run([str(path), "-p", "bmf{err=0.05,metric=hd,time_budget=4}", "-o", "out.v"], tmp_path)
    result = report["results"]["bmf"]
    assert result["stopped_by"] == "time_budget" and result["bound"]["holds"]
    assert result["final"]["area"] <= result["original"]["area"]
    original = LogicView.from_graph(read_file(str(path), {}).top_graph)
    written = LogicView.from_graph(read_file(str(tmp_path / "out.v"), {}).top_graph)
    vectors = VectorSet.random(original, 200_000, seed=4242)
    measured = compare_rows(Simulator(original).run(vectors, keep_signals=False).packed,
                            Simulator(written).run(vectors, keep_signals=False).packed,
                            vectors, list(original.output_ports)).value("hd")
    assert measured <= 0.05


ALS_CIRCUITS = [*(CORPORA / "iscas85" / "verilog_circuitgraph" / f"{c}.v" for c in
                  ("c432", "c499", "c880", "c1355", "c1908", "c2670", "c3540", "c5315", "c6288", "c7552")),
                *(CORPORA / "epfl" / "arithmetic" / f"{c}.v" for c in ("adder", "bar", "max", "sin")), MUL8]


@pytest.mark.slow
@pytest.mark.parametrize("path", ALS_CIRCUITS, ids=lambda p: p.stem)
def test_every_als_benchmark_design_holds_on_fresh_vectors(tmp_path: Path, path: Path) -> None:
    """The circuits `benchmarks/als.py` approximates: the written design, re-measured on vectors
    neither the search nor the bound used (exhaustive up to 24 inputs), stays within err."""
    metric = "mae" if path == MUL8 else "hd"
    _run([str(path), "-p", f"bmf{{err=0.05,metric={metric},time_budget=60}}", "-o", "out.v"], tmp_path)
    original = LogicView.from_graph(read_file(str(path), {}).top_graph)
    written = LogicView.from_graph(read_file(str(tmp_path / "out.v"), {}).top_graph)
    vectors = (VectorSet.exhaustive(original) if original.n_inputs <= 24
               else VectorSet.random(original, 1_000_000, seed=777))
    measured = compare_rows(Simulator(original).run(vectors, keep_signals=False).packed,
                            Simulator(written).run(vectors, keep_signals=False).packed,
                            vectors, list(original.output_ports)).value(metric)
    assert measured <= 0.05


def test_the_written_design_is_resynthesized_exactly_with_the_same_error(tmp_path: Path) -> None:
    results = {}
    for effort in (1, -1):
        folder = tmp_path / str(effort)
        folder.mkdir()
        results[effort] = _run([str(MUL8), "-p", f"prune{{err=0.01,resynth_effort={effort}}}", "-o", "out.v"],
                               folder)["results"]["prune"]
    assert results[1]["resynthesized"] and not results[-1]["resynthesized"]
    assert results[1]["bound"]["estimate"] == results[-1]["bound"]["estimate"]  # the same function
    assert results[1]["final"]["area"] < results[-1]["final"]["area"]
    original = LogicView.from_graph(read_file(str(MUL8), {}).top_graph)
    written = LogicView.from_graph(read_file(str(tmp_path / "1" / "out.v"), {}).top_graph)
    vectors = VectorSet.exhaustive(original)
    measured = compare_rows(Simulator(original).run(vectors, keep_signals=False).packed,
                            Simulator(written).run(vectors, keep_signals=False).packed,
                            vectors, list(original.output_ports)).value("mae")
    assert measured == pytest.approx(results[1]["bound"]["estimate"], abs=1e-15) and measured <= 0.01
