"""Facts about `nn` graphs that every room reads: layer names, constant values, the batch size.

- `layer_name(op)`: the ONNX node name of an op, else its first result's name.
- `constant_of(value)`: the array a value holds when it is a constant, also through
  `nn.dequantize`, `nn.reshape` and `nn.transpose` of constants.
- `rebatch(module)`: a network with a fixed batch of 1 (mnist-8) made batchable in place: the
  batch dimension of inputs and outputs becomes symbolic and a constant reshape target that starts
  with that 1 starts with 0 instead (ONNX: copy the input's dimension), so that a target such as
  `[1, -1]` (PyTorch's flatten at batch 1) keeps its one -1.
"""

from __future__ import annotations

import numpy as np

from .attributes import DenseArray
from .core import Module, Op, Value
from .diagnostics import NameLoc
from .dialects import nn
from .types import TensorType

__all__ = ["constant_of", "layer_name", "rebatch"]


def layer_name(op: Op) -> str:
    """A stable name for an op: its ONNX node name, else its first result's name."""
    if isinstance(op.loc, NameLoc) and op.loc.name:
        return op.loc.name
    return op.results[0].name or op.name


def constant_of(v: Value) -> np.ndarray | None:
    """The value of `v` when it is a constant (or a dequantized, reshaped or transposed one)."""
    op = v.owner
    if isinstance(op, nn.ConstantOp):
        return np.asarray(op.attr("value").array)
    if isinstance(op, nn.DequantizeOp):
        parts = [constant_of(o) for o in op.operands]
        if any(p is None for p in parts):
            return None
        q, scale = parts[0].astype(np.float64), parts[1].astype(np.float64)
        zero = parts[2].astype(np.float64) if len(parts) > 2 else np.zeros_like(scale)
        axis = op.attr("axis", 1)
        if scale.ndim == 1 and scale.size > 1:
            shape = [1] * q.ndim
            shape[axis % q.ndim] = scale.size
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        return ((q - zero) * scale).astype(np.float32)
    if isinstance(op, nn.ReshapeOp):
        data, shape = constant_of(op.operand(0)), constant_of(op.operand(1))
        if data is None or shape is None:
            return None
        target = [data.shape[i] if s == 0 else int(s) for i, s in enumerate(shape.tolist())]
        return data.reshape(target)
    if isinstance(op, nn.TransposeOp):
        data = constant_of(op.operand(0))
        return None if data is None else np.transpose(data, op.attr("perm"))
    return None


def rebatch(module: Module) -> bool:
    """Make a batch-1 network batchable in place (see the module docstring); True if changed."""
    g = module.top_graph
    fixed = [v for v in g.inputs if isinstance(v.type, TensorType) and v.type.shape[:1] == (1,)]
    if not fixed:
        return False
    for v in [*fixed, *g.outputs]:
        if isinstance(v.type, TensorType) and v.type.shape[:1] == (1,):
            v.type = TensorType(("N", *v.type.shape[1:]), v.type.dtype)
    for op in list(g.ops):
        if isinstance(op, nn.ReshapeOp) and isinstance(op.operand(1).owner, nn.ConstantOp):
            target = np.asarray(op.operand(1).owner.attr("value").array)
            if target.ndim == 1 and target.size and target[0] == 1 and not op.attr("allowzero", 0):
                const = g.create(nn.ConstantOp, [], [op.operand(1).type],
                                 {"value": DenseArray(np.concatenate([[0], target[1:]]).astype(target.dtype))})
                op.set_operand(1, const.result)
    return True
