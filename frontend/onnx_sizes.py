"""Size checks of an ONNX model, run on the protobuf before anything is built from it.

`check_model_sizes` walks the main graph and every subgraph (the bodies of If, Loop, Scan...)
once: subgraphs nest at most `max_depth` deep, the model has at most `max_nodes` nodes, and every
tensor it declares (initializers, sparse initializers, tensor attributes such as a Constant's
value, the shapes of graph inputs, outputs and value_info) has at most `max_tensor_elements`
elements. Given the model's folder, it also bounds what external data files would supply, before
they are read: no more bytes than the tensor's declared shape can use. Errors are located at the
model file and name the node, tensor or value (see `axc.frontend.limits`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import onnx
from axc.ir import FileLoc, InputError
from onnx import GraphProto, ModelProto, NodeProto, TensorProto

from .limits import Limits

__all__ = ["MAX_BYTES_PER_ELEMENT", "check_model_sizes", "shape_problem"]

MAX_BYTES_PER_ELEMENT = 8
"""The widest element type the IR holds (f64, i64, u64), in bytes."""


def shape_problem(dims: list[int | str] | tuple[int | str, ...], limits: Limits) -> str | None:
    """Why a shape is refused (more than `max_tensor_elements` elements), or None; symbolic
    dimensions count as 1."""
    count = math.prod(d for d in dims if isinstance(d, int) and d > 0)
    if count > limits.max_tensor_elements:
        shown = "x".join(str(d) for d in dims)
        return (f"a shape of {count} elements ({shown}): above the limit of "
                f"{limits.max_tensor_elements} (--max-tensor-elements)")
    return None


class _Walk:
    """One pass over a model's graphs, counting nodes and checking each declared size."""

    def __init__(self, limits: Limits, where: FileLoc, base_dir: str | None) -> None:
        self.limits = limits
        self.where = where
        self.base_dir = base_dir
        self.nodes = 0

    def fail(self, message: str) -> InputError:
        return InputError(message, self.where)

    def shape(self, dims: Sequence[int], what: str, name: str) -> None:
        problem = shape_problem(tuple(dims), self.limits)
        if problem is not None:
            raise self.fail(f"{what} '{name}' declares {problem}")

    def tensor(self, tensor: TensorProto, what: str, name: str | None = None) -> None:
        name = tensor.name if name is None else name
        self.shape(tensor.dims, what, name)
        if self.base_dir is not None and tensor.data_location == TensorProto.EXTERNAL:
            supplied = _external_bytes(tensor, self.base_dir)
            need = max(1, math.prod(tensor.dims)) * MAX_BYTES_PER_ELEMENT
            if supplied is not None and supplied > need:
                raise self.fail(f"{what} '{name}': its external data holds {supplied} bytes, more than "
                                f"its shape {list(tensor.dims)} needs")

    def graph(self, graph: GraphProto, depth: int) -> None:
        for t in graph.initializer:
            self.tensor(t, "initializer")
        for s in graph.sparse_initializer:
            self.shape(s.dims, "sparse initializer", s.values.name)
            self.tensor(s.values, "sparse initializer")
            self.tensor(s.indices, "sparse initializer", s.values.name)
        for vi in (*graph.input, *graph.output, *graph.value_info):
            self.value_info(vi)
        for node in graph.node:
            self.node(node, depth)

    def value_info(self, vi: onnx.ValueInfoProto) -> None:
        if vi.type.WhichOneof("value") != "tensor_type" or not vi.type.tensor_type.HasField("shape"):
            return
        dims = [d.dim_value if d.HasField("dim_value") else "?" for d in vi.type.tensor_type.shape.dim]
        problem = shape_problem(dims, self.limits)
        if problem is not None:
            raise self.fail(f"value '{vi.name}' is declared with {problem}")

    def node(self, node: NodeProto, depth: int) -> None:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self.fail(f"the model has more than {self.limits.max_nodes} nodes (--max-nodes); "
                            f"node '{node.name or node.op_type}' is one too many")
        label = f"node '{node.name or node.op_type}'"
        for a in node.attribute:
            for t in (a.t, *a.tensors) if a.type in (a.TENSOR, a.TENSORS) else ():
                self.tensor(t, f"{label}: tensor")
            if a.type == a.SPARSE_TENSOR:
                self.shape(a.sparse_tensor.dims, f"{label}: sparse tensor", a.name)
                self.tensor(a.sparse_tensor.values, f"{label}: sparse tensor", a.name)
            subgraphs = [a.g] if a.type == a.GRAPH else list(a.graphs) if a.type == a.GRAPHS else []
            if subgraphs and depth >= self.limits.max_depth:
                raise self.fail(f"{label}: subgraphs nest deeper than {self.limits.max_depth} (--max-depth)")
            for g in subgraphs:
                self.graph(g, depth + 1)


def check_model_sizes(model: ModelProto, limits: Limits, where: FileLoc, base_dir: str | None = None) -> None:
    """Refuse a model over a limit (see the module docstring) with an `InputError` at `where`;
    external data is sized in `base_dir` when it is given."""
    walk = _Walk(limits, where, base_dir)
    walk.graph(model.graph, 0)
    for function in model.functions:
        for node in function.node:
            walk.node(node, 0)


def _external_bytes(tensor: TensorProto, base_dir: str) -> int | None:
    """How many bytes the external data of `tensor` would supply (its `length`, else the rest of
    its file after `offset`); None when unknown or when the location is not a plain relative
    path (onnx refuses those when it loads the data)."""
    info = {e.key: e.value for e in tensor.external_data}
    location = info.get("location", "")
    try:
        if "length" in info:
            return int(info["length"])
        if not location or os.path.isabs(location) or ".." in location.replace("\\", "/").split("/"):
            return None
        return os.path.getsize(os.path.join(base_dir, location)) - int(info.get("offset", 0))
    except (OSError, ValueError):
        return None

