"""ONNX import -> export round trips: checked models, ORT-identical outputs, test data reproduced."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.backends.onnx_export import save_onnx
from axc.frontend.onnx_import import import_model, load_onnx
from axc.ir import DenseArray, TensorType
from axc.ir.dialects import nn
from axc.ir.dtypes import DTYPE_OF_ONNX
from axc.ir.parser import parse_module
from axc.ir.printer import print_module
from axc.ir.types import DTYPES
from axc.runtime.onnx_model import export_model
from axc.runtime.onnx_run import OnnxRunner
from onnx import TensorProto, helper, numpy_helper
from onnx_models import if_model

from axc.formats import get_saver

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
LIGHT_FILES = sorted(LIGHT.glob("light_*.onnx"))
# Models whose fully-connected weights ONNX Runtime materialises (hundreds of MB, seconds each).
HEAVY = {"light_vgg19", "light_bvlc_alexnet", "light_zfnet512"}
LIGHT_MODELS = [pytest.param(p, marks=pytest.mark.slow) if p.stem in HEAVY else p for p in LIGHT_FILES]
CORPUS_MODELS = [CORPORA / "onnx" / "mnist8" / "model.onnx", CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"]

# The tolerance of ONNX's own backend model tests (onnx.backend.test.loader).
ONNX_RTOL, ONNX_ATOL = 1e-3, 1e-7


def _real_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def _dummy_input(vi: onnx.ValueInfoProto) -> np.ndarray:
    """The input ONNX's backend runner feeds the light models (arange / n, free dims 1)."""
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in vi.type.tensor_type.shape.dim)
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def _test_sets(folder: Path) -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
    sets = []
    for d in sorted(folder.glob("test_data_set_*")):
        load = lambda p: numpy_helper.to_array(onnx.load_tensor(str(p)))  # noqa: E731
        sets.append(([load(p) for p in sorted(d.glob("input_*.pb"))], [load(p) for p in sorted(d.glob("output_*.pb"))]))
    return sets


