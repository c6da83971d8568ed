"""Approximation of clocked designs: circuit passes on the cones between registers, error at the
primary outputs over cycles, checked by an independent cycle loop over the IR interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from axc.ir import InputError, verify
from axc.ir.dialects.seq import RegOp, next_of, registers
from axc.ir.parser import parse_module
from axc.ir.printer import print_module
from axc.ir.views import ClockedCore
from axc.passes.circuit.logic_checks import bit_level
from axc.passes.circuit.truncate import TruncatePass
from axc.passes.clocked.cones import multiplier_circuit
from axc.passes.infra.base import PassContext
from axc.passes.prune.prune_pass import PrunePass
from axc.runtime.interp import evaluate
from axc.runtime.multipliers.circuit import model_from_graph

PIPE = """module @pipe {
  hw.graph @pipe(%clk: i1, %a: i8, %b: i8, %c: i8) -> (y: i17) {
    %ra = seq.reg %clk {name = "ra"} : i8
    seq.next %ra, %a
    %rb = seq.reg %clk {name = "rb"} : i8
    seq.next %rb, %b
    %p = word.mul %ra, %rb : i16
    %rp = seq.reg %clk {name = "rp"} : i16
    seq.next %rp, %p
    %rc = seq.reg %clk {name = "rc"} : i8
    seq.next %rc, %c
    %pe = word.zext %rp : i17
    %ce = word.zext %rc : i17
    %s = word.add %pe, %ce : i17
    %ry = seq.reg %clk {name = "ry"} : i17
    seq.next %ry, %s
    output %ry
  }
}
"""

MAC = """module @mac {
  hw.graph @mac(%clk: i1, %rst: i1, %a: i8, %b: i8) -> (acc: i20) {
    %p = word.mul %a, %b : i16
    %pr = seq.reg %clk {name = "prod"} : i16
    seq.next %pr, %p
    %acc = seq.reg %clk {name = "acc"} : i20
    %pe = word.zext %pr : i20
    %s = word.add %acc, %pe : i20
    seq.next %acc, %s, %rst {srst_value = 0}
    output %acc
  }
}
"""


def _outputs_over_cycles(module, stimulus: dict[str, np.ndarray]) -> np.ndarray:
    """An independent cycle loop: the IR interpreter on the cut core, registers updated in Python
    (no enable or asynchronous reset in these designs; synchronous reset honoured)."""
    cut = ClockedCore.cut(module)
    graph = cut.core.top_graph
    cycles, traces = next(iter(stimulus.values())).shape
    state = {r.q_port: np.full(traces, r.init, dtype=np.uint64) for r in cut.registers}
    out_name = cut.output_ports[0][0]
    seen = np.zeros((cycles, traces), dtype=np.uint64)
    for t in range(cycles):
        values = evaluate(graph, {**{k: v[t] for k, v in stimulus.items()}, **state})
        seen[t] = values[out_name]
        for r in cut.registers:
            nxt = np.asarray(values[r.d_port], dtype=np.uint64)
            if r.srst_port:
                nxt = np.where(np.asarray(values[r.srst_port]) == 1, np.uint64(r.srst_value), nxt)
            state[r.q_port] = nxt
    return seen


def _fresh(ports: dict[str, int], cycles: int, traces: int, seed: int, resets: tuple[str, ...] = ()
           ) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    stim = {p: rng.integers(0, 1 << w, size=(cycles, traces), dtype=np.uint64) for p, w in ports.items()}
    for r in resets:
        stim[r] = np.zeros((cycles, traces), dtype=np.uint64)
        stim[r][0] = 1
    return stim


def _register_signature(module) -> list[tuple]:
    rows = []
    for reg in registers(module.top_graph):
        nxt = next_of(reg)
        rows.append((reg.reg_name, reg.width, reg.init, dict(reg.attributes), dict(nxt.attributes)))
    return sorted(rows, key=lambda r: r[0])


def test_prune_on_a_pipeline_keeps_registers_and_the_error_holds_on_fresh_stimulus() -> None:
    module = parse_module(PIPE)
    before = _register_signature(module)
    ctx = PassContext(quiet=True)
    result = PrunePass(err=0.01, cycles=200, traces=128).apply(ctx, module)
    verify(module)
    assert _register_signature(module) == before
    report = ctx.report["prune"]
    assert result.modified and report["area_after"]["total"] < report["area_before"]["total"]
    assert any(c["in_written_design"] for c in report["cones"])
    assert report["error"]["holds"] and report["error"]["bound"] <= 0.01
    stim = _fresh({"a": 8, "b": 8, "c": 8}, 300, 256, seed=99)
    exact = _outputs_over_cycles(parse_module(PIPE), stim)
    approx = _outputs_over_cycles(module, stim)
    nmae = float(np.mean(np.abs(exact.astype(np.float64) - approx.astype(np.float64)))) / 2 ** 17
    assert 0 < nmae <= 0.01


def test_error_accumulating_through_feedback_is_measured_not_assumed_away() -> None:
    module = parse_module(MAC)
    ctx = PassContext(quiet=True)
    PrunePass(err=0.002, cycles=300, traces=128).apply(ctx, module)
    verify(module)
    report = ctx.report["prune"]
    changed = [c for c in report["cones"] if c["in_written_design"]]
    assert changed, report["cones"]
    profile = report["error"]["profile_by_tenth_of_cycles"]
    assert profile[-1] > profile[0]  # the accumulator carries every cycle's error onwards
    stim = _fresh({"a": 8, "b": 8}, 300, 256, seed=7, resets=("rst",))
    exact = _outputs_over_cycles(parse_module(MAC), stim)
    approx = _outputs_over_cycles(module, stim)
    nmae = float(np.mean(np.abs(exact.astype(np.float64) - approx.astype(np.float64)))) / 2 ** 20
    assert nmae <= 0.002


def test_truncate_on_a_clocked_design_chooses_depth_per_cone() -> None:
    module = parse_module(PIPE)
    ctx = PassContext(quiet=True)
    TruncatePass(err=0.01, cycles=200, traces=128).apply(ctx, module)
    verify(module)
    assert ctx.report["truncate"]["error"]["bound"] <= 0.01
    assert all(isinstance(r, RegOp) for r in registers(module.top_graph))


def test_cli_reports_cones_cycles_and_register_area(tmp_path: Path) -> None:
    (tmp_path / "mac.ir").write_text(MAC)
    run = subprocess.run([sys.executable, "-m", "axc", "mac.ir", "-p", "prune", "--err", "0.005",
                          "--cycles", "100", "--traces", "64", "-o", "out.ir", "--report", "run.json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "run.json").read_text())
    text = json.dumps(report)
    assert '"cycles": 100' in text and '"register_bits": 36' in text
    assert "seq.reg" in (tmp_path / "out.ir").read_text()


def test_a_stimulus_file_is_split_between_search_and_check(tmp_path: Path) -> None:
    (tmp_path / "pipe.ir").write_text(PIPE)
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "s.npz", **{p: rng.integers(0, 256, size=(150, 128)) for p in ("a", "b", "c")})
    run = subprocess.run([sys.executable, "-m", "axc", "pipe.ir", "-p", "prune", "--err", "0.01", "--stimulus",
                          "s.npz", "-o", "out.ir", "--report", "run.json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    text = json.dumps(json.loads((tmp_path / "run.json").read_text()))
    assert "s.npz (first half)" in text and "s.npz (second half)" in text
    assert '"check_on_fresh_stimulus": true' in text
    (tmp_path / "bad.txt").write_text("x")
    bad = subprocess.run([sys.executable, "-m", "axc", "pipe.ir", "-p", "prune", "--err", "0.01", "--stimulus",
                          "bad.txt", "-o", "bad.ir"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and ".npz or a .vcd" in bad.stderr
    assert not (tmp_path / "bad.ir").exists()


@pytest.mark.parametrize("option", ["--cycles", "--traces"])
def test_cycle_options_out_of_range_are_usage_errors(tmp_path: Path, option: str) -> None:
    (tmp_path / "mac.ir").write_text(MAC)
    run = subprocess.run([sys.executable, "-m", "axc", "mac.ir", "-p", "prune", "--err", "0.01", option, "1",
                          "-o", "out.ir"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert not (tmp_path / "out.ir").exists()


def test_the_multiplier_of_a_clocked_mac_keeps_its_net_through_approximation() -> None:
    """The cross-level link: the MAC's multiplier is a cone of its own, keeps its net name `p`
    in the written design, and comes out of the clocked file as an 8x8 multiplier model."""
    exact = multiplier_circuit(parse_module(MAC))
    table = model_from_graph(exact, with_cost=False, bit_level=bit_level(exact).top_graph).table
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    assert np.array_equal(table, a * b)
    module = parse_module(MAC)
    ctx = PassContext(quiet=True)
    PrunePass(err=0.01, cycles=200, traces=128).apply(ctx, module)
    assert [c["port"] for c in ctx.report["prune"]["cones"]][0] == "p"
    written = parse_module(print_module(module))
    cone = multiplier_circuit(written, "p")
    model = model_from_graph(cone, with_cost=False, bit_level=bit_level(cone).top_graph)
    assert (model.x_bits, model.w_bits) == (8, 8)
    changed = any(c["port"] == "p" and c["in_written_design"] for c in ctx.report["prune"]["cones"])
    assert changed == (not np.array_equal(model.table, a * b))
    with pytest.raises(InputError, match="no net 'q'"):
        multiplier_circuit(written, "q")
