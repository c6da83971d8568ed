"""The `constant-fold` pass: evaluate ops whose inputs are all constants, in ONNX Runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from axc.ir import Graph, Module, Op, TensorType, Value
from axc.ir.dialects import nn
from axc.ir.dtypes import storage_dtype
from axc.ir.rewrite import Builder
from axc.runtime.onnx_run import OnnxRunner

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["ConstantFoldPass"]

_NONDETERMINISTIC = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
_CONTROL_FLOW = frozenset({"If", "Loop", "Scan", "SequenceMap"})


@dataclass(frozen=True)
class ConstantFoldPass(ModulePass):
    """Replace ops whose operands are all constants by the constants they compute.

    The foldable region (ops fed only by `nn.constant`s and other foldable ops) is cut out into
    one small ONNX model, run once in ONNX Runtime, and every value of the region that the rest
    of the graph reads becomes an `nn.constant`; the region is then removed. Kept as they are:
    random ops, control flow, ops of non-standard domains, results whose shape is not static or
    larger than `max_elements`, and, unless `fold_qdq`, Quantize/DequantizeLinear (so quantized
    weights keep their integer view).
    """

    name: ClassVar[str] = "constant-fold"

    max_elements: int = 1 << 24
    """Largest result (in elements) that may become a constant; bigger ones stay computed."""
    fold_qdq: bool = False
    """Also fold QuantizeLinear/DequantizeLinear of constant weights into float constants."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        folded = created = 0
        for graph in module.graphs.values():
            if graph.kind != "nn":
                continue
            region = self.foldable_region(graph)
            if not region:
                continue
            created += _fold_region(module, graph, region)
            folded += len(region)
        stats = {"ops_folded": folded, "constants_created": created}
        ctx.report[self.name] = stats
        return PassResult(modified=folded > 0, stats=stats)

    def foldable(self, op: Op) -> bool:
        if isinstance(op, nn.ConstantOp) or not op.operands or op.dialect != "nn":
            return False
        if isinstance(op, nn.QuantizeOp | nn.DequantizeOp) and not self.fold_qdq:
            return False
        if isinstance(op, nn.OpaqueOp):
            if op.attr("domain", "") not in ("", "ai.onnx") or op.attr("_captures"):
                return False
            if op.attr("op_type") in _NONDETERMINISTIC | _CONTROL_FLOW:
                return False
        for r in op.results:
            t = r.type
            if not isinstance(t, TensorType) or not t.is_static or t.numel > self.max_elements:
                return False
        return True

    def foldable_region(self, graph: Graph) -> list[Op]:
        region: dict[Op, None] = {}
        for op in graph.topo_order():
            if all(isinstance(v.owner, nn.ConstantOp) or v.owner in region for v in op.operands) and self.foldable(op):
                region[op] = None
        return list(region)


def _fold_region(module: Module, graph: Graph, region: list[Op]) -> int:
    """Evaluate `region` in ONNX Runtime, replace its live results by constants, erase it."""
    members = set(region)
    boundary: list[Value] = []
    for op in region:
        for r in op.results:
            if any(u.op not in members for u in r.uses):
                boundary.append(r)
    sub = Module(module.attributes)
    sub_graph = Graph("fold", kind="nn")
    sub.add_graph(sub_graph)
    mapped: dict[Value, Value] = {}
    for op in region:
        for v in op.operands:
            if v not in mapped and isinstance(v.owner, nn.ConstantOp):
                c = sub_graph.create(nn.ConstantOp, [], [v.type], v.owner.attributes, names=[v.name])
                mapped[v] = c.result
        copy = sub_graph.create(
            type(op), [mapped[v] for v in op.operands], [r.type for r in op.results], op.attributes, op.loc,
            [r.name for r in op.results],
        )
        mapped.update(zip(op.results, copy.results))
    sub_graph.set_outputs([mapped[v] for v in boundary], [f"folded_{i}" for i in range(len(boundary))])
    arrays = OnnxRunner(sub).run({}) if boundary else []
    b = Builder(graph)
    for value, array in zip(boundary, arrays):
        t = value.type
        array = np.asarray(array).astype(storage_dtype(t.dtype), copy=False).reshape(t.shape)
        value.replace_all_uses_with(b.constant(array, value.name, t.dtype, takes_over=True))
    inputs = [v for op in region for v in op.operands if isinstance(v.owner, nn.ConstantOp)]
    for op in reversed(region):
        b.erase(op)
    b.erase_dead(inputs)
    return len(boundary)
