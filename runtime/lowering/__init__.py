"""How approximate ops run in standard executors: each `approx.*` op of a network, expanded
bit-exact into plain `nn` ops that ONNX Runtime (and any ONNX consumer) executes.

`approx_layers` expands `approx.mul` (LUT) and `approx.htp` layers, `early_relu` the SnaPEA
`approx.early_relu` op. `lower_approx(module)` expands every one in place; the `lower-approx`
pass, the ONNX writer and the ONNX Runtime runner call it, and the torch backend calls
`lowering_of` for the approx ops it does not run natively.
"""

from __future__ import annotations

from collections.abc import Callable

from axc.ir import Graph, InputError, Module, Op

from .approx_layers import lower_approx_layer
from .early_relu import lower_early_relu

__all__ = ["LOWERINGS", "has_approx_ops", "lower_approx", "lowering_of"]

LOWERINGS: dict[str, Callable[[Graph, Op], None]] = {
    "approx.early_relu": lower_early_relu,
    "approx.htp": lower_approx_layer,
    "approx.mul": lower_approx_layer,
}
"""Lowering function of each approx op name."""


def lowering_of(name: str) -> Callable[[Graph, Op], None] | None:
    """The lowering function of approx op `name` (None when it has none)."""
    return LOWERINGS.get(name)


def has_approx_ops(module: Module) -> bool:
    """Whether a network graph of `module` holds an `approx.*` op."""
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
