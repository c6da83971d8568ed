"""The `quantize` pass on mnist8: QDQ models that ONNX Runtime runs, accuracy, integer view, errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend.onnx_import import import_model, load_onnx
from axc.ir import DenseArray, InputError, Module, TensorType, VerifyError, verify
from axc.ir.dialects import nn
from axc.ir.dialects.quant import QuantParams
from axc.passes.infra.base import PassContext
from axc.passes.infra.manager import PassManager
from axc.passes.network.quantize import QuantizePass, _fold
from axc.runtime import quant as Q
from axc.runtime.nn_eval import dataset_for_module, top1
from axc.runtime.onnx_model import export_model
from axc.runtime.onnx_run import OnnxRunner, has_sub_byte_weights
from onnx import TensorProto, helper, numpy_helper

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
MNIST = CORPORA / "datasets" / "mnist"
CALIB, EVAL = 200, 1000


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ds = dataset_for_module(str(MNIST), load_onnx(str(MNIST8)))
    assert ds.y is not None
    return ds.x[:CALIB], ds.x[CALIB : CALIB + EVAL], ds.y[CALIB : CALIB + EVAL]


def _runner(m: Module) -> OnnxRunner:
    return OnnxRunner(m)


def _accuracy(m: Module, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(top1(_runner(m).run_batched(x)) == y))


@pytest.fixture(scope="module")
def float_accuracy(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    _, x, y = data
    return _accuracy(load_onnx(str(MNIST8)), x, y)


def _quantized(calib: np.ndarray, **options: object) -> tuple[Module, PassContext]:
    m = load_onnx(str(MNIST8))
    ctx = PassContext(quiet=True)
    result = QuantizePass(**options).run(ctx, m, calib)  # type: ignore[arg-type]
    assert result.modified and result.stats["layers"] == 3
    verify(m)
    return m, ctx


@pytest.mark.parametrize(
    ("options", "max_drop"),
    [
        ({"bits": 8, "per_channel": False}, 0.5),
        ({"bits": 8, "per_channel": True}, 0.5),
        ({"bits": 4, "per_channel": True}, 1.5),
        ({"bits": 8, "weight_bits": 2, "per_channel": True}, 15.0),
        ({"bits": 16}, 0.2),
        ({"bits": 4, "act_signed": True, "calibration": "entropy"}, 2.0),
    ],
)
def test_qdq_model_runs_in_ort_with_sane_accuracy(data, float_accuracy, options, max_drop) -> None:
    calib, x, y = data
    m, _ = _quantized(calib, **options)
    acc = _accuracy(m, x, y)
    assert acc >= float_accuracy - max_drop / 100, (options, acc, float_accuracy)
    assert acc > 0.5


def test_per_channel_model_loads_at_opset_13(data) -> None:
    m, _ = _quantized(data[0], bits=8, per_channel=True)
    model = export_model(m).model
    opset = {o.domain: o.version for o in model.opset_import}[""]
    assert opset >= 13
    axes = [a.i for n in model.graph.node if n.op_type == "DequantizeLinear" for a in n.attribute if a.name == "axis"]
    assert axes, "per-channel weights must dequantize along an axis"
    _runner(m)  # loads


def _quantized_ops(m: Module) -> list:
    return [op for op in m.top_graph.ops if op.attr("quant") is not None]


@pytest.mark.parametrize(("bits", "per_channel", "symmetric"), [(8, True, None), (4, True, None), (3, False, True), (2, True, None)])
def test_integer_view_is_consistent(data, bits: int, per_channel: bool, symmetric: bool | None) -> None:
    original = load_onnx(str(MNIST8))
    weights = {op.loc.name: op for op in original.top_graph.ops if isinstance(op, (nn.ConvOp, nn.MatMulOp))}
    m, _ = _quantized(data[0], bits=8, weight_bits=bits, per_channel=per_channel, symmetric=symmetric)
    expect_symmetric = bits >= 8 if symmetric is None else symmetric
    ops = _quantized_ops(m)
    assert {op.loc.name for op in ops} == set(weights)
    for op in ops:
        v = op.attr("quant")
        w_int, scale, zero = v["w_int"].array, v["w_scale"].array, v["w_zero_point"].array
        assert w_int.dtype == np.int8 and v["w_bits"] == bits and v["w_signed"]
        assert w_int.min() >= -(1 << (bits - 1)) and w_int.max() <= (1 << (bits - 1)) - 1
        assert (scale.ndim == 1) == per_channel and v["w_symmetric"] == expect_symmetric
        assert np.all(zero == 0) if expect_symmetric else np.all((zero >= -(1 << (bits - 1))) & (zero < (1 << (bits - 1))))
        # dequantized integer weights equal the float weights within half a step
        float_w = _float_weight(weights[op.loc.name], v["weight_operand"])
        assert float_w.shape == w_int.shape
        axis = v["w_axis"]
        back = Q.dequantize(w_int, scale, zero, axis)
        step = scale if axis is None else np.expand_dims(scale, [d for d in range(w_int.ndim) if d != axis])
        assert np.all(np.abs(back - float_w) <= step / 2 * (1 + 1e-5))
        # the graph reads exactly these integers through a DequantizeLinear
        dq = op.operand(v["weight_operand"]).owner
        assert isinstance(dq, nn.DequantizeOp)
        assert np.array_equal(dq.operand(0).owner.attr("value").array, w_int)
        assert np.array_equal(dq.operand(1).owner.attr("value").array, scale)
        assert np.array_equal(dq.operand(2).owner.attr("value").array, zero)
        # and the activation through quantize -> dequantize with the recorded parameters
        x_dq = op.operand(1 - v["weight_operand"] if isinstance(op, nn.MatMulOp) else 0).owner
        assert isinstance(x_dq, nn.DequantizeOp)
        assert float(x_dq.operand(1).owner.attr("value").array) == pytest.approx(v["x_scale"])
        assert int(x_dq.operand(2).owner.attr("value").array) == v["x_zero_point"]
        assert v["x_bits"] == 8 and not v["x_signed"]


def _float_weight(op, index: int) -> np.ndarray:
    return _fold(op.operand(index))


def test_int32_bias_at_product_scale(data) -> None:
    """A conv with its bias operand (the folded mnist8 pattern) gets an int32 bias."""
    calib, x, _ = data
    m = load_onnx(str(MNIST8))
    _fold_first_bias(m)
    reference = _runner(m.clone()).run_batched(x[:100])
    QuantizePass(bits=8).run(PassContext(quiet=True), m, calib)
    conv = next(op for op in _quantized_ops(m) if isinstance(op, nn.ConvOp) and len(op.operands) == 3)
    v = conv.attr("quant")
    b_int, b_scale = v["bias_int"].array, v["bias_scale"].array
    assert b_int.dtype == np.int32
    assert np.allclose(b_scale, np.float32(v["x_scale"]) * v["w_scale"].array)
    dq = conv.operand(2).owner
    assert isinstance(dq, nn.DequantizeOp) and dq.operand(0).owner.attr("value").array.dtype == np.int32
    out = _runner(m).run_batched(x[:100])
    assert np.mean(top1(out) == top1(reference)) >= 0.98


def _fold_first_bias(m: Module) -> None:
    g = m.top_graph
    conv = next(op for op in g.topo_order() if isinstance(op, nn.ConvOp))
    add = conv.result.users()[0]
    bias_const = add.operand(1).owner
    flat = bias_const.attr("value").array.reshape(-1)

    b = g.create(nn.ConstantOp, [], [TensorType((flat.size,), "f32")], {"value": DenseArray(flat)}, names=["conv_bias"])
    conv.set_operands([*conv.operands, b.result])
    add.result.replace_all_uses_with(conv.result)
    g.erase(add)
    g.erase(bias_const)
    verify(m)


def test_low_bit_activations_clip_inside_uint8(data) -> None:
    calib, x, y = data
    m, ctx = _quantized(calib, bits=4)
    clips = [op for op in m.top_graph.ops if isinstance(op, nn.ClipOp)]
    assert len(clips) == 3
    for c in clips:
        assert int(c.operand(2).owner.attr("value").array) == 15
    assert all(op.attr("quant")["x_bits"] == 4 for op in _quantized_ops(m))
    assert _accuracy(m, x[:300], y[:300]) > 0.9
    assert ctx.report["quantize"]["act_bits"] == 4


def test_layer_selection(data) -> None:
    calib = data[0]
    m = load_onnx(str(MNIST8))
    QuantizePass(exclude=("matmul",)).run(PassContext(quiet=True), m, calib)
    assert sorted(op.loc.name for op in _quantized_ops(m)) == ["Convolution110", "Convolution28"]
    m = load_onnx(str(MNIST8))
    QuantizePass(layers=("Convolution110",)).run(PassContext(quiet=True), m, calib)
    assert [op.loc.name for op in _quantized_ops(m)] == ["Convolution110"]
    with pytest.raises(InputError, match="no layer named 'conv9'"):
        QuantizePass(layers=("conv9",)).run(PassContext(quiet=True), load_onnx(str(MNIST8)), calib)


@pytest.mark.parametrize("options", [{"bits": 1}, {"bits": 33}, {"weight_bits": 9}, {"act_bits": 0}])
def test_bad_bits_are_one_clear_error(options) -> None:
    with pytest.raises(InputError, match="not supported"):
        QuantizePass(**options).apply(PassContext(quiet=True), load_onnx(str(MNIST8)))


def test_missing_data_is_an_input_error() -> None:
    with pytest.raises(InputError, match="needs calibration data"):
        QuantizePass().apply(PassContext(quiet=True), load_onnx(str(MNIST8)))


def test_pipeline_with_global_data_and_calib() -> None:
    m = load_onnx(str(MNIST8))
    pipeline = "quantize{bits=4 calibration=percentile}"
    result = PassManager.parse(pipeline, data=str(MNIST), calib=64).run(m)
    assert result.stats["quantize"]["layers"] == 3
    assert result.ctx.report["quantize"]["calib_samples"] == 64
    assert result.ctx.report["quantize"]["weight_bits"] == 4


@pytest.mark.parametrize(("bits", "dtype", "opset"), [(4, "i4", 21), (2, "i2", 25)])
def test_packed_sub_byte_weights_give_the_same_outputs(data, bits: int, dtype: str, opset: int) -> None:
    calib, x, _ = data
    plain, _ = _quantized(calib, weight_bits=bits)
    packed, _ = _quantized(calib, weight_bits=bits, packed=True)
    types = {op.operand(v["weight_operand"]).owner.operand(0).type.dtype
             for op in _quantized_ops(packed) for v in [op.attr("quant")]}
    assert types == {dtype}
    model = export_model(packed).model
    assert {o.domain: o.version for o in model.opset_import}[""] >= opset
    assert has_sub_byte_weights(model) and not has_sub_byte_weights(export_model(plain).model)
    # the same QDQ arithmetic, unfused (ORT's QLinearConv refuses int2 weights): the same outputs
    unfused = [OnnxRunner(m, fuse_qdq=False).run_batched(x[:200]) for m in (packed, plain)]
    assert np.array_equal(*unfused)
    fused = [_runner(m).run_batched(x[:200]) for m in (packed, plain)]  # ORT's integer kernels
    assert np.mean(fused[0].argmax(1) == fused[1].argmax(1)) >= 0.99  # (their rounding differs)


def test_quant_params_read_store_and_are_verified(data) -> None:
    calib = data[0]
    m, _ = _quantized(calib, weight_bits=4)
    conv = next(op for op in _quantized_ops(m) if isinstance(op, nn.ConvOp))
    view = QuantParams.of(conv)
    assert view is not None and view.w_bits == 4 and not view.w_symmetric and view.w_axis == 0
    dq = conv.operand(1).owner
    assert np.array_equal(Q.dequantize(view.w_int, view.w_scale, view.w_zero_point, view.w_axis),
                          Q.dequantize(dq.operand(0).owner.attr("value").array,
                                       dq.operand(1).owner.attr("value").array,
                                       dq.operand(2).owner.attr("value").array, 0))
    q = Q.quantize(calib[:2], view.x_scale, view.x_zero_point, Q.IntRange(view.x_bits, view.x_signed))
    assert q.min() >= 0 and q.max() <= 255
    replace(view, calibration="edited").store(conv)
    assert QuantParams.of(conv).calibration == "edited"
    assert QuantParams.of(next(op for op in m.top_graph.ops if isinstance(op, nn.ReluOp))) is None
    verify(m)
    conv.set_attr("quant", {k: v for k, v in conv.attr("quant").items() if k != "x_bits"})
    with pytest.raises(VerifyError, match=r"missing \['x_bits'\]"):
        verify(m)


def test_full_mnist_goals_against_onnxruntime_quantization(tmp_path: Path) -> None:
    """The issue's goals on all 10,000 MNIST test images, beside ORT's quantize_static."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    ds = dataset_for_module(str(MNIST), load_onnx(str(MNIST8)))
    x, y, calib = ds.x, ds.y, ds.x[:500]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"Input3": s[None]} for s in calib])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    ort_path = tmp_path / "ort.onnx"
    quantize_static(str(MNIST8), str(ort_path), Reader(), quant_format=QuantFormat.QDQ)
    ort_acc = float(np.mean(top1(OnnxRunner(str(ort_path)).run_batched(x)) == y))
    float_acc = _accuracy(load_onnx(str(MNIST8)), x, y)
    per_tensor = _accuracy(_quantized(calib, bits=8, per_channel=False)[0], x, y)
    per_channel = _accuracy(_quantized(calib, bits=8)[0], x, y)
    four_bit = _accuracy(_quantized(calib, bits=8, weight_bits=4)[0], x, y)
    assert min(per_tensor, per_channel) >= ort_acc
    assert four_bit >= float_acc - 0.01


