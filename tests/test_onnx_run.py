"""The ONNX Runtime runner computes QDQ models exactly, whatever the CPU."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from axc.runtime.onnx_run import OnnxRunner, has_per_axis_left_weights
from onnx import TensorProto, helper, numpy_helper

K, N = 16, 8
"""Products per output: 8 pairs of 255 x 120, each pair 61,200 (over int16's 32,767); N outputs
(ONNX Runtime takes another, exact, kernel for a single output channel)."""
OUT_SCALE = 4096.0


def _model(nodes: list[onnx.NodeProto], inits: dict[str, np.ndarray], x_shape: list[int],
           y_shape: list[int]) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
                              [numpy_helper.from_array(a, n) for n, a in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def _qdq_layer(op: str) -> onnx.ModelProto:
    """uint8 activations (scale 1) times int8 weights, requantized to uint8: a QLinearConv or
    QLinearMatMul once ONNX Runtime fuses the QDQ groups."""
    w = np.full((N, 1, 1, K) if op == "Conv" else (K, N), 120, np.int8)
    inits = {"w": w, "one": np.float32(1), "zu": np.uint8(0), "zs": np.int8(0),
             "so": np.float32(OUT_SCALE)}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "one", "zu"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "one", "zu"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "one", "zs"], ["wd"]),
        helper.make_node(op, ["xd", "wd"], ["acc"]),
        helper.make_node("QuantizeLinear", ["acc", "so", "zu"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "so", "zu"], ["y"]),
    ]
    shape = [1, 1, 1, K] if op == "Conv" else [1, K]
    return _model(nodes, inits, shape, [1, N, 1, 1] if op == "Conv" else [1, N])


@pytest.mark.parametrize("op", ["Conv", "MatMul"])
def test_fused_integer_kernels_do_not_saturate(op: str) -> None:
    """x86 without VNNI adds pairs of u8 x s8 products in saturating 16-bit sums by default
    (half the exact value here); the runner's sessions must not."""
    model = _qdq_layer(op)
    x = np.full([d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim], 255, np.float32)
    exact = np.round(K * 255 * 120 / OUT_SCALE) * OUT_SCALE
    assert np.all(OnnxRunner(model).run({"x": x})[0] == exact)
    assert np.all(OnnxRunner(model, fuse_qdq=False).run({"x": x})[0] == exact)


def test_per_row_left_weights_run_unfused() -> None:
    """`W @ x` with W quantized per row: ONNX Runtime's exact integer kernels refuse it, so the
    runner keeps its QDQ groups unfused (also exact) instead of failing at run time."""
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, size=(3, 6)).astype(np.int8)
    scale = np.array([0.01, 0.02, 0.03], np.float32)
    inits = {"w": w, "ws": scale, "wz": np.zeros(3, np.int8), "xs": np.float32(0.05), "xz": np.int8(0)}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], axis=0),
        helper.make_node("MatMul", ["wd", "xd"], ["y"]),
    ]
    model = _model(nodes, inits, [6, 2], [3, 2])
    assert has_per_axis_left_weights(model) and not has_per_axis_left_weights(_qdq_layer("MatMul"))
    x = rng.normal(size=(6, 2)).astype(np.float32)
    xq = np.clip(np.round(x / 0.05), -128, 127)
    want = (w * scale[:, None]) @ (xq * np.float32(0.05))
    assert np.allclose(OnnxRunner(model).run({"x": x})[0], want, rtol=1e-5, atol=1e-5)
