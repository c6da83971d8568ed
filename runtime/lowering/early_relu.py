"""Emission of `approx.early_relu` (from the `snapea` pass) as standard nn ops.

The original computation stays: the ReLU comes back as `nn.relu`. The per-kernel MAC order,
group counts N, thresholds Th and phase boundaries are kept as constants named
`<conv>.snapea.order`, `.n`, `.th`, `.pos_end` (initializers of the ONNX model) for a hardware
flow to read. A predictive layer is also expressed with standard ops, so ONNX Runtime measures
its real accuracy: `relu * Cast(Conv(x, W_spec, b) > Th)`, where W_spec keeps only the
speculative weights of each kernel (Th = -inf for kernels left in exact mode).
"""

from __future__ import annotations

import numpy as np
from axc.ir import DenseArray, Graph, Op, TensorType, Value
from axc.ir.dialects import nn

__all__ = ["lower_early_relu", "speculative_mask"]


def _constant(graph: Graph, array: np.ndarray, name: str) -> Op:
    dtype = {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}[array.dtype]
    return graph.create(nn.ConstantOp, [], [TensorType(array.shape, dtype)], {"value": DenseArray(array)},
                        names=[name])


def lower_early_relu(graph: Graph, op: Op) -> None:
    """Replace one `approx.early_relu` by plain ops (see the module docstring)."""
    pre, x = op.operands
    conv = op.attr("conv")
    relu = graph.create(nn.ReluOp, [pre], [op.result.type], loc=op.loc, names=[op.result.name])
    out = relu.result
    n_spec = np.asarray(op.attr("n_spec").array)
    order = np.asarray(op.attr("order").array)
    threshold = np.asarray(op.attr("threshold").array, dtype=np.float32)
    _constant(graph, order.astype(np.int32), f"{conv}.snapea.order")
    _constant(graph, n_spec.astype(np.int32), f"{conv}.snapea.n")
    _constant(graph, threshold, f"{conv}.snapea.th")
    _constant(graph, np.asarray(op.attr("pos_end").array).astype(np.int32), f"{conv}.snapea.pos_end")
    if n_spec.any():
        weight = np.asarray(op.attr("weight").array, dtype=np.float32)
        flat = weight.reshape(weight.shape[0], -1)
        mask = np.zeros_like(flat, dtype=bool)
        for k, n in enumerate(n_spec):
            mask[k, order[k, :n]] = True
        spec_w = _constant(graph, np.where(mask, flat, 0).reshape(weight.shape).astype(np.float32),
                           f"{conv}.snapea.spec_w")
        bias = _constant(graph, np.asarray(op.attr("bias").array, dtype=np.float32), f"{conv}.snapea.bias")
        th = np.where(n_spec > 0, threshold, -np.inf).astype(np.float32).reshape(1, -1, 1, 1)
        th_op = _constant(graph, th, f"{conv}.snapea.th_mask")
        attrs = {"strides": op.attr("strides"), "pads": op.attr("pads"), "dilations": op.attr("dilations")}
        spec = graph.create(nn.ConvOp, [x, spec_w.result, bias.result], [pre.type], attrs,
                            names=[f"{conv}.snapea.partial"])
        out = speculative_mask(graph, relu.result, spec.result, th_op.result)
    op.result.replace_all_uses_with(out)
    graph.erase(op)


def speculative_mask(g: Graph, activation: Value, spec: Value, th: Value) -> Value:
    """`activation * Cast(spec > th, float)`: the activation, zeroed where spec <= th."""
    keep_t = TensorType(spec.type.shape, "bool")
    keep = g.create(nn.OpaqueOp, [spec, th], [keep_t], {"op_type": "Greater", "domain": ""})
    as_float = g.create(nn.OpaqueOp, [keep.result], [activation.type],
                        {"op_type": "Cast", "domain": "", "to": 1})
    return g.create(nn.MulOp, [activation, as_float.result], [activation.type]).result