def test_depthwise_conv_gemm_trans_and_left_matmul_weights() -> None:
    """Channel axes: grouped conv (axis 0), Gemm with transB (axis 0), W @ x MatMul (rows)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(5)
    inits = {
        "dw": rng.normal(size=(4, 1, 3, 3)).astype(np.float32), "db": rng.normal(size=4).astype(np.float32),
        "gw": rng.normal(size=(6, 4 * 5 * 5)).astype(np.float32) * np.geomspace(0.01, 1, 6)[:, None].astype(np.float32),
        "gb": rng.normal(size=6).astype(np.float32), "lw": rng.normal(size=(3, 6)).astype(np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "dw", "db"], ["c"], group=4, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Flatten", ["r"], ["f"]),
        helper.make_node("Gemm", ["f", "gw", "gb"], ["g"], transB=1),
        helper.make_node("Transpose", ["g"], ["gt"]),
        helper.make_node("MatMul", ["lw", "gt"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 5, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])],
                              [numpy_helper.from_array(a, n) for n, a in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    m = import_model(onnx.shape_inference.infer_shapes(model))
    x = rng.normal(size=(64, 4, 5, 5)).astype(np.float32)
    ref = np.stack([OnnxRunner(m).run({"x": x[i : i + 2]})[0] for i in range(0, 8, 2)])
    QuantizePass(bits=8).run(PassContext(quiet=True), m, x)
    views = {op.name: op.attr("quant") for op in _quantized_ops(m)}
    assert views["nn.conv"]["w_axis"] == 0 and views["nn.conv"]["w_scale"].shape == (4,)
    assert views["nn.gemm"]["w_axis"] == 0 and views["nn.gemm"]["bias_int"].shape == (6,)
    assert views["nn.matmul"]["weight_operand"] == 0 and views["nn.matmul"]["w_axis"] == 0
    out = np.stack([_runner(m).run({"x": x[i : i + 2]})[0] for i in range(0, 8, 2)])
    assert np.max(np.abs(out - ref)) <= 0.03 * np.max(np.abs(ref))  # measured 0.020


def _pytorch_style_mlp_with_batchnorm(path: Path) -> Path:
    """Conv -> Relu -> Reshape([1, -1]) -> MatMul -> BatchNormalization -> Relu -> MatMul -> Add,
    at batch 1 (PyTorch's Linear + BatchNorm1d export)."""
    rng = np.random.default_rng(3)
    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("conv_w", rng.normal(size=(2, 1, 3, 3)).astype(np.float32)),
        ("flat", np.array([1, -1], dtype=np.int64)),
        ("fc1_w", rng.normal(size=(32, 8)).astype(np.float32)),
        ("bn_scale", rng.uniform(0.5, 2, 8).astype(np.float32)), ("bn_bias", rng.normal(size=8).astype(np.float32)),
        ("bn_mean", rng.normal(size=8).astype(np.float32)), ("bn_var", rng.uniform(0.5, 2, 8).astype(np.float32)),
        ("fc2_w", rng.normal(size=(8, 4)).astype(np.float32)), ("fc2_b", rng.normal(size=4).astype(np.float32))]]
    nodes = [helper.make_node("Conv", ["x", "conv_w"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "flat"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "fc1_w"], ["h"], name="fc1"),
             helper.make_node("BatchNormalization", ["h", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["hn"], name="bn"),
             helper.make_node("Relu", ["hn"], ["hr"], name="relu2"),
             helper.make_node("MatMul", ["hr", "fc2_w"], ["o"], name="fc2"),
             helper.make_node("Add", ["o", "fc2_b"], ["y"], name="fc2_bias")]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path / "mlp.onnx")
    np.savez(path / "data.npz", x=rng.uniform(0, 1, size=(64, 1, 6, 6)).astype(np.float32))
    return path / "mlp.onnx"


