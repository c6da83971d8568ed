"""The snapea pass on real networks: exact mode is lossless, predictive mode keeps its budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from axc.frontend.onnx_import import import_model, load_onnx
from axc.ir import DenseArray, Graph, InputError, Module, TensorType, verify
from axc.ir.dialects import approx, nn
from axc.ir.network import rebatch
from axc.passes.infra.base import PassContext
from axc.passes.network.approx_mul import ApproxMulPass
from axc.passes.network.quantize import QuantizePass
from axc.passes.snapea import SnapeaPass
from axc.runtime.lowering import lower_approx
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.onnx_run import OnnxRunner
from onnx import TensorProto, helper, numpy_helper

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
RESNET8 = CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"
MNIST = CORPORA / "datasets" / "mnist"


def _run(module: Module, pass_: SnapeaPass) -> PassContext:
    ctx = PassContext(quiet=True)
    pass_.requires(module)
    pass_.apply(ctx, module)
    verify(module)
    return ctx


def test_exact_mode_on_mnist8_is_lossless_and_saves_macs() -> None:
    module = load_onnx(str(MNIST8), {})
    original = module.clone()
    ctx = _run(module, SnapeaPass(data=str(MNIST), calib=300, verify=200))
    report = ctx.report["snapea"]
    assert [entry["mode"] for entry in report["layers"]] == ["exact", "exact"]
    assert len(module.top_graph.ops_of(approx.EarlyReluOp)) == 2
    for entry in report["layers"]:
        assert 0.3 < entry["fraction"] < 0.95
    assert report["verification"]["agreement"] == 1.0
    lower_approx(module)
    verify(module)
    x = dataset_for_module(str(MNIST), module).x[:64]
    np.testing.assert_array_equal(OnnxRunner(module).run_batched(x), OnnxRunner(original).run_batched(x))


def test_exact_mode_on_resnet8_with_real_valued_inputs() -> None:
    module = load_onnx(str(RESNET8), {})
    original = module.clone()
    rng = np.random.default_rng(0)
    data = Path(__file__).parent / "_resnet8_inputs.npz"
    np.savez(data, x=rng.random((24, 32, 32, 3), dtype=np.float32))
    try:
        ctx = _run(module, SnapeaPass(data=str(data), calib=8, verify=16))
    finally:
        data.unlink()
    report = ctx.report["snapea"]
    assert len(report["layers"]) == 4
    reasons = {entry["reason"] for entry in report["skipped"]}
    assert any("residual" in r or "per-channel constant" in r for r in reasons)
    assert report["total"]["fraction"] < 1.0
    lower_approx(module)
    x = rng.random((4, 32, 32, 3), dtype=np.float32)
    np.testing.assert_array_equal(OnnxRunner(module).run_batched(x), OnnxRunner(original).run_batched(x))


def test_predictive_mode_stays_within_budget_on_its_verification_slice() -> None:
    module = load_onnx(str(MNIST8), {})
    ctx = _run(module, SnapeaPass(accuracy_loss=0.02, data=str(MNIST), calib=600, verify=400,
                                  profile_samples=200, ops_samples=8, n_grid=(2, 8), quantiles=(0.1, 0.3),
                                  max_configs=3))
    report = ctx.report["snapea"]
    assert report["search"]["calibration_error"] <= 0.02
    assert report["total"]["fraction"] < min(entry["fraction"] for entry in report["layers"]) + 1
    assert any(entry["mode"] == "predictive" for entry in report["layers"])
    assert ctx.samples_seen == 1000  # search and verification: the run evaluates after them
    lower_approx(module)
    data = dataset_for_module(str(MNIST), module)
    pred = OnnxRunner(module).run_batched(data.x[600:1000]).argmax(axis=1)
    measured = float(np.mean(pred == data.y[600:1000]))
    assert measured == pytest.approx(report["verification"]["top1"], abs=1e-9)


def test_predictive_mode_without_data_is_refused() -> None:
    module = load_onnx(str(MNIST8), {})
    with pytest.raises(InputError, match="needs calibration data"):
        SnapeaPass(accuracy_loss=0.01).requires(module)


def test_nothing_to_do_and_negative_inputs_are_reported() -> None:
    m = Module()
    g = m.add_graph(Graph("net", "nn"))
    x = g.add_input("x", TensorType(("N", 1, 4, 4)))
    w = g.create(nn.ConstantOp, [], [TensorType((2, 1, 3, 3))],
                 {"value": DenseArray(np.ones((2, 1, 3, 3), np.float32))})
    conv = g.create(nn.ConvOp, [x, w.result], [TensorType(("N", 2, 4, 4))], {"pads": [1, 1, 1, 1]})
    relu = g.create(nn.ReluOp, [conv.result], [conv.result.type])
    g.set_outputs([relu.result], ["y"])
    path = Path(__file__).parent / "_signed_inputs.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(6, 1, 4, 4)).astype(np.float32))
    try:
        ctx = _run(m, SnapeaPass(data=str(path), calib=3))
    finally:
        path.unlink()
    report = ctx.report["snapea"]
    assert report["layers"] == []
    assert report["skipped"][0]["reason"] == "input is not provably non-negative"
    ctx = _run(m, SnapeaPass())
    assert "no --data" in ctx.report["snapea"]["skipped"][0]["reason"]


def test_composition_with_approximate_multipliers() -> None:

    data = str(MNIST)
    exact_mul = load_onnx(str(MNIST8), {})
    ctx = PassContext(quiet=True)
    QuantizePass(data=data, calib=200).apply(ctx, exact_mul)
    approx_net = exact_mul.clone()
    ApproxMulPass(multiplier="exact").apply(ctx, exact_mul)
    reference = exact_mul.clone()
    ctx = _run(exact_mul, SnapeaPass(data=data, calib=100, verify=100))
    report = ctx.report["snapea"]
    assert [entry["mode"] for entry in report["layers"]] == ["exact", "exact"]
    assert report["verification"]["agreement"] == 1.0 and report["total"]["fraction"] < 0.9
    x = dataset_for_module(data, reference).x[:16]
    np.testing.assert_array_equal(OnnxRunner(exact_mul).run_batched(x), OnnxRunner(reference).run_batched(x))

    # drum takes the network's operands as they are (unsigned activations, signed weights, zero
    # points 0): x >= 0, w <= 0 gives a product <= 0, so exact early termination applies
    drum_net = approx_net.clone()
    ApproxMulPass(multiplier="drum{k=4}").apply(PassContext(quiet=True), drum_net)
    reference = drum_net.clone()
    ctx = _run(drum_net, SnapeaPass(data=data, calib=100, verify=100))
    assert [entry["mode"] for entry in ctx.report["snapea"]["layers"]] == ["exact", "exact"]
    np.testing.assert_array_equal(OnnxRunner(drum_net).run_batched(x), OnnxRunner(reference).run_batched(x))
    # a signed design takes unsigned activations as 7-bit codes by default (zero stays zero) ...
    signed_net = approx_net.clone()
    ApproxMulPass(multiplier="drum{k=4,signed=1}").apply(PassContext(quiet=True), signed_net)
    ctx = _run(signed_net, SnapeaPass(data=data, calib=100, verify=100))
    assert [entry["mode"] for entry in ctx.report["snapea"]["layers"]] == ["exact", "exact"]
    # ... and with signs=shift the activations move by -128: products of x >= 0 and w <= 0 turn positive
    ApproxMulPass(multiplier="drum{k=4,signed=1}", signs="shift").apply(PassContext(quiet=True), approx_net)
    ctx = _run(approx_net, SnapeaPass(data=data, calib=100, verify=100))
    reasons = [entry["reason"] for entry in ctx.report["snapea"]["skipped"]]
    assert len(reasons) == 2 and all("positive products" in r for r in reasons)
    said = [m for m in ctx.messages if " skipped: " in m]  # the terminal gives the report's reasons
    assert said == [f"snapea: {e['layer']} skipped: {e['reason']}" for e in ctx.report["snapea"]["skipped"]]
    assert ctx.messages[-1] == "snapea: nothing to do: every conv+ReLU layer was skipped (reasons above)"


def test_rebatch_keeps_a_flatten_to_one_and_minus_one() -> None:
    """PyTorch exports flatten at batch 1 as Reshape([1, -1]): batching it must not make two -1."""
    rng = np.random.default_rng(0)
    conv_w = numpy_helper.from_array(rng.normal(size=(2, 1, 3, 3)).astype(np.float32), "conv_w")
    fc_w = numpy_helper.from_array(rng.normal(size=(32, 10)).astype(np.float32), "fc_w")
    shape = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "flat_shape")
    nodes = [helper.make_node("Conv", ["x", "conv_w"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "flat_shape"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "fc_w"], ["y"], name="fc")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                              [conv_w, fc_w, shape])
    module = import_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    x = rng.normal(size=(5, 1, 6, 6)).astype(np.float32)
    one_by_one = np.concatenate([OnnxRunner(module).run({"x": x[i:i + 1]})[0] for i in range(5)])
    assert rebatch(module)
    batched = OnnxRunner(module).run({"x": x})[0]
    assert batched.shape == (5, 10) and np.allclose(batched, one_by_one, atol=1e-5)
