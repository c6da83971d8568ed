"""The combinational cones of a clocked design's core, one per register, output or multiplier.

A cone is the logic that computes one word of the core: an output port (a primary output or a
register's next value `NAME@d`) or a multiplier (`multiplier_nets`: every `word.mul`, named
after the net the source gave it, `prod[0]` → `prod`, else `mul_N`), from the core inputs and
the multipliers it reads. It is a combinational module of its own, which any circuit pass can
approximate. `splice` puts changed cones back; a multiplier keeps its net name in the written
design, so `approx-mul{circuit=FILE net=NAME}` finds it there (`multiplier_circuit`). Logic the
cones shared is copied per cone and merged again by `cse` afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from axc.ir import Graph, InputError, Module, Value
from axc.ir.dialects import hw, word
from axc.ir.views import ClockedCore

from ..common.cse import eliminate_common_subexpressions
from ..common.dce import eliminate_dead_ops

__all__ = ["cone_of", "gate_count", "multiplier_circuit", "multiplier_nets", "splice"]

_BIT = re.compile(r"^(.*)\[0\]$")


def _net_name(value: Value) -> str | None:
    """The source's name of a word: its own, or that of its bits (`prod[0]` … → `prod`)."""
    if value.name:
        return value.name
    for use in value.uses:
        if isinstance(use.op, hw.SplitOp) and use.op.results and use.op.results[0].name:
            found = _BIT.match(use.op.results[0].name)
            if found:
                return found.group(1)
    return None


def multiplier_nets(core: Module) -> dict[Value, str]:
    """Every `word.mul` result of the core, with a unique name (not a port's)."""
    graph = core.top_graph
    taken = {v.name for v in graph.inputs} | set(graph.output_names)
    nets: dict[Value, str] = {}
    for index, op in enumerate(graph.ops_of(word.MulOp)):
        base = _net_name(op.result) or f"mul_{index}"
        name, n = base, 1
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        nets[op.result] = name
    return nets


def _target(graph: Graph, name: str, stops: Mapping[Value, str]) -> Value:
    if name in graph.output_names:
        return graph.output(name)
    for value, net in stops.items():
        if net == name:
            return value
    raise InputError(f"the circuit has no output or multiplier named '{name}'")


def cone_of(core: Module, name: str, stops: Mapping[Value, str] | None = None) -> Module:
    """The logic of output port (or multiplier net) `name`, with the core inputs and the
    multipliers in `stops` it reads as its inputs."""
    stops = stops or {}
    graph = core.top_graph
    target = _target(graph, name, stops)
    inside: set = set()
    reads: set[Value] = set()
    stack, seen = [target], set()
    while stack:
        value = stack.pop()
        if value in seen:
            continue
        seen.add(value)
        if value.owner is None or (value in stops and (value is not target or name != stops[value])):
            reads.add(value)
            continue
        inside.add(value.owner)
        stack.extend(value.owner.operands)
    cone = Graph(f"{graph.name}_{name.replace('@', '_')}", "hw")
    vmap = {v: cone.add_input(v.name, v.type) for v in graph.inputs if v in reads}
    vmap.update({v: cone.add_input(net, v.type) for v, net in stops.items() if v in reads})
    cone.copy_ops([op for op in graph.topo_order() if op in inside], vmap)
    cone.set_outputs([vmap[target]], [name])
    module = Module()
    module.add_graph(cone, top=True)
    return module


def splice(core: Module, cones: Mapping[str, Module], stops: Mapping[Value, str] | None = None) -> Module:
    """A copy of `core` whose outputs and multipliers named in `cones` are computed by them."""
    stops = stops or {}
    base = core.top_graph
    graph = Graph(base.name, base.kind, base.attributes)
    graph.loc = base.loc
    vmap = {v: graph.add_input(v.name, v.type) for v in base.inputs}
    order = base.topo_order()
    graph.copy_ops(order, vmap)
    named: dict[str, Value] = {}

    def paste(cone: Module) -> Value:
        inner = cone.top_graph
        cmap = {v: named[v.name] if v.name in named else graph.input(v.name) for v in inner.inputs}
        graph.copy_ops(inner.topo_order(), cmap)
        return cmap[inner.outputs[0]]

    position = {op: i for i, op in enumerate(order)}
    for value, net in sorted(stops.items(), key=lambda item: position[item[0].owner]):
        current = vmap[value]
        if net in cones:
            changed = paste(cones[net])
            current.replace_all_uses_with(changed)
            current = vmap[value] = changed
        current.name = net
        named[net] = current
    outputs = [vmap[v] for v in base.outputs]
    for port, cone in cones.items():
        if port in base.output_names:
            outputs[base.output_names.index(port)] = paste(cone)
    graph.set_outputs(outputs, base.output_names)
    eliminate_dead_ops(graph)
    eliminate_common_subexpressions(graph)
    result = Module(dict(core.attributes))
    result.add_graph(graph, top=True)
    return result


def multiplier_circuit(module: Module, net: str | None = None) -> Module:
    """The multiplier of clocked `module` as a combinational circuit: the cone of its net `net`
    (a `word.mul`, or a word the source names, such as the `prod` a clocked pass kept), by
    default its only `word.mul`; its inputs are the registers and ports it reads."""
    core = ClockedCore.cut(module).core
    graph = core.top_graph
    nets = multiplier_nets(core)
    if net is None:
        if len(nets) != 1:
            raise InputError(f"the clocked circuit has {len(nets)} multipliers (word.mul): name the one to use "
                             "with net=NAME")
        net = next(iter(nets.values()))
    elif net not in nets.values() and net not in graph.output_names:
        found = [v for op in graph.ops for v in op.results if _net_name(v) == net and v.type.width > 1]
        if not found:
            raise InputError(f"the clocked circuit has no net '{net}'")
        nets = {found[0]: net}
    cone = cone_of(core, net, nets)
    inputs = cone.top_graph.inputs
    if len(inputs) != 2:
        raise InputError(f"net '{net}' reads {len(inputs)} words ({', '.join(v.name for v in inputs)}), "
                         "not the two operands of a multiplier")
    return cone


def gate_count(module: Module) -> int:
    """Ops of the top graph other than port splits and joins."""
    return sum(1 for op in module.top_graph.ops if op.name not in ("hw.split", "hw.join"))
