"""The `lower-word` pass: bit-blast every `word` op into `logic` gates.

After it, each circuit graph holds only `logic` gates, `hw.split` of input ports and `hw.join`
of output ports, which is what `LogicView`, the simulator, `bmf` and the emitters take.
Registers stay word-wide: a `seq.reg` is split like an input port, and the next value, enable
and reset of its `seq.next` are joined from their bits like an output port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from axc.ir import Graph, Module, Op, Value
from axc.ir.dialects import hw, seq, word

from ..infra.base import ModulePass, PassContext, PassResult
from .bitblast import BitBlaster, Bits

__all__ = ["LowerWordPass", "lower_graph"]


@dataclass(frozen=True)
class LowerWordPass(ModulePass):
    """Lower word-level operators (add, sub, mul, shifts, comparisons, muxes, wiring) to logic
    gates: ripple-carry adders, array multipliers (signed and unsigned), borrow-chain
    comparators and barrel shifters. Exact: the result computes the same function."""

    name: ClassVar[str] = "lower-word"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        lowered = gates = 0
        for graph in ctx.progress(list(module.graphs.values()), "lower-word"):
            if graph.kind != "hw":
                continue
            n_ops, n_gates = lower_graph(graph)
            lowered += n_ops
            gates += n_gates
        stats = {"word_ops_lowered": lowered, "gates_created": gates}
        ctx.report[self.name] = stats
        return PassResult(modified=lowered > 0, stats=stats)


def lower_graph(graph: Graph) -> tuple[int, int]:
    """Bit-blast the word ops of one graph in place; returns (ops lowered, gates created)."""
    order = graph.topo_order()
    if not any(_needs_lowering(op) for op in order):
        return 0, 0
    blaster = BitBlaster(graph)
    bits_of: dict[Value, Bits] = {}
    input_split: dict[Value, Op] = {}
    for op in order:
        if isinstance(op, hw.SplitOp) and _is_source(op.operand(0)):
            source = op.operand(0)
            if source in input_split:
                for old, new in zip(op.results, input_split[source].results):
                    old.replace_all_uses_with(new)
            else:
                input_split[source] = op
                bits_of[source] = list(op.results)

    def bits(v: Value) -> Bits:
        if v.type.width == 1:
            return [v]
        found = bits_of.get(v)
        if found is None:
            if not _is_source(v):
                raise AssertionError(f"value %{v.name} has no bits yet")
            split = graph.create(hw.SplitOp, [v], [v.type.__class__(1)] * v.type.width)
            found = bits_of[v] = list(split.results)
        return found

    lowered = 0
    for op in order:
        if isinstance(op, hw.JoinOp):
            bits_of[op.result] = list(op.operands)
        elif isinstance(op, hw.SplitOp):
            source_bits = bits(op.operand(0))
            if not _is_source(op.operand(0)):
                for r, b in zip(op.results, source_bits):
                    r.replace_all_uses_with(b)
        elif op.dialect == "word":
            blaster.loc = op.loc
            result = _lower(blaster, op, [bits(v) for v in op.operands])
            _name_bits(op.result, result)
            if op.result.type.width == 1:
                op.result.replace_all_uses_with(result[0])
            else:
                bits_of[op.result] = result
            lowered += 1

    _rebuild_boundaries(graph, bits_of)
    for op in reversed(graph.topo_order()):
        obsolete = _needs_lowering(op) or isinstance(op, hw.JoinOp | hw.SplitOp)
        if obsolete and not any(r.has_uses for r in op.results):
            graph.erase(op)
    return lowered, blaster.gates


def _is_source(v: Value) -> bool:
    """A port or a register's value: split into bits, never lowered."""
    return v.owner is None or isinstance(v.owner, seq.RegOp)


def _needs_lowering(op: Op) -> bool:
    if op.dialect == "word":
        return True
    return isinstance(op, hw.SplitOp) and not _is_source(op.operand(0))


def _rebuild_boundaries(graph: Graph, bits_of: dict[Value, Bits]) -> None:
    """Outputs, instance operands and register inputs that were words get joins of their new bits."""
    joined: dict[Value, Value] = {}

    def as_join(v: Value) -> Value:
        if v.type.width == 1 or _is_source(v) or isinstance(v.owner, hw.JoinOp):
            return v
        if v not in joined:
            joined[v] = graph.create(hw.JoinOp, bits_of[v], [v.type], loc=v.owner.loc).result
        return joined[v]

    outputs = [as_join(v) for v in graph.outputs]
    graph.set_outputs(outputs, graph.output_names)
    for op in graph.ops_of(hw.InstanceOp):
        op.set_operands([as_join(v) for v in op.operands])
    for op in graph.ops_of(seq.NextOp):
        op.set_operands([op.operand(0), *(as_join(v) for v in op.operands[1:])])


def _name_bits(result: Value, bits: Bits) -> None:
    if result.name is None:
        return
    for i, b in enumerate(bits):
        if b.name is None and b.owner is not None and b.owner.dialect == "logic" \
                and b.owner.name != "logic.const":
            b.name = result.name if len(bits) == 1 else f"{result.name}[{i}]"


def _lower(bb: BitBlaster, op: Op, args: list[Bits]) -> Bits:
    width = op.result.type.width
    name = op.name
    if name == "word.const":
        return bb.const_bits(int(op.attr("value")), width)
    if name in ("word.and", "word.or", "word.xor"):
        kind = name.split(".")[1]
        return [bb.reduce(kind, column) for column in zip(*args)]
    if name == "word.not":
        return [bb.not_(x) for x in args[0]]
    if name == "word.add":
        return bb.add(args[0], args[1])[0]
    if name == "word.sub":
        return bb.sub(args[0], args[1])[0]
    if name == "word.neg":
        return bb.neg(args[0])
    if name == "word.mul":
        return bb.mul(args[0], args[1], width, bool(op.attr("signed")))
    if name in ("word.shl", "word.shr"):
        return bb.shift(args[0], args[1], name == "word.shl", bool(op.attr("arith")))
    if name == "word.cmp":
        return [bb.compare(op.attr("pred"), args[0], args[1])]
    if name == "word.concat":
        return [b for bits in args for b in bits]
    if name == "word.extract":
        lo = op.attr("lo")
        return args[0][lo: lo + width]
    if name == "word.mux":
        s = args[0][0]
        return [bb.mux(s, t, f) for t, f in zip(args[1], args[2])]
    if name == "word.zext":
        return bb.extend(args[0], width, False)
    if name == "word.sext":
        return bb.extend(args[0], width, True)
    if name.startswith("word.reduce_"):
        return [bb.reduce(name.split("_")[1], args[0])]
    raise op.error("has no lowering")


_ = word  # the dialect must be registered before ops are looked up by name
