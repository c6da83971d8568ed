"""The `lower-approx` pass: expand `approx.*` ops of networks into plain `nn` ops for emission.

Each approx op kind has one lowering function, `lower(graph, op) -> None`, that rewrites the op
into standard ops (replacing the uses of its results and erasing it). They are listed in
`LOWERINGS` as "module:function" and imported on first use, so the pass that creates an approx
op also owns how it is emitted. The ONNX and PyTorch backends run this pass before emitting a
module that still holds approx ops; running it earlier in a pipeline is harmless.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from axc.ir import Graph, InputError, Module, Op

from .base import ModulePass, PassContext, PassResult

__all__ = ["LOWERINGS", "LowerApproxPass", "has_approx_ops", "lower_approx", "lowering_of"]

LOWERINGS: dict[str, str] = {
    "approx.early_relu": "axc.passes.snapea.lowering:lower_early_relu",
    "approx.htp": "axc.passes.approx_mul_lowering:lower_approx_layer",
    "approx.mul": "axc.passes.approx_mul_lowering:lower_approx_layer",
}
"""Lowering function of each approx op name ("module:function")."""


def lowering_of(name: str) -> Callable[[Graph, Op], None] | None:
    target = LOWERINGS.get(name)
    if target is None:
        return None
    module_name, fn = target.split(":")
    return getattr(importlib.import_module(module_name), fn)


def has_approx_ops(module: Module) -> bool:
    return any(op.name.startswith("approx.") for g in module.graphs.values() if g.kind == "nn" for op in g.ops)


def lower_approx(module: Module) -> dict[str, int]:
    """Lower every approx op of every network graph in place; counts per op name."""
    counts: dict[str, int] = {}
    for graph in module.graphs.values():
        if graph.kind != "nn":
            continue
        for op in graph.topo_order():
            if not op.name.startswith("approx.") or not graph.contains(op):
                continue
            fn = lowering_of(op.name)
            if fn is None:
                raise InputError(f"no lowering for '{op.name}' ops: the network cannot be emitted", op.loc)
            fn(graph, op)
            counts[op.name] = counts.get(op.name, 0) + 1
    return counts


@dataclass(frozen=True)
class LowerApproxPass(ModulePass):
    """Expand approx ops (approximate multipliers, HTP forms, SnaPEA masks) into plain nn ops.

    The result runs in stock ONNX Runtime and in the PyTorch backend. Circuit graphs are left
    alone.
    """

    name: ClassVar[str] = "lower-approx"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        counts = lower_approx(module)
        if counts:
            ctx.log(f"lower-approx: {sum(counts.values())} approximate op(s) expanded into nn ops")
        return PassResult(modified=bool(counts), stats={"layers": sum(counts.values()),
                                                        **{f"lowered {k}": v for k, v in counts.items()}})
