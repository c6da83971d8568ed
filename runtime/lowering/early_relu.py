"""Emission of `approx.early_relu` (from the `snapea` pass) as standard nn ops.

The original computation stays: the ReLU comes back as `nn.relu`. The per-kernel MAC order,
group counts N, thresholds Th and phase boundaries go into the module's ONNX metadata
(`metadata_props` key `axc.snapea.<conv>`, a JSON object with `order`, `n`, `th`, `pos_end`) for
a hardware flow to read; initializers that no node reads would only make ONNX Runtime warn. A predictive layer is also expressed with standard ops, so ONNX Runtime measures
its real accuracy: `relu * Cast(Conv(x, W_spec, b) > Th)`, where W_spec keeps only the
speculative weights of each kernel (Th = -inf for kernels left in exact mode).
"""

from __future__ import annotations

import json

import numpy as np
from axc.ir import Graph, Op, TensorType, Value, canonical_attr
from axc.ir.dialects import nn
from axc.ir.rewrite import Builder

__all__ = ["lower_early_relu", "speculative_mask"]


def lower_early_relu(graph: Graph, op: Op) -> None:
    """Replace one `approx.early_relu` by plain ops (see the module docstring)."""
    pre, x = op.operands
    conv = op.attr("conv")
    b = Builder(graph)
    relu = graph.create(nn.ReluOp, [pre], [op.result.type], loc=op.loc, names=[op.result.name])
    out = relu.result
    n_spec = np.asarray(op.attr("n_spec").array)
    order = np.asarray(op.attr("order").array)
    threshold = np.asarray(op.attr("threshold").array, dtype=np.float32)
    plan = {"order": order.tolist(), "n": n_spec.tolist(), "th": threshold.tolist(),
            "pos_end": np.asarray(op.attr("pos_end").array).tolist()}
    if graph.module is not None:
        facts = dict(graph.module.attributes.get("onnx") or {})
        metadata = dict(facts.get("metadata_props") or {})
        metadata[f"axc.snapea.{conv}"] = json.dumps(plan, separators=(",", ":"))
        graph.module.attributes["onnx"] = canonical_attr({**facts, "metadata_props": metadata})
    if n_spec.any():
        weight = np.asarray(op.attr("weight").array, dtype=np.float32)
        flat = weight.reshape(weight.shape[0], -1)
        mask = np.zeros_like(flat, dtype=bool)
        for k, n in enumerate(n_spec):
            mask[k, order[k, :n]] = True
        spec_w = b.constant(np.where(mask, flat, 0).reshape(weight.shape).astype(np.float32),
                            f"{conv}.snapea.spec_w")
        bias = b.constant(np.asarray(op.attr("bias").array, dtype=np.float32), f"{conv}.snapea.bias")
        th = np.where(n_spec > 0, threshold, -np.inf).astype(np.float32).reshape(1, -1, 1, 1)
        th_value = b.constant(th, f"{conv}.snapea.th_mask")
        attrs = {"strides": op.attr("strides"), "pads": op.attr("pads"), "dilations": op.attr("dilations")}
        spec = b.create(nn.ConvOp, [x, spec_w, bias], [pre.type], attrs, names=[f"{conv}.snapea.partial"])
        out = speculative_mask(graph, relu.result, spec.result, th_value)
    b.replace(op, [out])


def speculative_mask(g: Graph, activation: Value, spec: Value, th: Value) -> Value:
    """`activation * Cast(spec > th, float)`: the activation, zeroed where spec <= th."""
    keep_t = TensorType(spec.type.shape, "bool")
    keep = g.create(nn.OpaqueOp, [spec, th], [keep_t], {"op_type": "Greater", "domain": ""})
    as_float = g.create(nn.OpaqueOp, [keep.result], [activation.type],
                        {"op_type": "Cast", "domain": "", "to": 1})
    return g.create(nn.MulOp, [activation, as_float.result], [activation.type]).result
