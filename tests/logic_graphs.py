"""Random bit-level circuits built in code, and a plain numpy reference evaluator (test helpers)."""

from __future__ import annotations

import numpy as np
from axc.ir import Graph, IntType, Module, TruthTable, Value, i1
from axc.ir.dialects import hw, logic
from axc.ir.views import GATE_CODES, LogicView

__all__ = ["random_circuit", "reference_outputs", "ripple_adder"]

KINDS = ("not", "and", "or", "xor", "nand", "nor", "xnor", "mux", "maj", "lut", "buf", "const")
_CLASSES = {
    "not": logic.NotOp, "and": logic.AndOp, "or": logic.OrOp, "xor": logic.XorOp,
    "nand": logic.NandOp, "nor": logic.NorOp, "xnor": logic.XnorOp, "mux": logic.MuxOp,
    "maj": logic.MajOp, "lut": logic.LutOp, "buf": logic.BufOp,
}


def random_circuit(seed: int, n_ports: int = 2, width: int = 3, n_gates: int = 40,
                   n_out_ports: int = 2) -> Module:
    """A random DAG using every gate kind (n-ary gates with 2..5 inputs, LUTs with 0..5)."""
    rng = np.random.default_rng(seed)
    g = Graph("rand", kind="hw")
    bits: list[Value] = []
    for p in range(n_ports):
        port = g.add_input(f"x{p}", IntType(width))
        bits.extend(g.create(hw.SplitOp, [port], [i1] * width).results)
    single = g.add_input("s", IntType(1))
    bits.append(single)
    for _ in range(n_gates):
        kind = KINDS[rng.integers(len(KINDS))]
        if kind == "const":
            bits.append(g.create(logic.ConstOp, [], [i1], {"value": int(rng.integers(2))}).result)
            continue
        arity = {"not": 1, "buf": 1, "mux": 3, "maj": 3}.get(kind)
        if arity is None:
            arity = int(rng.integers(0 if kind == "lut" else 2, 6))
        ins = [bits[int(rng.integers(len(bits)))] for _ in range(arity)]
        attrs = None
        if kind == "lut":
            attrs = {"table": TruthTable.from_array(rng.integers(0, 2, size=1 << arity))}
        bits.append(g.create(_CLASSES[kind], ins, [i1], attrs).result)
    for o in range(n_out_ports):
        chosen = [bits[int(rng.integers(len(bits)))] for _ in range(width)]
        g.add_output(f"y{o}", g.create(hw.JoinOp, chosen, [IntType(width)]).result)
    g.add_output("z", bits[-1])
    m = Module()
    m.add_graph(g, top=True)
    return m


def ripple_adder(width: int) -> Module:
    """An unsigned ripple-carry adder `s = a + b` (width+1 bits) out of xor/and/maj gates."""
    g = Graph(f"add{width}", kind="hw")
    a = g.create(hw.SplitOp, [g.add_input("a", IntType(width))], [i1] * width).results
    b = g.create(hw.SplitOp, [g.add_input("b", IntType(width))], [i1] * width).results
    carry: Value | None = None
    outs = []
    for i in range(width):
        half = g.create(logic.XorOp, [a[i], b[i]], [i1]).result
        if carry is None:
            outs.append(half)
            carry = g.create(logic.AndOp, [a[i], b[i]], [i1]).result
        else:
            outs.append(g.create(logic.XorOp, [half, carry], [i1]).result)
            carry = g.create(logic.MajOp, [a[i], b[i], carry], [i1]).result
    outs.append(carry)
    g.add_output("s", g.create(hw.JoinOp, outs, [IntType(width + 1)]).result)
    m = Module()
    m.add_graph(g, top=True)
    return m


def reference_outputs(view: LogicView, inputs: np.ndarray) -> np.ndarray:
    """Output bits (n_outputs × n_vectors, bool) by evaluating gate after gate on bool arrays.

    `inputs` is (n_input_bits × n_vectors) bool. Independent of the numba kernels.
    """
    n_vectors = inputs.shape[1]
    values = [np.zeros(n_vectors, bool), np.ones(n_vectors, bool), *inputs]
    names = {code: name.split(".")[1] for name, code in _codes().items()}
    for g in range(view.n_gates):
        ins = [values[s] for s in view.fanin[view.fanin_ptr[g]:view.fanin_ptr[g + 1]]]
        kind = names[int(view.codes[g])]
        if kind in ("and", "nand"):
            r = np.logical_and.reduce(ins)
        elif kind in ("or", "nor"):
            r = np.logical_or.reduce(ins)
        elif kind in ("xor", "xnor"):
            r = np.logical_xor.reduce(ins)
        elif kind == "not":
            r = ~ins[0]
        elif kind == "buf":
            r = ins[0].copy()
        elif kind == "mux":
            r = np.where(ins[0], ins[1], ins[2])
        elif kind == "maj":
            r = (ins[0].astype(int) + ins[1] + ins[2]) >= 2
        elif kind == "lut":
            table = view.lut_bits[view.lut_ptr[g]:view.lut_ptr[g + 1]]
            index = sum(x.astype(np.int64) << i for i, x in enumerate(ins)) if ins else np.zeros(n_vectors, np.int64)
            r = table[index].astype(bool)
        else:
            raise AssertionError(kind)
        if kind in ("nand", "nor", "xnor"):
            r = ~r
        values.append(r)
    return np.array([values[s] for s in view.outputs])


def _codes() -> dict[str, int]:
    return GATE_CODES
