"""ONNX frontend: op mapping, types from shape inference, metadata, and clear errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend.onnx_import import import_model, load_onnx
from axc.ir import DenseArray, InputError, NameLoc, ParseError, TensorType, verify
from axc.ir.dialects import nn
from onnx import TensorProto, helper
from onnx_models import if_model

from axc.formats import get_loader

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
RESNET8 = CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"


def test_mnist8_structure_and_types() -> None:
    module = get_loader("onnx")(str(MNIST8), {})
    verify(module)
    g = module.top_graph
    assert g.kind == "nn"
    assert [v.name for v in g.inputs] == ["Input3"]
    assert g.inputs[0].type == TensorType((1, 1, 28, 28), "f32")
    assert g.output_names == ("Plus214_Output_0",)
    assert g.outputs[0].type == TensorType((1, 10), "f32")
    kinds = [op.name for op in g.ops if not isinstance(op, nn.ConstantOp)]
    assert kinds == [
        "nn.reshape", "nn.conv", "nn.add", "nn.relu", "nn.maxpool", "nn.conv", "nn.add", "nn.relu",
        "nn.maxpool", "nn.reshape", "nn.matmul", "nn.add",
    ]
    conv = g.ops_of(nn.ConvOp)[0]
    assert conv.attr("kernel_shape") == (5, 5)
    assert conv.attr("auto_pad") == "SAME_UPPER"
    assert isinstance(conv.loc, NameLoc) and conv.loc.name == "Convolution28"
    assert conv.result.type == TensorType((1, 8, 28, 28), "f32")
    weight = conv.operand(1).owner
    assert isinstance(weight, nn.ConstantOp) and weight.attr("value").shape == (8, 1, 5, 5)
    assert weight.result.name == "Parameter5"
    facts = module.attributes["onnx"]
    assert facts["opset_import"][""] == 8 and facts["ir_version"] == 3
    assert facts["producer_name"] == "CNTK"


def test_resnet8_symbolic_batch_and_ops() -> None:
    module = load_onnx(str(RESNET8), {})
    verify(module)
    g = module.top_graph
    (x,) = g.inputs
    assert isinstance(x.type.shape[0], str) and x.type.shape[1:] == (32, 32, 3)
    counts = Counter(op.name for op in g.ops)
    assert counts["nn.conv"] == 9 and counts["nn.relu"] == 7 and counts["nn.softmax"] == 1
    assert "nn.opaque" not in counts
    assert module.attributes["onnx"]["opset_import"]["ai.onnx.ml"] == 2


def test_unknown_ops_become_opaque_with_attributes() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [
        helper.make_node("LRN", ["x"], ["l"], name="lrn0", size=3, alpha=1e-4, beta=0.75),
        helper.make_node("Constant", [], ["c"], value_floats=[1.0, 2.0, 3.0]),
        helper.make_node("Resize", ["l", "", "sc"], ["y"], mode="nearest"),
    ]
    scales = helper.make_tensor("sc", TensorProto.FLOAT, [4], [1, 1, 2, 2])
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [scales]), opset_imports=[helper.make_opsetid("", 13)])
    module = import_model(model)
    verify(module)
    g = module.top_graph
    lrn = next(op for op in g.ops if op.attr("op_type") == "LRN")
    assert isinstance(lrn, nn.OpaqueOp) and lrn.attr("size") == 3 and lrn.attr("domain") == ""
    assert lrn.attr("beta") == pytest.approx(0.75)
    resize = next(op for op in g.ops if op.attr("op_type") == "Resize")
    assert resize.attr("_empty_inputs") == (1,) and len(resize.operands) == 2
    assert resize.result.type == TensorType((1, 3, 16, 16), "f32")
    const = next(op for op in g.ops_of(nn.ConstantOp) if op.result.name == "c")
    assert np.array_equal(const.attr("value").array, [1, 2, 3]) and isinstance(const.attr("value"), DenseArray)


def test_subgraph_attribute_is_kept_serialized() -> None:
    model = if_model()
    g = import_model(model).top_graph
    op = next(op for op in g.ops if op.attr("op_type") == "If")
    assert op.attr("_captures") == ("k",)
    assert [v.name for v in op.operands] == ["cond", "k"]
    assert set(op.attr("then_branch")) == {"onnx_attribute"}


def test_corrupt_file_is_a_parse_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07\x12\xff\xff\xff garbage that is not a protobuf" * 3)
    with pytest.raises(ParseError) as info:
        load_onnx(str(bad), {})
    assert "not a valid ONNX model" in str(info.value) and "\n" not in str(info.value)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ParseError):
        load_onnx(str(empty), {})
    with pytest.raises(InputError, match="no such file"):
        load_onnx(str(tmp_path / "missing.onnx"), {})


def test_model_without_inputs_is_an_input_error(tmp_path: Path) -> None:
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    c = helper.make_tensor("c", TensorProto.FLOAT, [2], [1, 2])
    model = helper.make_model(
        helper.make_graph([helper.make_node("Relu", ["c"], ["y"])], "g", [], [y], [c]),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    path = tmp_path / "noinput.onnx"
    onnx.save(model, str(path))
    with pytest.raises(InputError, match="no inputs") as info:
        load_onnx(str(path), {})
    assert str(info.value).startswith(f"{path}:1:1: error:")
