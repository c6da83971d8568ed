"""Networks from the command line: bad input gets one clear line, a non-zero exit, no output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = str(CORPORA / "onnx" / "mnist8" / "model.onnx")


def axc_opt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "axc", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _no_inputs(path: Path) -> None:
    const = helper.make_node("Constant", [], ["y"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))
    graph = helper.make_graph([const], "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.mark.parametrize(
    ("case", "pipeline", "message"),
    [
        ("corrupt", "quantize", "error:"),
        ("no-inputs", "dce", "no inputs"),
        ("bad-shape", "quantize", "shape"),
        ("bits-1", "quantize{bits=1}", "bits"),
        ("bits-33", "quantize{bits=33}", "bits"),
    ],
)
def test_bad_network_input(tmp_path: Path, case: str, pipeline: str, message: str) -> None:
    model, data = MNIST8, str(CORPORA / "datasets" / "mnist")
    if case == "corrupt":
        model = str(tmp_path / "corrupt.onnx")
        Path(model).write_bytes(Path(MNIST8).read_bytes()[:3000])
    elif case == "no-inputs":
        model = str(tmp_path / "empty.onnx")
        _no_inputs(Path(model))
    elif case == "bad-shape":
        data = str(tmp_path / "wrong.npz")
        np.savez(data, x=np.zeros((4, 3, 32, 32), np.float32))
    run = axc_opt(model, "-p", pipeline, "--data", data, "-o", "out.onnx", cwd=tmp_path)
    assert run.returncode != 0
    lines = [ln for ln in run.stderr.strip().splitlines() if "error" in ln]
    assert len(lines) == 1 and message in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out.onnx").exists()
