"""approx-mul, htp and lower-approx on mnist8: torch LUT path, ONNX Runtime, HTP, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from axc.ir import InputError, verify
from axc.ir.dialects import approx, nn
from axc.ir.dialects.quant import QuantParams
from axc.ir.network import constant_of
from axc.passes.infra.base import PassContext
from axc.passes.network.approx_mul import ApproxMulPass
from axc.passes.network.htp import DEFAULT_MULTIPLIER, HtpPass
from axc.passes.network.lower_approx import LowerApproxPass
from axc.passes.network.quantize import QuantizePass
from axc.runtime.multipliers import load_multiplier
from axc.runtime.multipliers.compensation import CodeHistogram, channel_error
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.torch_net import to_torch

import axc
from axc.api import read_file
from axc.formats import get_loader, get_saver

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
MNIST = CORPORA / "datasets" / "mnist"
GTR = CORPORA / "evoapprox" / "v2022" / "8x8_unsigned" / "mul8u_GTR.v"
L2H = next((CORPORA / "evoapprox").rglob("mul8s_1L2H.v"))


@pytest.fixture(scope="module")
def quantized():
    module = get_loader("onnx")(str(MNIST8), {})
    QuantizePass(calib=64, data=str(MNIST)).apply(PassContext(quiet=True, reader=read_file), module)
    return module


@pytest.fixture(scope="module")
def images(quantized) -> np.ndarray:
    return dataset_for_module(str(MNIST), quantized).x[1000:1012].astype(np.float32)


def _torch_outputs(module, x: np.ndarray) -> np.ndarray:
    net = to_torch(module)
    with torch.no_grad():
        return np.concatenate([net(torch.from_numpy(x[i:i + 1])).numpy() for i in range(len(x))])


def _ort_outputs(module, x: np.ndarray, tmp_path: Path) -> np.ndarray:
    import onnxruntime as ort

    lowered = module.clone()
    LowerApproxPass().apply(PassContext(quiet=True, reader=read_file), lowered)
    verify(lowered)
    assert not lowered.top_graph.ops_of(approx.MulOp, approx.HtpOp)
    path = tmp_path / "out.onnx"
    get_saver("onnx")(lowered, str(path), {})
    session = ort.InferenceSession(str(path))
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


@pytest.mark.parametrize("spec", ["exact", "drum{k=4}"])
def test_lut_layers_agree_in_torch_and_onnxruntime(quantized, images, tmp_path, spec) -> None:
    module = quantized.clone()
    ctx = PassContext(quiet=True, reader=read_file)
    result = ApproxMulPass(multiplier=spec).apply(ctx, module)
    verify(module)
    layers = module.top_graph.ops_of(approx.MulOp)
    assert len(layers) == 3 and result.stats["layers"] == 3
    assert all(op.attr("origin").startswith("nn.") and "mae" in op.attr("error") for op in layers)
    # the family takes unsigned activations and signed weights as they are: no shift, zero stays 0
    assert not any("re-quantized" in m for m in ctx.messages)
    assert all(not op.attr("mul_x_signed") and op.attr("mul_w_signed") for op in layers)
    assert all(op.attr("quant")["x_zero_point"] == op.attr("x_zero_point") for op in layers)
    lut = _torch_outputs(module, images)
    assert np.array_equal(lut, _ort_outputs(module, images, tmp_path))
    if spec == "exact":  # the exact multiplier reproduces the fake-quantized network
        assert np.abs(lut - _torch_outputs(quantized, images)).max() < 1e-2


@pytest.mark.parametrize("spec", ["trunc{l=2,m=2}", "mitchell{k=3}"])
def test_htp_of_exact_models_is_bit_identical_to_lut(quantized, images, tmp_path, spec) -> None:
    module = quantized.clone()
    ApproxMulPass(multiplier=spec).apply(PassContext(quiet=True, reader=read_file), module)
    lut = _torch_outputs(module, images)
    ctx = PassContext(quiet=True, reader=read_file)
    HtpPass().apply(ctx, module)
    verify(module)
    assert len(module.top_graph.ops_of(approx.HtpOp)) == 3
    assert ctx.report["htp"]["models"][spec]["label"] == "exact"
    htp = _torch_outputs(module, images)
    assert np.array_equal(lut, htp)
    assert np.array_equal(htp, _ort_outputs(module, images, tmp_path))


def test_unsigned_circuit_on_signed_weights_by_sign_extraction_or_shift(quantized, images) -> None:
    extracted = quantized.clone()
    ctx = PassContext(quiet=True, reader=read_file)
    ApproxMulPass(circuit=str(GTR)).apply(ctx, extracted)
    op = extracted.top_graph.ops_of(approx.MulOp)[0]
    view = op.attr("quant")
    assert op.attr("sign_extraction") and op.attr("mul_w_signed") and np.asarray(view["w_int"].array).min() < 0
    assert np.all(np.asarray(view["w_zero_point"].array) == 0)  # a zero weight reaches the design as 0
    assert any("sign extraction" in m for m in ctx.messages)
    lut = constant_of(op.operand(4)).astype(np.int64)  # sign(w) * f(x, |w|)
    assert np.array_equal(lut[:, 128 - 5], -lut[:, 128 + 5]) and not lut[:, 128].any()

    module = quantized.clone()
    ctx = PassContext(quiet=True, reader=read_file)
    ApproxMulPass(circuit=str(GTR), signs="shift").apply(ctx, module)
    op = module.top_graph.ops_of(approx.MulOp)[0]
    view = op.attr("quant")
    assert not op.attr("signed") and np.asarray(view["w_int"].array).min() >= 0
    assert module.graphs[op.attr("circuit")].kind == "hw"  # the cross-level link to the gates
    assert any("weights re-quantized to unsigned" in m for m in ctx.messages)
    assert ctx.report["approx-mul"]["multiplier"]["metrics"]["wce"] == 125  # EvoApprox header
    assert ctx.report["approx-mul"]["saving%"]["area"] > 0
    refused = PassContext(quiet=True, reader=read_file)
    kept = module.clone()
    result = HtpPass().apply(refused, kept)
    assert not result.modified and result.stats["kept_lut"] == len(kept.top_graph.ops_of(approx.MulOp)) > 0
    assert not kept.top_graph.ops_of(approx.HtpOp)
    assert any("refused" in m and "surrogate" in m for m in refused.messages)
    warned = PassContext(quiet=True, reader=read_file)
    HtpPass(allow_surrogate=True).apply(warned, module)
    assert any("warning" in m for m in warned.messages)
    out = _torch_outputs(module, images)
    assert np.isfinite(out).all()


def test_a_signed_design_takes_unsigned_activations_with_zero_kept_at_zero(quantized, images, tmp_path) -> None:
    """8-bit ReLU codes 0..255 reach a signed 8-bit design as 0..127 over the same range, not
    shifted by -128; torch and ONNX Runtime agree bit for bit (q * 127/255 never ties)."""
    module = quantized.clone()
    ctx = PassContext(quiet=True, reader=read_file)
    ApproxMulPass(circuit=str(L2H)).apply(ctx, module)
    verify(module)
    ops = module.top_graph.ops_of(approx.MulOp)
    assert all(op.attr("mul_x_signed") and op.attr("x_zero_point") == 0 for op in ops)
    first = ops[0]
    assert (first.attr("x_min"), first.attr("x_max")) == (0, 127)
    view = QuantParams.of(quantized.top_graph.ops_of(nn.ConvOp)[0])
    assert first.attr("x_scale") == pytest.approx(view.x_scale * 255 / 127)
    assert any("codes 0..127" in m and "zero stays zero" in m for m in ctx.messages)
    lut = _torch_outputs(module, images)
    assert np.array_equal(lut, _ort_outputs(module, images, tmp_path))

    exact = quantized.clone()
    ApproxMulPass(multiplier="exact", signed=True).apply(PassContext(quiet=True, reader=read_file), exact)
    reference = _torch_outputs(quantized, images)  # 8-bit activations; 7 bits stay close
    assert np.abs(_torch_outputs(exact, images) - reference).max() < 0.05 * np.abs(reference).max()

    shifted = quantized.clone()
    ctx = PassContext(quiet=True, reader=read_file)
    ApproxMulPass(circuit=str(L2H), signs="shift").apply(ctx, shifted)
    assert all(op.attr("x_zero_point") == -128 for op in shifted.top_graph.ops_of(approx.MulOp))
    assert any("zero point 0 -> -128" in m for m in ctx.messages)


def test_htp_without_multiplier_uses_the_default(quantized) -> None:
    module = quantized.clone()
    ctx = PassContext(quiet=True, reader=read_file)
    HtpPass().apply(ctx, module)
    assert ctx.report["htp"]["multiplier_source"].startswith("default")
    assert DEFAULT_MULTIPLIER in ctx.report["htp"]["models"]
    for pipeline, options, source in (("htp", {"multiplier": "trunc{l=1,m=1}"}, "--multiplier"),
                                      ("htp{multiplier='trunc{l=1,m=1}'}", {}, "htp{multiplier=...}")):
        result = axc.PassManager.parse(pipeline, **options).run(quantized.clone())
        assert result.ctx.report["htp"]["multiplier_source"] == source
        assert "trunc{l=1,m=1}" in result.ctx.report["htp"]["models"]
        assert result.report["passes"][0]["global_options"] == sorted(options)


def test_bad_input(quantized) -> None:
    float_net = get_loader("onnx")(str(MNIST8), {})
    with pytest.raises(InputError, match="no quantized"):
        ApproxMulPass(multiplier="exact").apply(PassContext(quiet=True, reader=read_file), float_net)
    with pytest.raises(InputError, match="no quantized"):
        HtpPass().apply(PassContext(quiet=True, reader=read_file), float_net)
    with pytest.raises(InputError, match="unknown multiplier family"):
        ApproxMulPass(multiplier="booth{k=2}").apply(PassContext(quiet=True, reader=read_file), quantized.clone())
    with pytest.raises(InputError, match="no layer named"):
        ApproxMulPass(multiplier="exact", layers=("nope",)).apply(PassContext(quiet=True, reader=read_file),
                                                                  quantized.clone())
    add8 = CORPORA / "evoapprox" / "lite_master"
    adders = sorted(add8.rglob("add8u_*.v"))
    if adders:
        with pytest.raises(InputError, match="not a two-operand multiplier"):
            ApproxMulPass(circuit=str(adders[0])).apply(PassContext(quiet=True, reader=read_file), quantized.clone())


def test_channel_error_is_the_expected_error_of_each_output_sum() -> None:
    """E_c = sum over taps of the mean error for that tap's weight, under the code histogram."""
    model = load_multiplier("drum{k=3}", x_bits=4, w_bits=4, x_signed=False, w_signed=True)
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 16, size=400)
    hist = CodeHistogram(scale=1.0, zero_point=0, lo=0, hi=15)
    hist.observe(codes.astype(np.float64))
    w = rng.integers(-8, 8, size=(3, 5))  # 3 channels along axis 0, 5 taps
    got = channel_error(model, hist.probabilities(), hist.lo, w, channel_axis=0)
    x = codes[:, None]
    want = [np.mean(np.sum(model(x, w[c][None, :]) - x * w[c][None, :], axis=1)) for c in range(3)]
    np.testing.assert_allclose(got, want)


def test_bias_compensation_removes_the_mean_output_error(quantized) -> None:
    calib = dataset_for_module(str(MNIST), quantized).x[:64].astype(np.float32)
    exact = _torch_outputs(quantized, calib)
    bias = {}
    for compensate in (False, True):
        module = quantized.clone()
        ctx = PassContext(quiet=True, reader=read_file)
        ApproxMulPass(circuit=str(GTR), signs="shift", bias_compensation=compensate, data=str(MNIST),
                      calib=64).apply(ctx, module)
        bias[compensate] = np.abs((_torch_outputs(module, calib) - exact).mean(axis=0)).mean()
        if compensate:
            entries = ctx.report["approx-mul"]["layers"].values()
            assert all(e["bias_compensation"]["mean_abs_error_removed"] > 0 for e in entries)
            assert ctx.samples_seen == 64
            verify(module)
    assert bias[True] < 0.5 * bias[False]
