"""The `dce` pass: dead-code elimination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from axc.ir import Graph, Module

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["DeadCodePass", "eliminate_dead_ops"]


@dataclass(frozen=True)
class DeadCodePass(ModulePass):
    """Remove ops whose results nobody reads.

    An op is dead when none of its results is read by another op or by the graph outputs; ops
    that become dead once their readers are gone are removed in the same sweep. Ops without
    results are kept (nothing can tell whether they matter). Graph inputs are never removed:
    they are the ports or tensors of the interface.
    """

    name: ClassVar[str] = "dce"

    keep_named: bool = False
    """Keep ops whose results carry a name (for example a named Verilog wire)."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        removed = {name: eliminate_dead_ops(g, self.keep_named) for name, g in module.graphs.items()}
        total = sum(removed.values())
        stats: dict[str, int] = {"ops_removed": total}
        if len(removed) > 1:
            stats.update({f"ops_removed.{name}": n for name, n in removed.items() if n})
        return PassResult(modified=total > 0, stats=stats)


def eliminate_dead_ops(graph: Graph, keep_named: bool = False) -> int:
    """Erase the dead ops of `graph` (see `DeadCodePass`); return how many were erased."""
    removed = 0
    for op in reversed(graph.topo_order()):
        if not op.results or any(r.has_uses for r in op.results):
            continue
        if keep_named and any(r.name for r in op.results):
            continue
        graph.erase(op)
        removed += 1
    return removed
