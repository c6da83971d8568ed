"""The combinational cones of a clocked design's core, one per register or output word.

A cone is the logic that computes one output port of the core (a primary output or a
register's next value `NAME@d`) from the core inputs it reads: a combinational module of its
own, which any circuit pass can approximate. `splice` puts a changed cone back in place of the
port's logic; logic the cones shared is copied per cone and merged again by `cse` afterwards.
"""

from __future__ import annotations

from axc.ir import Graph, Module, Value

from ..common.cse import eliminate_common_subexpressions
from ..common.dce import eliminate_dead_ops

__all__ = ["cone_of", "gate_count", "splice"]


def _copy_ops(source: Graph, target: Graph, vmap: dict[Value, Value]) -> None:
    for op in source.topo_order():
        new = target.create(type(op), [vmap[v] for v in op.operands], [r.type for r in op.results],
                            op.attributes, op.loc, [r.name for r in op.results])
        new.meta = dict(op.meta)
        vmap.update(zip(op.results, new.results))


def cone_of(core: Module, port: str) -> Module:
    """The logic of output `port` of the core, with the core inputs it reads as its inputs."""
    work = core.top_graph.clone()
    work.set_outputs([work.output(port)], [port])
    eliminate_dead_ops(work)
    read = {v for op in work.ops for v in op.operands} | set(work.outputs)
    graph = Graph(f"{core.top_graph.name}_{port.replace('@', '_')}", "hw")
    vmap = {v: graph.add_input(v.name, v.type) for v in work.inputs if v in read}
    _copy_ops(work, graph, vmap)
    graph.set_outputs([vmap[work.outputs[0]]], [port])
    cone = Module()
    cone.add_graph(graph, top=True)
    return cone


def splice(core: Module, cones: dict[str, Module]) -> Module:
    """A copy of `core` whose output ports named in `cones` are computed by those cones."""
    base = core.top_graph
    graph = Graph(base.name, base.kind, base.attributes)
    graph.loc = base.loc
    vmap = {v: graph.add_input(v.name, v.type) for v in base.inputs}
    _copy_ops(base, graph, vmap)
    outputs = [vmap[v] for v in base.outputs]
    for port, cone in cones.items():
        inner = cone.top_graph
        cmap = {v: graph.input(v.name) for v in inner.inputs}
        _copy_ops(inner, graph, cmap)
        outputs[base.output_names.index(port)] = cmap[inner.output(port)]
    graph.set_outputs(outputs, base.output_names)
    eliminate_dead_ops(graph)
    eliminate_common_subexpressions(graph)
    result = Module(dict(core.attributes))
    result.add_graph(graph, top=True)
    return result


def gate_count(module: Module) -> int:
    """Ops of the top graph other than port splits and joins."""
    return sum(1 for op in module.top_graph.ops if op.name not in ("hw.split", "hw.join"))