@pytest.mark.parametrize("path", CORPUS_MODELS + LIGHT_MODELS, ids=lambda p: p.stem if p.stem != "model" else p.parent.name)
def test_round_trip_is_bit_identical(path: Path) -> None:
    original = onnx.load(str(path))
    module = load_onnx(str(path), {})
    result = export_model(module)
    assert result.notes == []
    onnx.checker.check_model(result.model, full_check=True)
    assert {o.domain: o.version for o in result.model.opset_import} == {o.domain: o.version for o in original.opset_import}
    ours, theirs = OnnxRunner(result.model), OnnxRunner(str(path))
    rng = np.random.default_rng(7)
    feeds = {}
    for vi in _real_inputs(original):
        shape = tuple(d.dim_value if d.HasField("dim_value") else 2 for d in vi.type.tensor_type.shape.dim)
        feeds[vi.name] = rng.random(shape, dtype=np.float32) * 4 - 1
    for a, b in zip(ours.run(feeds), theirs.run(feeds), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("path", LIGHT_MODELS, ids=lambda p: p.stem)
def test_light_model_reference_output(path: Path) -> None:
    original = onnx.load(str(path))
    (vi,) = _real_inputs(original)
    expected = numpy_helper.to_array(onnx.load_tensor(str(path.with_name(path.stem + "_output_0.pb"))))
    got = OnnxRunner(load_onnx(str(path), {})).run({vi.name: _dummy_input(vi)})[0]
    np.testing.assert_allclose(got, expected, rtol=ONNX_RTOL, atol=ONNX_ATOL)


@pytest.mark.parametrize("name", ["mnist8", "resnet8_cifar10"])
def test_corpus_test_data_sets_reproduce(name: str) -> None:
    folder = CORPORA / "onnx" / name
    runner = OnnxRunner(load_onnx(str(folder / "model.onnx"), {}))
    sets = _test_sets(folder)
    assert sets
    for inputs, outputs in sets:
        got = runner.run(dict(zip(runner.input_names, inputs)))
        for g, e in zip(got, outputs, strict=True):
            np.testing.assert_allclose(g, e, rtol=ONNX_RTOL, atol=1e-5)


def test_saver_writes_a_loadable_file(tmp_path: Path) -> None:
    module = load_onnx(str(CORPUS_MODELS[0]), {})
    out = tmp_path / "m.onnx"
    get_saver("onnx")(module, str(out), {})
    again = load_onnx(str(out), {})
    assert [op.name for op in again.top_graph.ops] == [op.name for op in module.top_graph.ops]
    assert again.attributes["onnx"] == module.attributes["onnx"]


def _add_weight_qdq(module, dtype: str, per_channel: bool) -> None:
    g = module.top_graph
    conv = g.ops_of(nn.ConvOp)[0]
    w = conv.operand(1)
    array = w.owner.attr("value").array
    qmax = {"i8": 127, "i4": 7}[dtype]
    amax = np.abs(array).reshape(array.shape[0], -1).max(1) if per_channel else np.abs(array).max()
    scale = np.asarray(amax / qmax, np.float32)
    s = g.create(nn.ConstantOp, [], [TensorType(scale.shape, "f32")], {"value": DenseArray(scale)}, names=["w_scale"]).result
    zero = np.zeros(scale.shape, np.int8)
    z = g.create(nn.ConstantOp, [], [TensorType(zero.shape, dtype)], {"value": DenseArray(zero)}, names=["w_zero"]).result
    attrs = {"axis": 0} if per_channel else {}
    q = g.create(nn.QuantizeOp, [w, s, z], [TensorType(w.type.shape, dtype)], attrs).result
    dq = g.create(nn.DequantizeOp, [q, s, z], [w.type], attrs).result
    conv.set_operand(1, dq)


@pytest.mark.parametrize(("dtype", "per_channel", "opset"), [("i8", False, 10), ("i8", True, 13), ("i4", True, 21)])
def test_qdq_features_upgrade_the_opset(dtype: str, per_channel: bool, opset: int, tmp_path: Path, capsys) -> None:
    module = load_onnx(str(CORPUS_MODELS[0]), {})
    _add_weight_qdq(module, dtype, per_channel)
    result = export_model(module)
    assert result.model.opset_import[0].version == opset
    assert result.notes and f"8 -> {opset}" in result.notes[0]
    assert all(vi.name == "Input3" for vi in result.model.graph.input)
    save_onnx(module, str(tmp_path / "q.onnx"), {})
    assert f"8 -> {opset}" in capsys.readouterr().err
    # ORT runs it and the dequantized weight stays close to the float one.
    x = np.random.default_rng(0).random((1, 1, 28, 28), dtype=np.float32) * 255
    float_out = OnnxRunner(str(CORPUS_MODELS[0])).run({"Input3": x})[0]
    quant_out = OnnxRunner(result.model).run({"Input3": x})[0]
    assert quant_out.shape == float_out.shape
    tolerance = 0.05 if dtype == "i8" else 0.6
    assert np.abs(quant_out - float_out).max() <= tolerance * np.abs(float_out).max()


def test_new_module_values_get_unique_names_and_identity_outputs() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 3]) for n in ("a", "b")]
    model = helper.make_model(
        helper.make_graph([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Neg", ["a"], ["b"])], "g", [x], outs),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    module = import_model(model)
    g = module.top_graph
    relu = g.ops_of(nn.ReluOp)[0]
    # a second output that reads the graph input directly, and a value whose hint collides
    g.add_output("x_copy", g.inputs[0])
    extra = g.create(nn.ReluOp, [relu.result], [relu.result.type], names=["a"])
    g.add_output("c", extra.result)
    exported = export_model(module).model
    names = [o for n in exported.graph.node for o in n.output]
    assert len(names) == len(set(names))
    feeds = {"x": np.arange(-3, 3, dtype=np.float32).reshape(2, 3)}
    a, b, x_copy, c = OnnxRunner(exported).run(feeds)
    assert np.array_equal(x_copy, feeds["x"]) and np.array_equal(c, np.maximum(feeds["x"], 0))


def test_if_subgraph_round_trip() -> None:
    model = if_model()
    runner = OnnxRunner(import_model(model))
    assert np.array_equal(runner.run({"cond": np.array(True)})[0], [5, 6])
    assert np.array_equal(runner.run({"cond": np.array(False)})[0], [-5, -6])


def test_light_sweep_is_complete() -> None:
    assert len(LIGHT_FILES) >= 9, os.listdir(LIGHT)


def test_quantized_model_reimports_and_exports_identically() -> None:
    module = load_onnx(str(CORPUS_MODELS[0]), {})
    _add_weight_qdq(module, "i4", True)
    first = export_model(module).model
    again = import_model(first)
    zero = next(op for op in again.top_graph.ops_of(nn.ConstantOp) if op.result.type.dtype == "i4")
    assert zero.attr("value").array.dtype == np.int8
    second = export_model(again)
    assert second.notes == [] and second.model.opset_import[0].version == 21
    x = np.random.default_rng(3).random((1, 1, 28, 28), dtype=np.float32) * 255
    assert np.array_equal(OnnxRunner(first).run({"Input3": x})[0], OnnxRunner(second.model).run({"Input3": x})[0])


def test_text_ir_round_trip_keeps_outputs() -> None:

    for path in (CORPUS_MODELS[1], LIGHT / "light_squeezenet.onnx"):
        module = load_onnx(str(path), {})
        reparsed = parse_module(print_module(module))
        x = module.top_graph.inputs[0]
        shape = tuple(d if isinstance(d, int) else 3 for d in x.type.shape)
        feed = {x.name: np.random.default_rng(4).random(shape, dtype=np.float32)}
        assert np.array_equal(OnnxRunner(module).run(feed)[0], OnnxRunner(reparsed).run(feed)[0])


def test_opset7_model_imports_and_keeps_its_opset() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Clip", ["x"], ["c"], min=-1.0, max=2.0), helper.make_node("Softmax", ["c"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 7)])
    model.ir_version = 3
    module = import_model(model)
    clip = module.top_graph.ops_of(nn.ClipOp)[0]
    assert clip.attr("min") == -1.0 and clip.attr("max") == 2.0
    exported = export_model(module).model
    assert exported.opset_import[0].version == 7 and exported.ir_version == 3
    feed = {"x": np.array([[-3, 0, 1, 5]], np.float32)}
    assert np.array_equal(OnnxRunner(exported).run(feed)[0], OnnxRunner(model).run(feed)[0])


def test_the_ir_dtype_codes_are_onnx_element_types() -> None:
    codes = {name: value for name, value in onnx.TensorProto.DataType.items()}
    spelled = {"f32": "FLOAT", "f64": "DOUBLE", "f16": "FLOAT16", "bf16": "BFLOAT16",
               "str": "STRING", "bool": "BOOL"}
    for code, dtype in DTYPE_OF_ONNX.items():
        name = spelled.get(dtype) or ("INT" if dtype[0] == "i" else "UINT") + dtype[1:]
        assert codes[name] == code, dtype
    assert set(DTYPE_OF_ONNX.values()) == set(DTYPES)
