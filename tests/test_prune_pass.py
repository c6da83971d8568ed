"""The gate-level search (`prune`, and `bmf`'s refinement): kernels against brute force, errors
re-measured independently (Icarus, plain integer products), clear errors on bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from axc.backends.verilog import emit_verilog
from axc.frontend.verilog import load_verilog
from axc.ir import InputError, verify
from axc.ir.views import LogicView
from axc.passes.bmf.bmf_pass import BmfPass
from axc.passes.infra.base import PassContext
from axc.passes.prune.kernels import freed_area, reference_counts
from axc.passes.prune.prune_pass import PrunePass
from axc.passes.prune.search import GateSearch
from axc.passes.prune.simplify import simplify
from axc.runtime.icarus import port_errors, run_icarus
from axc.runtime.logicsim import Simulator, VectorSet
from bmf_circuits import array_multiplier, random_logic
from logic_graphs import random_circuit

ROOT = Path(__file__).resolve().parents[1]
ADDER = ROOT / "examples" / "adder.v"


@pytest.mark.parametrize("seed", range(6))
def test_simplify_keeps_every_function(seed: int) -> None:
    view = LogicView.from_graph(random_circuit(seed, n_gates=60).top_graph)
    vectors = VectorSet.exhaustive(view)
    search = GateSearch(view, vectors, "hd")
    rng = np.random.default_rng(seed)
    # substitute a few signals by constants, then check simplification against plain evaluation
    for s in rng.choice(np.arange(search.base, search.n_signals), 5, replace=False).tolist():
        search.fanin[search.fanin == s] = int(rng.integers(2))
    search.evaluate(search.full.values)
    reference = search.full.values[search.outputs].copy()
    changed = simplify(search.codes, search.fanin_ptr, search.fanin, search.outputs, search.base, search.live())
    search.evaluate(search.full.values)
    assert changed > 0
    assert np.array_equal(search.full.values[search.outputs], reference)


@pytest.mark.parametrize("seed", range(4))
def test_trial_errors_and_freed_area_match_applying_the_move(seed: int) -> None:
    module = random_logic(10, 120, 6, seed=seed)
    view = LogicView.from_graph(module.top_graph)
    vectors = VectorSet.exhaustive(view)
    search = GateSearch(view, vectors, "hd", candidates=3)
    live = search.live()
    moves, gains = search._trials(live)
    assert moves
    errors = search._errors(search.full, moves, live)
    rng = np.random.default_rng(seed)
    for i in rng.choice(len(moves), min(12, len(moves)), replace=False).tolist():
        search.replay(0)
        area_before = search.area()
        search.moves = [moves[i]]
        search.replay(1)
        search.evaluate(search.full.values)
        assert search.full.error(search) == pytest.approx(errors[i], abs=1e-12)
        # simplification may free more than the dead cone, never less
        assert area_before - search.area() >= gains[i] - 1e-9
    search.replay(0)


@pytest.mark.parametrize("seed", range(4))
def test_resubstitutions_are_measured_and_freed_as_applied(seed: int) -> None:
    """A gate rewritten as a function of two similar signals: the kernel's error is the error
    of the applied move, its gain never more than the area the move frees, and the function
    is the one the move names (checked against the words of its divisors)."""
    module = random_logic(10, 120, 6, seed=seed)
    view = LogicView.from_graph(module.top_graph)
    search = GateSearch(view, VectorSet.exhaustive(view), "hd", candidates=3)
    live = search.live()
    moves, gains = search._trials(live)
    resubs = [i for i, m in enumerate(moves) if m.function]
    assert resubs
    errors = search._errors(search.full, moves, live)
    ops = {2: lambda a, b: ~a, 3: np.bitwise_and, 4: np.bitwise_or, 5: np.bitwise_xor,
           6: lambda a, b: ~(a & b), 7: lambda a, b: ~(a | b), 8: lambda a, b: ~(a ^ b)}
    for i in resubs[:12]:
        move = moves[i]
        search.replay(0)
        search.evaluate(search.full.values)
        a = search.full.values[move.replacement]
        b = search.full.values[move.second if move.second >= 0 else move.replacement]
        expected = ops[move.function](a, b) & search.full.tail
        area_before = search.area()
        search.moves = [move]
        search.replay(1)
        search.evaluate(search.full.values)
        assert search.full.error(search) == pytest.approx(errors[i], abs=1e-12)
        assert area_before - search.area() >= gains[i] - 1e-9
        if search.live()[move.signal]:
            assert np.array_equal(search.full.values[move.signal] & search.full.tail, expected)
    search.replay(0)


def test_freed_area_counts_only_the_exclusive_cone() -> None:
    # s = AND(a, b) read by the only output; t = OR(a, b) also read elsewhere: freeing s frees s only
    fanin_ptr = np.array([0, 2, 4], dtype=np.int64)
    fanin = np.array([2, 3, 2, 3], dtype=np.int64)  # gates at signals 4 (and) and 5 (or)
    outputs = np.array([4, 5], dtype=np.int64)
    live = np.ones(6, dtype=np.bool_)
    ref = reference_counts(fanin_ptr, fanin, 4, 6, outputs, live)
    area = np.array([1.0, 2.0])
    stack, undo = np.empty(4, np.int64), np.empty(8, np.int64)
    assert freed_area(4, 1, 0, ref, fanin_ptr, fanin, 4, area, stack, undo) == 1.0
    assert freed_area(5, 1, 4, ref, fanin_ptr, fanin, 4, area, stack, undo) == 2.0
    assert ref.tolist() == reference_counts(fanin_ptr, fanin, 4, 6, outputs, live).tolist()


@pytest.mark.tools
def test_example_adder_within_one_percent_and_icarus_agrees() -> None:

    module = load_verilog(str(ADDER), {})
    ctx = PassContext()
    res = PrunePass(err=0.01, map_front=3).apply(ctx, module)
    verify(module)
    rep = ctx.report["prune"]
    assert 0 < res.errors["mae"] <= 0.01 and rep["final"]["area"] < rep["original"]["area"]
    p = np.arange(1 << 16)
    vectors = {"a": p & 255, "b": p >> 8}
    graph = module.top_graph
    ins = [(v.name, v.type.width) for v in graph.inputs]
    outs = [(n, v.type.width) for n, v in zip(graph.output_names, graph.outputs)]
    exact = run_icarus(ADDER.read_text(), "adder", ins, outs, vectors)
    got = run_icarus(emit_verilog(module), module.top, ins, outs, vectors)
    assert port_errors(exact, got, outs)["mae"] == pytest.approx(res.errors["mae"], abs=1e-12)
    assert sum("mapped_area" in r for r in rep["front"]) == 3


def test_evoapprox_multiplier_nmed_from_plain_products(corpora: Path) -> None:
    module = load_verilog(str(corpora / "evoapprox" / "v2022" / "8x8_unsigned" / "mul8u_1JJQ.v"), {})
    ctx = PassContext()
    res = PrunePass(err=0.005, thresholds=(0.001,)).apply(ctx, module)
    rep = ctx.report["prune"]
    view = LogicView.from_graph(module.top_graph)
    vectors = VectorSet.exhaustive(view)
    out = Simulator(view).run(vectors, keep_signals=False)
    product = vectors.port_values("A").astype(np.int64) * vectors.port_values("B").astype(np.int64)
    nmed = np.abs(out.port_values("O").astype(np.int64) - product).mean() / 65536
    assert nmed == pytest.approx(res.errors["mae"], abs=1e-12) and nmed <= 0.005
    assert rep["final"]["area"] < 0.85 * rep["original"]["area"]
    assert rep["thresholds"]["0.001"]["error"] <= 0.001
    assert rep["thresholds"]["0.001"]["area"] >= rep["final"]["area"]


def test_iscas_c880_error_rate_on_fresh_vectors(corpora: Path) -> None:
    path = corpora / "iscas85" / "verilog_circuitgraph" / "c880.v"
    original = load_verilog(str(path), {})
    module = original.clone()
    res = PrunePass(err=0.05, metric="er", vectors=4000).apply(PassContext(), module)
    assert 0 < res.errors["er"] <= 0.05
    fresh = VectorSet.random(LogicView.from_graph(original.top_graph), 20000, seed=77)
    a = Simulator(LogicView.from_graph(original.top_graph)).run(fresh, keep_signals=False).packed
    b = Simulator(LogicView.from_graph(module.top_graph)).run(fresh, keep_signals=False).packed
    wrong = np.bitwise_or.reduce(a ^ b, axis=0)
    rate = sum(bin(int(w)).count("1") for w in wrong) / fresh.n_vectors
    assert rate <= 0.05 + 4 * np.sqrt(0.05 * 0.95 / 20000)  # within sampling noise of the budget


def test_bmf_refinement_is_used_and_can_be_switched_off() -> None:
    refined_ctx, plain_ctx = PassContext(), PassContext()
    BmfPass(err=0.02, metric="mae", k=6, m=5).apply(refined_ctx, array_multiplier(5))
    BmfPass(err=0.02, metric="mae", k=6, m=5, refine=False).apply(plain_ctx, array_multiplier(5))
    refined, plain = refined_ctx.report["bmf"], plain_ctx.report["bmf"]
    assert plain["refined"] is None
    assert refined["final"]["area"] <= plain["final"]["area"]
    assert refined["error"] <= 0.02 and any(r["origin"].startswith("refined") for r in refined["front"])


@pytest.mark.parametrize("options,message", [
    ({"err": 0.0}, r"err must be in \(0, 1\]"),
    ({"err": 1.5}, r"err must be in \(0, 1\]"),
    ({}, "needs an error threshold"),
    ({"err": 0.1, "metric": "mae"}, "needs numeric"),
    ({"err": 0.1, "sample": 3}, "sample must be at least"),
])
def test_bad_options(options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        PrunePass(**options).apply(PassContext(), random_logic(8, 40, 3))


@pytest.mark.parametrize("source,args,message,status", [
    (None, ["--err", "0"], "err must be in (0, 1]", 2),  # a usage error, caught before anything runs
    ("module seq(input c1, input c2, input [3:0] d, output reg [3:0] q, output reg [3:0] r);\n"
     "  always @(posedge c1) q <= d;\n  always @(posedge c2) r <= d;\nendmodule\n",
     ["--err", "0.1"], "multiple clock domains are not supported", 1),
])
def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, source: str | None, args: list[str],
                                                      message: str, status: int) -> None:
    src = ADDER
    if source is not None:
        src = tmp_path / "seq.v"
        src.write_text(source)
    out = tmp_path / "approx.v"
    proc = subprocess.run([sys.executable, "-m", "axc", str(src), "-p", "prune", *args, "-o", str(out)],
                          capture_output=True, text=True)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == status and message in lines[0] and "Traceback" not in proc.stderr
    assert len(lines) <= 3 and not out.exists()  # one error line (with the source line and carets)
