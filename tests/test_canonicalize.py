"""Canonicalisation passes on networks: constant-fold, fold-batchnorm, fold-conv-bias.

Each rewrite must keep ONNX Runtime's outputs (1e-5 relative to the output range) and verify.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend.onnx_import import import_model, load_onnx
from axc.ir import Module, verify
from axc.ir.dialects import nn
from axc.passes.infra.base import PassContext
from axc.passes.infra.registry import get_pass
from axc.runtime.onnx_run import OnnxRunner
from onnx import TensorProto, helper, numpy_helper

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
CANONICAL = ("constant-fold", "fold-batchnorm", "fold-conv-bias")


def _run_passes(module: Module, names=CANONICAL) -> dict[str, int]:
    stats: dict[str, int] = {}
    for name in names:
        result = get_pass(name)().apply(PassContext(quiet=True), module)
        verify(module)
        stats.update(result.stats)
    return stats


def _ops(module: Module) -> Counter:
    return Counter(op.name for op in module.top_graph.ops if not isinstance(op, nn.ConstantOp))


def _assert_same_outputs(before: Module, after: Module, x: np.ndarray) -> None:
    name = before.top_graph.inputs[0].name
    for a, b in zip(OnnxRunner(before).run({name: x}), OnnxRunner(after).run({name: x}), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-5 * max(1.0, float(np.abs(a).max())))


def test_mnist8_becomes_biased_convs_and_gemm() -> None:
    folder = CORPORA / "onnx" / "mnist8"
    module = load_onnx(str(folder / "model.onnx"), {})
    before = module.clone()
    stats = _run_passes(module)
    assert stats["conv_biases_folded"] == 2 and stats["gemms_formed"] == 1
    assert _ops(module) == Counter({"nn.conv": 2, "nn.relu": 2, "nn.maxpool": 2, "nn.reshape": 1, "nn.gemm": 1})
    assert all(len(c.operands) == 3 and c.operand(2).type.shape == (8 if i == 0 else 16,) for i, c in enumerate(module.top_graph.ops_of(nn.ConvOp)))
    for d in sorted(folder.glob("test_data_set_*")):
        x = numpy_helper.to_array(onnx.load_tensor(str(d / "input_0.pb")))
        expected = numpy_helper.to_array(onnx.load_tensor(str(d / "output_0.pb")))
        _assert_same_outputs(before, module, x)
        np.testing.assert_allclose(OnnxRunner(module).run({"Input3": x})[0], expected, rtol=1e-3, atol=1e-3)


def test_resnet8_mul_add_batchnorm_folds_into_convs() -> None:
    module = load_onnx(str(CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"), {})
    before = module.clone()
    stats = _run_passes(module)
    assert stats["muls_folded"] == 7 and stats["conv_biases_folded"] == 7
    ops = _ops(module)
    assert ops["nn.conv"] == 9 and ops["nn.mul"] == 0 and ops["nn.add"] == 3  # the residual adds stay
    x = np.random.default_rng(1).random((8, 32, 32, 3), dtype=np.float32)
    _assert_same_outputs(before, module, x)


@pytest.mark.parametrize("name", ["light_resnet50", "light_densenet121", "light_inception_v1"])
def test_light_models_fold(name: str) -> None:
    module = load_onnx(str(LIGHT / f"{name}.onnx"), {})
    before = module.clone()
    stats = _run_passes(module)
    assert stats["ops_folded"] > 0
    assert not any(op.attr("op_type") == "ConstantOfShape" for op in module.top_graph.ops)
    if name != "light_inception_v1":
        assert stats["batchnorms_folded"] > 0
    x = np.random.default_rng(2).random((1, 3, 224, 224), dtype=np.float32)
    _assert_same_outputs(before, module, x)


def _conv_model(extra_nodes, extra_inits, out_name: str, out_shape) -> onnx.ModelProto:
    rng = np.random.default_rng(3)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 9, 9])
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)
    inits = [numpy_helper.from_array(rng.normal(size=(6, 3, 3, 3)).astype(np.float32), "w")] + extra_inits
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv0"), *extra_nodes]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y], inits), opset_imports=[helper.make_opsetid("", 13)])


def _arr(a, name):
    return numpy_helper.from_array(np.asarray(a, np.float32), name)


def test_batchnorm_with_real_statistics_folds_exactly_enough() -> None:
    rng = np.random.default_rng(4)
    params = [_arr(rng.uniform(0.5, 2, 6), "g"), _arr(rng.normal(size=6), "b"), _arr(rng.normal(size=6), "m"), _arr(rng.uniform(0.1, 3, 6), "v")]
    bn = helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"], epsilon=1e-3)
    module = import_model(_conv_model([bn], params, "y", [2, 6, 9, 9]))
    before = module.clone()
    assert _run_passes(module, ["fold-batchnorm"])["batchnorms_folded"] == 1
    assert _ops(module) == Counter({"nn.conv": 1})
    _assert_same_outputs(before, module, rng.normal(size=(2, 3, 9, 9)).astype(np.float32))


@pytest.mark.parametrize("bias_shape", [(6, 1, 1), (1, 6, 1, 1), (1,), ()])
def test_conv_add_bias_shapes(bias_shape) -> None:
    bias = _arr(np.random.default_rng(5).normal(size=bias_shape), "bias")
    add = helper.make_node("Add", ["bias", "c"], ["y"])
    module = import_model(_conv_model([add], [bias], "y", [2, 6, 9, 9]))
    before = module.clone()
    assert _run_passes(module, ["fold-conv-bias"])["conv_biases_folded"] == 1
    assert _ops(module) == Counter({"nn.conv": 1})
    _assert_same_outputs(before, module, np.random.default_rng(6).normal(size=(2, 3, 9, 9)).astype(np.float32))


def test_non_channel_bias_and_shared_conv_are_left_alone() -> None:
    spatial = _arr(np.random.default_rng(7).normal(size=(6, 9, 9)), "bias")
    module = import_model(_conv_model([helper.make_node("Add", ["c", "bias"], ["y"])], [spatial], "y", [2, 6, 9, 9]))
    assert _run_passes(module, ["fold-conv-bias"])["conv_biases_folded"] == 0
    per_channel = _arr(np.ones((6, 1, 1)), "bias")
    nodes = [helper.make_node("Add", ["c", "bias"], ["a"]), helper.make_node("Mul", ["c", "a"], ["y"])]
    module = import_model(_conv_model(nodes, [per_channel], "y", [2, 6, 9, 9]))
    assert _run_passes(module, ["fold-conv-bias"])["conv_biases_folded"] == 0


def test_batchnorm_after_non_conv_stays() -> None:
    rng = np.random.default_rng(8)
    params = [_arr(rng.uniform(0.5, 2, 6), n) for n in "gbmv"]
    nodes = [helper.make_node("Relu", ["c"], ["r"]), helper.make_node("BatchNormalization", ["r", "g", "b", "m", "v"], ["y"])]
    module = import_model(_conv_model(nodes, params, "y", [2, 6, 9, 9]))
    assert _run_passes(module, ["fold-batchnorm"])["batchnorms_folded"] == 0
    assert _ops(module)["nn.batchnorm"] == 1


def test_constant_fold_keeps_weight_qdq_and_random_ops() -> None:
    w = np.random.default_rng(9).normal(size=(4, 4)).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
    nodes = [
        helper.make_node("Transpose", ["w"], ["wt"]),
        helper.make_node("QuantizeLinear", ["wt", "s"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "s"], ["dq"]),
        helper.make_node("MatMul", ["x", "dq"], ["y"]),
    ]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.float32(0.02), "s")]
    module = import_model(helper.make_model(helper.make_graph(nodes, "g", [x], [y], inits), opset_imports=[helper.make_opsetid("", 13)]))
    before = module.clone()
    stats = _run_passes(module, ["constant-fold"])
    assert stats["ops_folded"] == 1
    assert _ops(module) == Counter({"nn.quantize": 1, "nn.dequantize": 1, "nn.matmul": 1})
    wt = module.top_graph.ops_of(nn.QuantizeOp)[0].operand(0).owner
    assert isinstance(wt, nn.ConstantOp) and np.array_equal(wt.attr("value").array, w.T)
    _assert_same_outputs(before, module, np.ones((2, 4), np.float32))
