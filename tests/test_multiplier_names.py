"""Named multipliers: EvoApproxLib names resolve through --multiplier-path and
$AXC_MULTIPLIER_PATH before any pass runs; an unknown name is one line with the closest names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from axc.ir import InputError
from axc.ir.dialects import approx
from axc.runtime.multipliers import SEARCH_PATH_ENV, resolve_spec

from axc import PassManager, load

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
EVOAPPROX = CORPORA / "evoapprox"
MNIST8 = CORPORA / "onnx" / "mnist8"


def test_names_resolve_in_search_order_and_families_stay_families(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(SEARCH_PATH_ENV, raising=False)
    assert resolve_spec("drum{k=4}") == "drum{k=4}" and resolve_spec("exact") == "exact"
    found = Path(resolve_spec("mul8u_FTA", [str(EVOAPPROX)]))
    assert found.name == "mul8u_FTA.v" and found.is_file()
    assert Path(resolve_spec("MUL8U_fta", [str(EVOAPPROX)])).name == "mul8u_FTA.v"  # case folded
    shadow = tmp_path / "mine"
    shadow.mkdir()
    (shadow / "mul8u_FTA.v").write_text(found.read_text())
    monkeypatch.setenv(SEARCH_PATH_ENV, str(EVOAPPROX))
    assert Path(resolve_spec("mul8u_FTA", [str(shadow)])).parent == shadow  # the option first
    assert Path(resolve_spec("mul8u_L93")).name == "mul8u_L93.v"  # then the environment


def test_an_unknown_name_says_where_it_looked_and_what_is_close(monkeypatch) -> None:
    monkeypatch.delenv(SEARCH_PATH_ENV, raising=False)
    with pytest.raises(InputError, match=r"no folders: give --multiplier-path"):
        resolve_spec("mul8u_FTA")
    with pytest.raises(InputError) as exc:
        resolve_spec("mul8u_FTX", [str(EVOAPPROX)])
    assert "closest: mul8u_FTA" in exc.value.message and str(EVOAPPROX) in exc.value.message


def test_named_multiplier_through_the_pipeline(monkeypatch) -> None:
    monkeypatch.setenv(SEARCH_PATH_ENV, str(EVOAPPROX))
    module = load(MNIST8 / "model.onnx")
    manager = PassManager.parse("quantize,approx-mul{multiplier=mul8s_1L2H}", data=str(MNIST8), seed=0)
    manager.run(module, manager.make_context(quiet=True))
    ops = module.top_graph.ops_of(approx.MulOp)
    assert len(ops) == 3 and {op.attr("multiplier") for op in ops} == {"mul8s_1L2H"}
    assert all(op.attr("signed") for op in ops)  # signed by its EvoApproxLib name


def test_unknown_name_fails_before_any_pass_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "axc", str(MNIST8 / "model.onnx"), "-p", "quantize,htp",
         "--multiplier", "mul8u_NOPE", "--multiplier-path", str(EVOAPPROX), "--data", str(MNIST8),
         "-o", "out.onnx"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]  # one line: quantize never ran
    assert proc.stderr.startswith("error: unknown multiplier 'mul8u_NOPE'") and "closest: mul8u_" in proc.stderr
    assert not (tmp_path / "out.onnx").exists()
