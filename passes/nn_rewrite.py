"""Helpers for rewrites of `nn` graphs: reading constants, single readers, new constants."""

from __future__ import annotations

import numpy as np
from axc.ir import DenseArray, Graph, Op, TensorType, Value
from axc.ir.dialects import nn
from axc.ir.dtypes import dtype_of_array

__all__ = ["constant_array", "erase_if_dead", "new_constant", "only_reader", "per_channel_vector"]


def constant_array(value: Value) -> np.ndarray | None:
    """The tensor of an `nn.constant` result (None for any other value)."""
    op = value.owner
    if isinstance(op, nn.ConstantOp):
        return op.attr("value").array
    return None


def only_reader(value: Value) -> Op | None:
    """The one op that reads `value`, when it is read exactly once and is not a graph output."""
    uses = value.uses
    if len(uses) != 1:
        return None
    user = uses[0].op
    graph = value.graph
    if graph is not None and user is graph.output_op:
        return None
    return user


def new_constant(graph: Graph, array: np.ndarray, name: str | None, dtype: str | None = None) -> Value:
    """A new `nn.constant` holding `array` (IR element type `dtype`, default from the array)."""
    array = np.ascontiguousarray(array)
    t = TensorType(tuple(int(d) for d in array.shape), dtype or dtype_of_array(array))
    return graph.create(nn.ConstantOp, [], [t], {"value": DenseArray(array)}, names=[name]).result


def erase_if_dead(op: Op | None) -> None:
    """Erase a constant (or any op) once nothing reads its results."""
    if op is not None and op.graph is not None and not any(r.has_uses for r in op.results):
        op.graph.erase(op)


def per_channel_vector(array: np.ndarray, out_rank: int, channels: int, axis: int = 1) -> np.ndarray | None:
    """`array` as a vector of `channels` entries when it broadcasts along `axis` of a rank-`out_rank`
    tensor only (every other axis of size 1, no extra leading axes); None otherwise."""
    if array.ndim > out_rank:
        return None
    shape = (1,) * (out_rank - array.ndim) + tuple(array.shape)
    for i, d in enumerate(shape):
        if i != axis and d != 1:
            return None
    if shape[axis] not in (1, channels):
        return None
    return np.broadcast_to(array.reshape(-1), (channels,)).copy() if shape[axis] == 1 else array.reshape(channels).copy()
