"""The reference interpreter: Python-int and vector evaluation agree with plain arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir import Graph, InputError, IntType, TruthTable
from axc.ir.dialects import hw, logic, word
from axc.runtime.interp import evaluate, word_op_value


def test_word_op_values_on_python_ints() -> None:
    assert word_op_value("word.add", [250, 10], [8, 8], 8, {}) == 4
    assert word_op_value("word.sub", [3, 5], [8, 8], 8, {}) == 254
    assert word_op_value("word.mul", [0xFF, 0x02], [8, 8], 16, {"signed": True}) == 0xFFFE
    assert word_op_value("word.mul", [0xFF, 0x02], [8, 8], 16, {}) == 0x1FE
    assert word_op_value("word.shr", [0x80, 3], [8, 3], 8, {"arith": True}) == 0xF0
    assert word_op_value("word.shr", [0x80, 9], [8, 4], 8, {"arith": True}) == 0xFF
    assert word_op_value("word.shl", [0x81, 1], [8, 3], 8, {}) == 0x02
    assert word_op_value("word.cmp", [0x80, 0x01], [8, 8], 1, {"pred": "slt"}) == 1
    assert word_op_value("word.cmp", [0x80, 0x01], [8, 8], 1, {"pred": "ult"}) == 0
    assert word_op_value("word.concat", [0x3, 0x1], [2, 4], 6, {}) == 0b000111
    assert word_op_value("word.sext", [0b101], [3], 6, {}) == 0b111101
    assert word_op_value("word.reduce_xor", [0b1011], [4], 1, {}) == 1


def _graph() -> Graph:
    g = Graph("t")
    a = g.add_input("a", IntType(4))
    b = g.add_input("b", IntType(4))
    bits = g.create(hw.SplitOp, [a], [IntType(1)] * 4).results
    lut = g.create(logic.LutOp, [bits[0], bits[1], bits[2]], [IntType(1)],
                   {"table": TruthTable(3, 0b10010110)}).result
    maj = g.create(logic.MajOp, [bits[0], bits[1], bits[3]], [IntType(1)]).result
    mux = g.create(logic.MuxOp, [bits[3], lut, maj], [IntType(1)]).result
    total = g.create(word.AddOp, [a, b], [IntType(4)]).result
    g.set_outputs([g.create(hw.JoinOp, [mux, lut, maj], [IntType(3)]).result, total],
                  ["bits", "sum"])
    return g


def _reference(a: int, b: int) -> tuple[int, int]:
    x = [(a >> i) & 1 for i in range(4)]
    lut = x[0] ^ x[1] ^ x[2]
    maj = int(x[0] + x[1] + x[3] >= 2)
    mux = lut if x[3] else maj
    return mux | lut << 1 | maj << 2, (a + b) & 15


def test_scalar_and_vector_evaluation_agree() -> None:
    g = _graph()
    a = np.repeat(np.arange(16, dtype=np.uint64), 16)
    b = np.tile(np.arange(16, dtype=np.uint64), 16)
    vec = evaluate(g, {"a": a, "b": b})
    for k in range(256):
        want = _reference(int(a[k]), int(b[k]))
        got = evaluate(g, {"a": int(a[k]), "b": int(b[k])})
        assert (got["bits"], got["sum"]) == want
        assert (int(vec["bits"][k]), int(vec["sum"][k])) == want


def test_missing_input_is_an_input_error() -> None:
    with pytest.raises(InputError):
        evaluate(_graph(), {"a": 1})
