"""`LogicView`: a bit-level circuit graph as levelised gate arrays.

Signals are numbered: 0 is constant 0, 1 is constant 1, then every primary-input bit (ports in
order, LSB first), then one signal per gate in topological (level) order. `logic.buf`,
`hw.split` and `hw.join` are wiring and get no gate. Gate `g` has code `codes[g]` (see
`GATE_CODES`), reads signals `fanin[fanin_ptr[g]:fanin_ptr[g+1]]` and drives signal
`first_gate_signal + g`. A `logic.lut` gate's table is `lut_bits[lut_ptr[g]:lut_ptr[g+1]]`
(one uint8 per pattern; empty for other gates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import Graph, Op, Value
from ..diagnostics import InputError
from ..dialects import hw, logic
from ..types import IntType

__all__ = ["GATE_CODES", "LogicView"]

GATE_CODES: dict[str, int] = {cls.name: i for i, cls in enumerate(logic.GATE_OPS)}
"""Gate code of each logic op (the index in `logic.GATE_OPS`)."""


@dataclass
class LogicView:
    """Levelised arrays of a bit-level circuit graph (see the module docstring)."""

    input_ports: list[tuple[str, int]]
    output_ports: list[tuple[str, int]]
    codes: np.ndarray
    fanin_ptr: np.ndarray
    fanin: np.ndarray
    level: np.ndarray
    outputs: np.ndarray
    lut_ptr: np.ndarray
    lut_bits: np.ndarray
    gate_ops: list[Op] = field(repr=False, default_factory=list)
    signal_of: dict[Value, int] = field(repr=False, default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return sum(w for _, w in self.input_ports)

    @property
    def n_outputs(self) -> int:
        return int(self.outputs.size)

    @property
    def n_gates(self) -> int:
        return int(self.codes.size)

    @property
    def first_gate_signal(self) -> int:
        return 2 + self.n_inputs

    @property
    def n_signals(self) -> int:
        return self.first_gate_signal + self.n_gates

    @property
    def depth(self) -> int:
        return int(self.level.max()) if self.level.size else 0

    @classmethod
    def from_graph(cls, graph: Graph) -> LogicView:
        """Export a graph made of `logic` gates, `hw.split`/`hw.join` and i1/iN ports.

        Raises `InputError` for any other op (lower word-level operators first).
        """
        signal: dict[Value, int] = {}
        input_ports: list[tuple[str, int]] = []
        next_id = 2
        for v in graph.inputs:
            if not isinstance(v.type, IntType):
                raise InputError(f"graph @{graph.name}: input '{v.name}' is not a bit-vector")
            input_ports.append((v.name or f"in{v.index}", v.type.width))
            if v.type.width == 1:
                signal[v] = next_id
            next_id += v.type.width
        port_base = {}
        base = 2
        for v in graph.inputs:
            port_base[v] = base
            base += v.type.width

        codes: list[int] = []
        fanin: list[int] = []
        ptr = [0]
        levels: list[int] = []
        lut_ptr = [0]
        lut_bits: list[np.ndarray] = []
        gate_ops: list[Op] = []
        n_in = next_id - 2
        sig_level: dict[int, int] = {}

        def sig(v: Value) -> int:
            try:
                return signal[v]
            except KeyError:
                raise InputError(
                    f"graph @{graph.name}: value %{v.name} is not a bit (lower word-level ops first)",
                    v.owner.loc if v.owner else None,
                ) from None

        for op in graph.topo_order():
            if isinstance(op, hw.SplitOp):
                src = op.operand(0)
                if src.owner is not None:
                    raise InputError("hw.split of an internal word (lower word-level ops first)", op.loc)
                for i, r in enumerate(op.results):
                    signal[r] = port_base[src] + i
                continue
            if isinstance(op, hw.JoinOp):
                continue
            if isinstance(op, logic.BufOp):
                signal[op.result] = sig(op.operand(0))
                continue
            if isinstance(op, logic.ConstOp):
                signal[op.result] = int(op.attr("value"))
                continue
            code = GATE_CODES.get(op.name)
            if code is None:
                raise InputError(
                    f"'{op.name}' op is not a gate; lower the graph to the logic dialect first",
                    op.loc,
                )
            ins = [sig(v) for v in op.operands]
            codes.append(code)
            fanin.extend(ins)
            ptr.append(len(fanin))
            levels.append(1 + max((sig_level.get(s, 0) for s in ins), default=0))
            if isinstance(op, logic.LutOp):
                lut_bits.append(op.attr("table").to_array())
            lut_ptr.append(lut_ptr[-1] + (lut_bits[-1].size if isinstance(op, logic.LutOp) else 0))
            s = 2 + n_in + len(gate_ops)
            sig_level[s] = levels[-1]
            signal[op.result] = s
            gate_ops.append(op)

        outputs: list[int] = []
        output_ports: list[tuple[str, int]] = []
        for name, v in zip(graph.output_names, graph.outputs):
            if not isinstance(v.type, IntType):
                raise InputError(f"graph @{graph.name}: output '{name}' is not a bit-vector")
            output_ports.append((name, v.type.width))
            if v.type.width == 1:
                outputs.append(sig(v))
            elif isinstance(v.owner, hw.JoinOp):
                outputs.extend(sig(b) for b in v.owner.operands)
            elif v.owner is None:
                outputs.extend(port_base[v] + i for i in range(v.type.width))
            else:
                raise InputError(f"graph @{graph.name}: output '{name}' is not built by hw.join")

        return cls(
            input_ports=input_ports,
            output_ports=output_ports,
            codes=np.asarray(codes, dtype=np.int8),
            fanin_ptr=np.asarray(ptr, dtype=np.int64),
            fanin=np.asarray(fanin, dtype=np.int64),
            level=np.asarray(levels, dtype=np.int32),
            outputs=np.asarray(outputs, dtype=np.int64),
            lut_ptr=np.asarray(lut_ptr, dtype=np.int64),
            lut_bits=np.concatenate(lut_bits) if lut_bits else np.zeros(0, dtype=np.uint8),
            gate_ops=gate_ops,
            signal_of=signal,
        )