def test_quantize_folds_batchnorm_after_matmul_and_biases_first(tmp_path: Path) -> None:
    model = _pytorch_style_mlp_with_batchnorm(tmp_path)
    float_module = load_onnx(str(model))
    module = load_onnx(str(model))
    manager = PassManager.parse("quantize", data=str(tmp_path / "data.npz"))
    result = manager.run(module, manager.make_context(quiet=True))
    g = module.top_graph
    assert not g.ops_of(nn.BatchNormOp) and not g.ops_of(nn.AddOp) and not g.ops_of(nn.MatMulOp)
    assert len(g.ops_of(nn.GemmOp)) == 2 and len(_quantized_ops(module)) == 3
    assert result.ctx.report["quantize"]["folded"] == {"dense-batchnorm": 1, "matmul-add": 1}
    assert result.ctx.report["quantize"]["left_in_float"] == []
    x = np.load(tmp_path / "data.npz")["x"][:16]
    want = np.concatenate([OnnxRunner(float_module).run({"x": x[i:i + 1]})[0] for i in range(16)])
    got = np.concatenate([OnnxRunner(module).run({"x": x[i:i + 1]})[0] for i in range(16)])
    assert np.abs(got - want).max() <= 0.05 * np.abs(want).max()


def test_an_op_without_integer_form_stays_float_and_is_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("W", rng.normal(size=(1, 8, 3)).astype(np.float32)), ("R", rng.normal(size=(1, 8, 2)).astype(np.float32)),
        ("shape", np.array([1, 10], dtype=np.int64)), ("fc_w", rng.normal(size=(10, 3)).astype(np.float32))]]
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], name="time_major", perm=[1, 0, 2]),
             helper.make_node("LSTM", ["xt", "W", "R"], ["seq"], name="lstm", hidden_size=2),
             helper.make_node("Reshape", ["seq", "shape"], ["flat"], name="flat"),
             helper.make_node("MatMul", ["flat", "fc_w"], ["y"], name="fc")]
    graph = helper.make_graph(nodes, "rnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "rnn.onnx")
    np.savez(tmp_path / "data.npz", x=rng.normal(size=(8, 5, 3)).astype(np.float32))
    module = load_onnx(str(tmp_path / "rnn.onnx"))
    x = np.load(tmp_path / "data.npz")["x"]
    ctx = PassContext(quiet=True)
    result = QuantizePass().run(ctx, module, x)
    assert ctx.report["quantize"]["left_in_float"] == ["LSTM 'lstm'"]
    assert any("left in float" in n and "LSTM 'lstm'" in n for n in result.notes)
    assert len(_quantized_ops(module)) == 1
    OnnxRunner(module).run({"x": x[:1]})  # still runs


def test_the_report_says_which_scheme_each_layer_got_and_why(data) -> None:
    calib = data[0]
    m = load_onnx(str(MNIST8))
    ctx = PassContext(quiet=True)
    QuantizePass().run(ctx, m, calib)
    layers = ctx.report["quantize"]["layers"]
    assert {e["weights"] for e in layers.values()} == {"signed symmetric, per channel"}
    assert {e["weights_why"] for e in layers.values()} == {"default at 8 bits and more"}
    assert all(e["activations"] == "unsigned, zero point 0" and e["x_zero_point"] == 0 for e in layers.values())
    assert "produced by ReLU" in {e["activations_why"] for e in layers.values()}
    m = load_onnx(str(MNIST8))
    QuantizePass(weight_bits=4).run(ctx, m, calib)
    assert all("affine" in e["weights"] and "below 8 bits" in e["weights_why"]
               for e in ctx.report["quantize"]["layers"].values())
