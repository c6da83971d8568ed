"""retrain: weights change, are written back into the IR, and the lowered model agrees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from axc.ir import InputError, verify
from axc.ir.dialects import approx
from axc.passes.infra.base import PassContext
from axc.passes.network.approx_mul import ApproxMulPass
from axc.passes.network.htp import HtpPass
from axc.passes.network.quantize import QuantizePass
from axc.passes.network.retrain import RetrainPass
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.torch_net import to_torch
from test_approx_mul_pass import _ort_outputs

from axc.formats import get_loader

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
MNIST = str(CORPORA / "datasets" / "mnist")


def test_retrain_writes_back_weights_that_the_lowered_model_uses(tmp_path) -> None:
    module = get_loader("onnx")(str(MNIST8), {})
    ctx = PassContext(quiet=True)
    QuantizePass(calib=64, data=MNIST).apply(ctx, module)
    ApproxMulPass(multiplier="drum{k=3}").apply(ctx, module)
    HtpPass().apply(ctx, module)
    before = [np.asarray(op.attr("quant")["w_int"].array).copy()
              for op in module.top_graph.ops_of(approx.HtpOp)]
    RetrainPass(data=MNIST, samples=256, eval_samples=128, batch=32, lr=1e-3).apply(ctx, module)
    verify(module)
    report = ctx.report["retrain"]
    assert report["train_samples"] == 256 and report["eval_samples"] == 128
    assert 0 <= report["top1_after"] <= 1 and report["tensors_updated"] >= 3
    after = [np.asarray(op.attr("quant")["w_int"].array) for op in module.top_graph.ops_of(approx.HtpOp)]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    # the IR after write-back computes what the trained torch module computes

    x = dataset_for_module(MNIST, module).x[9000:9004].astype(np.float32)
    net = to_torch(module)
    with torch.no_grad():
        y = np.concatenate([net(torch.from_numpy(x[i:i + 1])).numpy() for i in range(len(x))])

    assert np.abs(_ort_outputs(module, x, tmp_path) - y).max() < 1e-3


def test_retrain_needs_labelled_data() -> None:
    module = get_loader("onnx")(str(MNIST8), {})
    with pytest.raises(InputError, match="needs labelled data"):
        RetrainPass().apply(PassContext(quiet=True), module)
    with pytest.raises(InputError, match="epochs=0"):
        RetrainPass(epochs=0, data=MNIST).apply(PassContext(quiet=True), module)
