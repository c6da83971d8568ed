"""The `cse` pass: common-subexpression elimination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from axc.ir import Graph, Module, Op
from axc.ir.attributes import attr_key
from axc.ir.dialects.logic import GATE_OPS

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["COMMUTATIVE_OPS", "CommonSubexpressionPass", "eliminate_common_subexpressions"]

COMMUTATIVE_OPS = frozenset(
    {gate.name for gate in GATE_OPS if gate.commutative}
    | {"word.add", "word.and", "word.or", "word.xor", "word.mul"}
)
"""Ops whose result does not depend on the order of their operands."""


@dataclass(frozen=True)
class CommonSubexpressionPass(ModulePass):
    """Merge ops that compute the same thing.

    Two ops are the same when they have the same op name, the same operands (in order, or as a
    multiset for commutative gates and arithmetic), equal attributes and the same result types.
    The later op's results are replaced by the earlier op's, then it is erased. Ops without
    results are never merged. Runs in dependency order, so chains of duplicates collapse in one
    sweep.
    """

    name: ClassVar[str] = "cse"

    commutative: bool = True
    """Treat the operands of commutative ops (and, or, xor, maj, add, mul, ...) as unordered."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        merged = {
            name: eliminate_common_subexpressions(g, self.commutative)
            for name, g in module.graphs.items()
        }
        total = sum(merged.values())
        stats: dict[str, int] = {"ops_merged": total}
        if len(merged) > 1:
            stats.update({f"ops_merged.{name}": n for name, n in merged.items() if n})
        return PassResult(modified=total > 0, stats=stats)


def _op_key(op: Op, commutative: bool) -> tuple[Any, ...]:
    operand_ids = [id(v) for v in op.operands]
    if commutative and op.name in COMMUTATIVE_OPS:
        operand_ids.sort()
    attrs = tuple(sorted((k, attr_key(v)) for k, v in op.attributes.items()))
    return (op.name, tuple(operand_ids), attrs, tuple(r.type for r in op.results))


def eliminate_common_subexpressions(graph: Graph, commutative: bool = True) -> int:
    """Merge duplicate ops of `graph` (see `CommonSubexpressionPass`); return how many merged."""
    seen: dict[tuple[Any, ...], Op] = {}
    merged = 0
    for op in graph.topo_order():
        if not op.results:
            continue
        key = _op_key(op, commutative)
        first = seen.get(key)
        if first is None:
            seen[key] = op
            continue
        for old, new in zip(op.results, first.results):
            old.replace_all_uses_with(new)
        graph.erase(op)
        merged += 1
    return merged
