"""Hypothesis strategies that build random, verified modules of every dialect."""

from __future__ import annotations

import numpy as np
from axc.ir import DenseArray, FileLoc, Graph, IntType, Module, NameLoc, TensorType, TruthTable, i1
from axc.ir.dialects import approx, hw, logic, nn, word
from hypothesis import strategies as st

NAMES = st.one_of(
    st.none(),
    st.sampled_from(["a", "n1", "x[0]", "\\weird name ", "out", "0", "tmp$1", "q.r-s"]),
)

ATTR_LEAVES = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, width=64),
    st.booleans(),
    st.text(max_size=8),
    st.none(),
    st.binary(max_size=6),
)
ATTRS = st.recursive(
    ATTR_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["k", "axis", "true", "a b", "x-y"]), children, max_size=3),
    ),
    max_leaves=8,
)


@st.composite
def logic_graph(draw: st.DrawFn, name: str = "logic") -> Graph:
    g = Graph(name, "hw")
    width = draw(st.integers(1, 6))
    port = g.add_input("a", IntType(width))
    loc = FileLoc("c.v", draw(st.integers(1, 99)), draw(st.integers(1, 40)))
    bits = list(g.create(hw.SplitOp, [port], [i1] * width, loc=loc).results)
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(logic.GATE_OPS))
        hint = draw(NAMES)
        if kind is logic.ConstOp:
            op = g.create(kind, [], [i1], {"value": draw(st.integers(0, 1))}, names=[hint])
        elif kind in (logic.NotOp, logic.BufOp):
            op = g.create(kind, [draw(st.sampled_from(bits))], [i1], names=[hint])
        elif kind in (logic.MuxOp, logic.MajOp):
            ins = [draw(st.sampled_from(bits)) for _ in range(3)]
            op = g.create(kind, ins, [i1], names=[hint])
        elif kind is logic.LutOp:
            n = draw(st.integers(0, 4))
            ins = [draw(st.sampled_from(bits)) for _ in range(n)]
            table = TruthTable(n, draw(st.integers(0, (1 << (1 << n)) - 1)))
            op = g.create(kind, ins, [i1], {"table": table}, names=[hint])
        else:
            ins = [draw(st.sampled_from(bits)) for _ in range(draw(st.integers(2, 4)))]
            op = g.create(kind, ins, [i1], names=[hint])
        bits.append(op.result)
    outs = draw(st.lists(st.sampled_from(bits), min_size=1, max_size=4))
    joined = g.create(hw.JoinOp, outs, [IntType(len(outs))], names=["y_bits"])
    g.set_outputs([joined.result, bits[-1]], ["y", "last"])
    return g


@st.composite
def word_graph(draw: st.DrawFn, name: str = "words") -> Graph:
    g = Graph(name, "hw")
    w = draw(st.integers(1, 16))
    vals = [g.add_input("a", IntType(w)), g.add_input("b", IntType(w))]
    for _ in range(draw(st.integers(1, 10))):
        x, y = draw(st.sampled_from(vals)), draw(st.sampled_from(vals))
        x_w = x.type.width
        choice = draw(st.integers(0, 8))
        if choice == 0 and x.type == y.type:
            op = g.create(draw(st.sampled_from([word.AddOp, word.SubOp, word.XorOp])), [x, y], [x.type])
        elif choice == 1:
            op = g.create(word.MulOp, [x, y], [IntType(draw(st.integers(1, 32)))],
                          {"signed": draw(st.booleans())})
        elif choice == 2 and x.type == y.type:
            op = g.create(word.CmpOp, [x, y], [i1], {"pred": draw(st.sampled_from(word.CMP_PREDICATES))})
        elif choice == 3:
            op = g.create(word.ConcatOp, [x, y], [IntType(x_w + y.type.width)])
        elif choice == 4:
            lo = draw(st.integers(0, x_w - 1))
            op = g.create(word.ExtractOp, [x], [IntType(draw(st.integers(1, x_w - lo)))], {"lo": lo})
        elif choice == 5:
            op = g.create(word.ConstOp, [], [IntType(w)], {"value": draw(st.integers(0, 2**w - 1))})
        elif choice == 6:
            op = g.create(word.SextOp, [x], [IntType(x_w + draw(st.integers(0, 4)))])
        elif choice == 7:
            op = g.create(word.ShrOp, [x, y], [x.type], {"arith": draw(st.booleans())})
        else:
            op = g.create(word.ReduceXorOp, [x], [i1])
        vals.append(op.result)
    g.set_outputs([vals[-1]], ["y"])
    return g


@st.composite
def nn_graph(draw: st.DrawFn, name: str = "net") -> Graph:
    g = Graph(name, "nn", {"opset": 13})
    c = draw(st.integers(1, 3))
    x = g.add_input("input", TensorType(("N", c, 4, 4), "f32"))
    big = draw(st.booleans())
    k = 3 if big else 1
    wt = np.asarray(draw(st.lists(st.floats(-2, 2, width=32), min_size=2 * c * k * k, max_size=2 * c * k * k)),
                    dtype=np.float32).reshape(2, c, k, k)
    w = g.create(nn.ConstantOp, [], [TensorType(wt.shape)], {"value": DenseArray(wt)}, names=["w"])
    conv = g.create(nn.ConvOp, [x, w.result], [TensorType(("N", 2, 4, 4))],
                    {"pads": [k // 2] * 4, "strides": [1, 1], "note": draw(ATTRS)},
                    loc=NameLoc(draw(st.sampled_from(["conv1", "Conv_0", "a/b:c"]))))
    act = g.create(nn.ReluOp, [conv.result], [conv.result.type])
    opaque = g.create(nn.OpaqueOp, [act.result], [act.result.type, TensorType(("?",), "i64")],
                      {"op_type": "TopK", "domain": "", "k": 2})
    g.set_outputs([opaque.results[0]], ["logits"])
    return g


@st.composite
def modules(draw: st.DrawFn) -> Module:
    m = Module({"producer": draw(st.text(max_size=5))})
    m.add_graph(draw(logic_graph()))
    m.add_graph(draw(word_graph()))
    m.add_graph(draw(nn_graph()))
    body = m.graphs["logic"]
    holder = Graph("with_bmf", "hw")
    ins = [holder.add_input(v.name, v.type) for v in body.inputs]
    rec = holder.create(approx.BmfOp, ins, [v.type for v in body.outputs],
                        {"body": "logic", "degree": draw(st.integers(1, 4)), "origin": "part0",
                         "error": {"hd": draw(st.floats(0, 1))}})
    holder.set_outputs(rec.results, ["y", "last"])
    m.add_graph(holder, top=draw(st.booleans()))
    return m
