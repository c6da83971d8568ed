"""Small ONNX models built in code for the frontend and round-trip tests."""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper


def if_model() -> onnx.ModelProto:
    """`out = cond ? k : -k` with k = [5, 6] defined outside the branches (a captured value)."""
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [2])
    outer = helper.make_node("Constant", [], ["k"], value_floats=[5.0, 6.0])
    then_g = helper.make_graph([helper.make_node("Identity", ["k"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["k"], ["e"])], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
    node = helper.make_node("If", ["cond"], ["out"], then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph([outer, node], "g", [cond], [out])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
