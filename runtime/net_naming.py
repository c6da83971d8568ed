"""Net names for netlist emitters: ports, port bits, wires, all legal and unique.

Both the Verilog and the BLIF emitter name a circuit graph the same way: ports keep their
(legalised) names; a gate that drives bit i of output port `p` is named `p[i]` directly (so the
emitted netlist reads like the original); every other value gets its own name (its IR name
legalised, else `n<k>`); output bits that cannot take a driver's name (inputs, constants, values
that drive several bits) get an extra assignment. `bit_ref(port, i)` is written `p[i]` in both
formats: a bit-select in Verilog, a plain net name in BLIF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from axc.ir import Graph, IntType, Value
from axc.ir.dialects import hw, logic

__all__ = ["NetNames", "Namer", "source_label"]


class Namer:
    """Hands out unique names, legalised by `legal`."""

    def __init__(self, legal: Callable[[str], str], reserved: set[str] | None = None) -> None:
        self.legal = legal
        self.taken: set[str] = set(reserved or ())

    def take(self, hint: str) -> str:
        name = self.legal(hint)
        k = 1
        while name in self.taken:
            name = self.legal(f"{hint}_{k}")
            k += 1
        self.taken.add(name)
        return name


def source_label(source: object) -> str:
    """The file name of a design's source path for a writer's header comment, on one line
    (white space, line breaks included, collapsed to single spaces)."""
    return " ".join(Path(str(source)).name.split())


def _width(v: Value) -> int:
    t = v.type
    return t.width if isinstance(t, IntType) else 0


def bit_ref(name: str, width: int, i: int) -> str:
    return name if width == 1 else f"{name}[{i}]"


@dataclass
class NetNames:
    """Names of one graph's ports and values (see the module docstring)."""

    inputs: list[tuple[str, int]] = field(default_factory=list)
    outputs: list[tuple[str, int]] = field(default_factory=list)
    ref: dict[Value, str] = field(default_factory=dict)
    wires: list[Value] = field(default_factory=list)
    """Values that need a declaration of their own (in definition order)."""
    extra: list[tuple[str, Value]] = field(default_factory=list)
    """Output bits (or whole ports) assigned from a value named elsewhere."""

    @classmethod
    def of(
        cls, graph: Graph, namer: Namer, inline_const: Callable[[Value], str | None],
        port_namer: Namer | None = None,
    ) -> NetNames:
        """Name `graph`'s nets; `inline_const(v)` gives a literal for constants written inline.

        `port_namer` (sharing `namer`'s taken names) may legalise port names differently.
        """
        names = cls()
        port_namer = port_namer or namer
        hints = [v.name or f"in{v.index}" for v in graph.inputs] + list(graph.output_names)
        # A port whose name is already legal keeps it, even when an earlier port's name
        # legalises to the same text (`a b` and `a_b`: the second stays `a_b`).
        kept = {h for h in hints if port_namer.legal(h) == h} - port_namer.taken
        port_namer.taken |= kept

        def take_port(hint: str) -> str:
            if hint in kept:
                kept.discard(hint)
                return hint
            return port_namer.take(hint)

        for v in graph.inputs:
            port = take_port(v.name or f"in{v.index}")
            names.inputs.append((port, _width(v)))
            namer.taken.update(bit_ref(port, _width(v), i) for i in range(_width(v)))
            names.ref[v] = port
        out_ports = []
        for name, v in zip(graph.output_names, graph.outputs):
            port = take_port(name)
            names.outputs.append((port, _width(v)))
            namer.taken.update(bit_ref(port, _width(v), i) for i in range(_width(v)))
            out_ports.append((port, v))
        for v in graph.inputs:
            for op in v.users():
                if isinstance(op, hw.SplitOp):
                    for i, r in enumerate(op.results):
                        names.ref[r] = bit_ref(names.ref[v], _width(v), i)
        for op in graph.ops:
            if isinstance(op, logic.ConstOp):
                literal = inline_const(op.result)
                if literal is not None:
                    names.ref[op.result] = literal

        def claimable(v: Value) -> bool:
            return v.owner is not None and v not in names.ref and not isinstance(
                v.owner, hw.SplitOp | logic.ConstOp
            )

        for port, v in out_ports:
            width = _width(v)
            if isinstance(v.owner, hw.JoinOp) and v not in names.ref:
                names.ref[v] = port
                for i, bit in enumerate(v.owner.operands):
                    target = bit_ref(port, width, i)
                    if claimable(bit):
                        names.ref[bit] = target
                    else:
                        names.extra.append((target, bit))
            elif claimable(v):
                names.ref[v] = port
            else:
                names.extra.append((port, v))

        unnamed: list[Value] = []
        internal_splits: list[hw.SplitOp] = []
        for op in graph.topo_order():
            for r in op.results:
                if r in names.ref:
                    continue
                if isinstance(op, hw.SplitOp):
                    internal_splits.append(op)
                    break
                names.wires.append(r)
                if r.name:
                    names.ref[r] = namer.take(r.name)
                else:
                    unnamed.append(r)
        for k, r in enumerate(unnamed):
            names.ref[r] = namer.take(f"t{k}")
        for op in internal_splits:
            src = op.operand(0)
            for i, r in enumerate(op.results):
                names.ref.setdefault(r, bit_ref(names.ref[src], _width(src), i))
        return names
