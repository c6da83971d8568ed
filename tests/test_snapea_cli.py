"""snapea and the accelerator simulation from the command line, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend.onnx_import import load_onnx
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.onnx_run import OnnxRunner

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = str(CORPORA / "onnx" / "mnist8" / "model.onnx")
MNIST = str(CORPORA / "datasets" / "mnist")


def axc_opt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "axc", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_predictive_mode_without_data_is_one_line(tmp_path: Path) -> None:
    run = axc_opt(MNIST8, "-p", "snapea{accuracy_loss=0.01}", "-o", "out.onnx", cwd=tmp_path)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs calibration data" in lines[0] and "Traceback" not in run.stderr
    assert not (tmp_path / "out.onnx").exists()


def test_emit_sim_and_report(tmp_path: Path) -> None:
    run = axc_opt(MNIST8, "-p", "snapea", "--data", MNIST, "--calib", "200", "--eval", "100",
                  "--sim", "sim_samples=30", "--sim", "lanes=8", "--sim", "cols=4", "-o", "sim.json",
                  "--report", "run.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    sim = json.loads((tmp_path / "sim.json").read_text())
    assert sim["accelerator"]["lanes"] == 8 and sim["samples"] == 30
    assert {"cycles", "time_s", "energy_pj", "speedup", "energy_saving"} <= set(sim["total"])
    report = json.loads((tmp_path / "run.json").read_text())
    quality = report["results"]["network_quality"]
    assert quality["agreement"] == 1.0 and quality["n"] == 100
    stages = report["stage_seconds"]  # the total counts the evaluation and the output too
    assert set(stages) == {"load", "passes", "evaluation", "output"} and stages["evaluation"] > 0
    assert report["total_seconds"] >= sum(stages.values()) - 1e-3
    assert report["results"]["snapea"]["total"]["fraction"] < 1.0


def test_simulation_of_a_circuit_is_refused(tmp_path: Path) -> None:
    adder = Path(__file__).resolve().parents[1] / "examples" / "adder.v"
    run = axc_opt(str(adder), "-o", "sim.json", cwd=tmp_path)
    assert run.returncode == 1 and "needs a network" in run.stderr
    assert not (tmp_path / "sim.json").exists()


def test_the_emitted_plan_is_metadata_and_every_initializer_is_read(tmp_path: Path) -> None:
    """The per-kernel order, N, Th and phase ends go into metadata_props, not into initializers
    that no node reads (ONNX Runtime warns about each of those)."""
    run = axc_opt(MNIST8, "-p", "quantize,snapea", "--data", MNIST, "--calib", "200", "-q", "-o", "out.onnx",
                  cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    model = onnx.load(tmp_path / "out.onnx")
    plans = {p.key: json.loads(p.value) for p in model.metadata_props if p.key.startswith("axc.snapea.")}
    assert set(plans) == {"axc.snapea.Convolution28", "axc.snapea.Convolution110"}
    plan = plans["axc.snapea.Convolution28"]
    assert len(plan["order"]) == len(plan["n"]) == len(plan["th"]) == 8  # one entry per kernel
    assert sorted(plan["order"][0]) == list(range(25))  # a permutation of the 5x5x1 MACs
    read = {name for node in model.graph.node for name in node.input}
    assert [i.name for i in model.graph.initializer if i.name not in read] == []


def test_the_run_evaluates_on_samples_no_pass_used(tmp_path: Path) -> None:
    """quantize calibrates on the first 300 samples: the run's network quality starts after them
    (exact SnaPEA only counts MACs on its slice, so it fits nothing to data)."""
    run = axc_opt(MNIST8, "-p", "quantize{calib=300},snapea{calib=1000 verify=500}", "--data", MNIST,
                  "--calib", "200", "--eval", "50", "-o", "out.onnx", "--report", "run.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    quality = json.loads((tmp_path / "run.json").read_text())["results"]["network_quality"]
    assert quality["n"] == 50 and "samples 300 to 349" in quality["note"]
    assert "samples 300 to 349, which no pass used" in run.stderr


def test_the_headline_quantizes_runs_htp_and_reorders_both_convs(tmp_path: Path) -> None:
    """quantize,htp,snapea: zero stays zero through the default multiplier, so exact early
    termination applies to both conv+ReLU layers and changes no output of quantize,htp."""
    run = axc_opt(MNIST8, "-p", "quantize,htp,snapea", "--data", MNIST, "--calib", "200", "--eval", "200",
                  "-o", "all.onnx", "--report", "run.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    base = axc_opt(MNIST8, "-p", "quantize,htp", "--data", MNIST, "--calib", "200", "-q", "-o", "base.onnx",
                   cwd=tmp_path)
    assert base.returncode == 0, base.stderr
    snapea = json.loads((tmp_path / "run.json").read_text())["results"]["snapea"]
    assert snapea["skipped"] == [] and [e["mode"] for e in snapea["layers"]] == ["exact", "exact"]
    assert snapea["total"]["fraction"] < 0.75
    assert snapea["simulated"]["early_termination_speedup"] > 1.0  # early termination alone
    assert "early termination alone is" in run.stderr
    images = OnnxRunner(str(tmp_path / "base.onnx"))
    data = dataset_for_module(MNIST, load_onnx(MNIST8)).x[2200:2264]
    np.testing.assert_array_equal(OnnxRunner(str(tmp_path / "all.onnx")).run_batched(data),
                                  images.run_batched(data))


@pytest.mark.parametrize("opset", [9, 13])
def test_a_pytorch_export_with_batchnorm_after_matmul_goes_through_the_headline(tmp_path: Path, opset: int) -> None:
    """torch.onnx.export at batch 1: Conv -> ReLU -> x.view(1, -1) (Reshape [1, -1]) -> Linear
    without bias (MatMul) -> BatchNorm1d -> ReLU -> Linear: quantize,htp,snapea folds the
    BatchNorm, keeps the reshape valid when batching, and reorders the conv."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)
            self.fc1 = torch.nn.Linear(4 * 12 * 12, 16, bias=False)
            self.bn = torch.nn.BatchNorm1d(16)
            self.fc2 = torch.nn.Linear(16, 10)

        def forward(self, x):  # noqa: ANN001, ANN201
            h = torch.relu(self.conv(x)).view(1, -1)
            return self.fc2(torch.relu(self.bn(self.fc1(h))))

    net = Net().eval()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-1, 1)
        net.bn.running_var.uniform_(0.5, 2)
    torch.onnx.export(net, torch.zeros(1, 1, 14, 14), str(tmp_path / "net.onnx"), opset_version=opset,
                      dynamo=False)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(300, 1, 14, 14)).astype(np.float32)
    np.savez(tmp_path / "data.npz", x=x)
    run = axc_opt("net.onnx", "-p", "quantize,htp,snapea", "--data", "data.npz", "--calib", "100",
                  "-o", "out.onnx", "--report", "run.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "run.json").read_text())["results"]
    assert results["quantize"]["folded"].get("dense-batchnorm") == 1
    assert [e["mode"] for e in results["snapea"]["layers"]] == ["exact"]
    assert results["network_quality"]["agreement"] >= 0.9
