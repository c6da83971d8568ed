"""Writing an explored design back into the IR, and inlining `approx.bmf` records.

`rebuild_graph` makes a new top graph with the same ports: exact parts keep clones of their
original gates; every approximated part becomes an `approx.bmf` op whose `body` graph holds the
ABC-synthesized compressor (k → f) and the OR/XOR decompressor (f → m) as `logic` ops, with
`degree`, `origin` (the part and how many gates it replaced) and `error` (the part's own share of
wrong truth-table cells, and the whole circuit's error when it was chosen). `inline_bmf` expands
those records into plain logic, which is what the netlist emitters expect: the `bmf` pass inlines
by default (`keep_records=true` keeps them; `lower-approx` inlines later).
"""

from __future__ import annotations

from collections.abc import Sequence

from axc.ir import FrozenDict, Graph, IntType, Module, TruthTable, Value, i1
from axc.ir.dialects import approx, hw, logic
from axc.ir.views import LogicView

from .partition import Partition
from .partsim import Netlist

__all__ = ["inline_bmf", "netlist_ops", "rebuild_graph", "replace_top"]


def netlist_ops(graph: Graph, net: Netlist, inputs: Sequence[Value], const: callable) -> list[Value]:
    """Create the gates of `net` in `graph` over `inputs`; return the output values."""
    local: list[Value | None] = [None, None, *inputs]
    for g in range(net.n_gates):
        cls = logic.GATE_OPS[int(net.codes[g])]
        srcs = [const(int(s)) if s < 2 else local[int(s)] for s in net.fanin[net.fanin_ptr[g]:net.fanin_ptr[g + 1]]]
        attrs = None
        if cls is logic.LutOp:
            attrs = {"table": TruthTable.from_array(net.lut_bits[net.lut_ptr[g]:net.lut_ptr[g + 1]])}
        local.append(graph.create(cls, srcs, [i1], attrs).result)
    return [const(int(s)) if s < 2 else local[int(s)] for s in net.outputs]


class _Consts:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.values: dict[int, Value] = {}

    def __call__(self, bit: int) -> Value:
        if bit not in self.values:
            self.values[bit] = self.graph.create(logic.ConstOp, [], [i1], {"value": bit}).result
        return self.values[bit]


def _body(module: Module, name: str, net: Netlist, m: int) -> str:
    body = Graph(module.unique_name(name))
    ins = [body.add_input(f"x{i}", i1) for i in range(net.k)]
    outs = netlist_ops(body, net, ins, _Consts(body))
    body.set_outputs(outs, [f"y{j}" for j in range(m)])
    module.add_graph(body)
    return body.name


class _NewTop:
    """A new top graph with the ports of the old one: input bits by signal id (as in `LogicView`)."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.old = old = module.top_graph
        self.graph = new = Graph(old.name, old.kind, old.attributes)
        new.loc = old.loc
        self.const = _Consts(new)
        self.sig: dict[int, Value] = {}
        n = 2
        for port in old.inputs:
            v = new.add_input(port.name, port.type)
            w = port.type.width
            bits = [v] if w == 1 else list(new.create(hw.SplitOp, [v], [i1] * w).results)
            for b in bits:
                self.sig[n] = b
                n += 1

    def value(self, s: int) -> Value:
        return self.const(s) if s < 2 else self.sig[s]

    def finish(self, output_bits: Sequence[Value]) -> Graph:
        """Join `output_bits` into the old output ports and make the new graph the top."""
        new, outs, lo = self.graph, [], 0
        for port in self.old.outputs:
            w = port.type.width
            bits = list(output_bits[lo:lo + w])
            lo += w
            outs.append(bits[0] if w == 1 else new.create(hw.JoinOp, bits, [IntType(w)]).result)
        new.set_outputs(outs, list(self.old.output_names))
        top = self.module.top
        self.module.remove_graph(self.old.name)
        self.module.add_graph(new, top=True)
        self.module.top = top
        return new


def replace_top(module: Module, net: Netlist) -> Graph:
    """Replace the top graph by the gates of `net`, whose inputs are the top's input bits (in
    port order, LSB first) and whose outputs are its output bits."""
    top = _NewTop(module)
    inputs = [top.sig[2 + i] for i in range(net.k)]
    return top.finish(netlist_ops(top.graph, net, inputs, top.const))


def rebuild_graph(module: Module, view: LogicView, partition: Partition, degrees: Sequence[int],
                  realisations: dict[tuple[int, int], object], part_errors: dict[int, float],
                  circuit_error: dict[str, float]) -> Graph:
    """Replace the top graph of `module` by the design `degrees` (see the module docstring)."""
    top = _NewTop(module)
    new, sig, value = top.graph, top.sig, top.value
    first = view.first_gate_signal
    for i, part in enumerate(partition.parts):
        if degrees[i] >= part.m:
            for g in part.gates.tolist():
                op = view.gate_ops[g]
                srcs = [value(int(s)) for s in view.fanin[view.fanin_ptr[g]:view.fanin_ptr[g + 1]]]
                clone = new.create(type(op), srcs, [i1], dict(op.attributes), loc=op.loc,
                                   names=[op.result.name])
                sig[first + g] = clone.result
            continue
        rel = realisations[(i, degrees[i])]
        body = _body(module, f"bmf_part{i}_f{degrees[i]}", rel.netlist, part.m)
        rec = new.create(
            approx.BmfOp, [value(int(s)) for s in part.inputs], [i1] * part.m,
            {"body": body, "degree": int(degrees[i]),
             "origin": f"part {i}: {part.gates.size} gates, {part.k} inputs, {part.m} outputs",
             "error": FrozenDict({"part_cells": float(part_errors.get(i, 0.0)), **circuit_error})},
        )
        for j, s in enumerate(part.outputs.tolist()):
            sig[s] = rec.results[j]
    return top.finish([value(int(s)) for s in view.outputs])


def inline_bmf(module: Module) -> int:
    """Expand every `approx.bmf` op into its body's logic and drop the body graphs."""
    count = 0
    bodies = set()
    for graph in list(module.graphs.values()):
        for op in [o for o in graph.ops if isinstance(o, approx.BmfOp)]:
            body = module.lookup(op.attr("body"))
            bodies.add(body.name)
            mapping: dict[Value, Value] = dict(zip(body.inputs, op.operands))
            for inner in body.topo_order():
                clone = graph.create(type(inner), [mapping[v] for v in inner.operands],
                                     [r.type for r in inner.results], dict(inner.attributes))
                for a, b in zip(inner.results, clone.results):
                    mapping[a] = b
            for r, v in zip(op.results, body.outputs):
                r.replace_all_uses_with(mapping[v])
            graph.erase(op)
            count += 1
    for name in bodies:
        module.remove_graph(name)
    return count
