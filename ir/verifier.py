"""The IR verifier: structure, use lists, acyclicity, then each op's declared rules.

`verify(module)` raises `VerifyError` (with the op's location) at the first broken rule:

1. structure: every op belongs to its graph; every operand is a graph input or a result of an
   op of the same graph (no value of an erased op, none from another graph);
2. use lists: every value's uses are exactly the operand slots that read it;
3. acyclicity of every graph;
4. per op: operand/result counts and kinds, attributes, dialect rule, widths/shapes
   (`ir.dialect.verify_declared`); unknown op classes are refused.
"""

from __future__ import annotations

from .core import Graph, Module, Op, Use, Value
from .diagnostics import VerifyError
from .dialect import lookup_op, verify_declared

__all__ = ["verify", "verify_graph"]


def verify(module: Module) -> None:
    """Check every graph of `module`; raise `VerifyError` on the first violation."""
    if module.top is not None and module.top not in module.graphs:
        raise VerifyError(f"module top @{module.top} is not one of its graphs")
    for graph in module.graphs.values():
        if graph.module is not module:
            raise VerifyError(f"graph @{graph.name} does not point back to its module")
        verify_graph(graph)


def verify_graph(graph: Graph) -> None:
    """Check one graph (see the module docstring for the rules)."""
    owned: set[Value] = set(graph.inputs)
    ops = list(graph.ops)
    for i, v in enumerate(graph.inputs):
        if v.owner is not None or v.graph is not graph:
            raise VerifyError(f"graph @{graph.name}: input {i} is not owned by the graph")
    names = [v.name for v in graph.inputs]
    if len(set(names)) != len(names):
        raise VerifyError(f"graph @{graph.name} has duplicate input names")
    for op in ops:
        if op.graph is not graph:
            raise VerifyError(f"'{op.name}' op is listed in @{graph.name} but owned elsewhere", op.loc)
        for i, r in enumerate(op.results):
            if r.owner is not op or r.index != i:
                raise VerifyError(f"'{op.name}' op result {i} has a wrong owner", op.loc)
            owned.add(r)
    for op in [*ops, graph.output_op]:
        _check_operands(graph, op, owned)
    for v in owned:
        _check_uses(graph, v)
    graph.topo_order()
    for op in [*ops, graph.output_op]:
        cls = lookup_op(op.name)
        if cls is None:
            raise VerifyError(f"unknown op '{op.name}'", op.loc)
        verify_declared(op)


def _check_operands(graph: Graph, op: Op, owned: set[Value]) -> None:
    for i, v in enumerate(op.operands):
        if v not in owned:
            where = "an erased op" if v.owner is not None and v.owner.graph is None else "outside the graph"
            raise VerifyError(
                f"'{op.name}' op operand {i} (%{v.name or '?'}) comes from {where} in @{graph.name}",
                op.loc,
            )
        if Use(op, i) not in v._uses:
            raise VerifyError(f"'{op.name}' op operand {i} is missing from the use list of %{v.name}", op.loc)


def _check_uses(graph: Graph, v: Value) -> None:
    for use in v._uses:
        user = use.op
        if user is not graph.output_op and (user.graph is not graph):
            raise VerifyError(f"value %{v.name or '?'} in @{graph.name} is used by a detached '{user.name}' op")
        operands = user._operands  # not `operands`, which copies: a join of N bits has N uses
        if use.index >= len(operands) or operands[use.index] is not v:
            raise VerifyError(f"value %{v.name or '?'} has a stale use by '{user.name}'", user.loc)
