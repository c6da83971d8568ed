"""Quantization math: ranges, scales/zero points, ONNX-exact rounding, observers, bias."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from axc.runtime import quant as Q
from onnx import TensorProto, helper, numpy_helper


def test_int_ranges() -> None:
    assert (Q.int_range(8, True).qmin, Q.int_range(8, True).qmax) == (-128, 127)
    assert (Q.int_range(8, False).qmin, Q.int_range(8, False).qmax) == (0, 255)
    assert (Q.int_range(2, True).qmin, Q.int_range(2, True).qmax) == (-2, 1)
    assert (Q.int_range(4, False).qmin, Q.int_range(4, False).qmax) == (0, 15)
    assert Q.int_range(16, True).qmax == 32767
    assert Q.storage_dtype(3, True) == np.int8 and Q.storage_dtype(16, False) == np.uint16
    for bad in (1, 17, 33):
        with pytest.raises(ValueError):
            Q.int_range(bad, True)


def test_symmetric_and_affine_qparams() -> None:
    r8 = Q.int_range(8, True)
    scale, zero = Q.choose_qparams(-0.5, 2.54, r8, symmetric=True)
    assert zero == 0 and np.isclose(scale, 2.54 / 127)
    u8 = Q.int_range(8, False)
    scale, zero = Q.choose_qparams(-1.0, 3.0, u8, symmetric=False)
    assert np.isclose(scale, 4.0 / 255) and zero == round(1.0 / (4.0 / 255))
    # ranges are widened to contain zero; an all-zero range gets scale 1
    scale, zero = Q.choose_qparams(2.0, 5.0, u8, symmetric=False)
    assert zero == 0 and np.isclose(scale, 5.0 / 255)
    scale, zero = Q.choose_qparams(0.0, 0.0, u8, symmetric=False)
    assert scale == 1.0 and zero == 0
    # unsigned symmetric: mid-range zero point
    scale, zero = Q.choose_qparams(-1.0, 1.0, u8, symmetric=True)
    assert zero == 128


def _ort_quantize(x: np.ndarray, scale: np.ndarray, zero: np.ndarray, axis: int) -> np.ndarray:
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=axis)]
    elem = TensorProto.INT8 if zero.dtype == np.int8 else TensorProto.UINT8
    graph = helper.make_graph(
        nodes, "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("q", elem, list(x.shape))],
        [numpy_helper.from_array(scale, "s"), numpy_helper.from_array(zero, "z")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


@pytest.mark.parametrize("signed", [True, False])
def test_quantize_matches_onnx_runtime_per_channel(signed: bool) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3, 5, 5)).astype(np.float32) * 3
    r = Q.int_range(8, signed)
    lo, hi = Q.weight_range(x, 0, r, symmetric=signed)
    scale, zero = Q.choose_qparams(lo, hi, r, symmetric=signed)
    # exact .5 ties: values on half steps must round to even like ONNX
    x[0, 0, 0, :3] = np.array([0.5, 1.5, 2.5], np.float32) * scale[0]
    ours = Q.quantize(x, scale, zero, r, axis=0)
    ref = _ort_quantize(x, scale, zero.astype(Q.storage_dtype(8, signed)), 0)
    assert np.array_equal(ours, ref.astype(np.int64))
    back = Q.dequantize(ours, scale, zero, axis=0)
    assert np.all(np.abs(back - x) <= scale.reshape(-1, 1, 1, 1) / 2 + 1e-6)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_low_bit_weights_stay_in_range_and_mse_helps(bits: int) -> None:
    rng = np.random.default_rng(bits)
    w = rng.standard_t(4, size=(16, 8, 3, 3)).astype(np.float32)
    r = Q.int_range(bits, True)
    errs = {}
    for method in ("minmax", "mse"):
        lo, hi = Q.weight_range(w, 0, r, True, method)
        scale, zero = Q.choose_qparams(lo, hi, r, True)
        q = Q.quantize(w, scale, zero, r, axis=0)
        assert q.min() >= r.qmin and q.max() <= r.qmax
        errs[method] = float(np.mean((Q.dequantize(q, scale, zero, 0) - w) ** 2))
    assert errs["mse"] <= errs["minmax"]
    if bits <= 4:  # heavy-tailed weights: clipping must pay off clearly at low widths
        assert errs["mse"] < 0.9 * errs["minmax"]


def test_per_channel_beats_per_tensor_on_uneven_channels() -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(8, 32)).astype(np.float32) * np.geomspace(0.01, 1, 8)[:, None].astype(np.float32)
    r = Q.int_range(4, True)
    per_t = Q.fake_quantize(w, *Q.choose_qparams(*Q.weight_range(w, None, r, True), r, True), r)
    lo, hi = Q.weight_range(w, 0, r, True)
    per_c = Q.fake_quantize(w, *Q.choose_qparams(lo, hi, r, True), r, axis=0)
    assert np.mean((per_c - w) ** 2) < 0.5 * np.mean((per_t - w) ** 2)


def test_bias_at_product_scale() -> None:
    b = np.array([0.3, -1.25, 4.0], np.float32)
    w_scale = np.array([0.01, 0.02, 0.005], np.float32)
    q, scale = Q.quantize_bias(b, 0.5, w_scale)
    assert q.dtype == np.int32
    assert np.allclose(scale, 0.5 * w_scale)
    assert np.all(np.abs(q * scale - b) <= scale / 2 + 1e-7)


def test_observer_grows_its_histogram_and_keeps_extremes() -> None:
    obs = Q.ActivationObserver(bins=64)
    obs.observe(np.linspace(0, 1, 1000))
    obs.observe(np.linspace(-2, 3, 1000))
    assert (obs.lo, obs.hi) == (-2.0, 3.0)
    assert obs.counts is not None and obs.counts.sum() == 2000
    centers = obs.centers
    assert centers[0] < -1.9 and centers[-1] > 2.9


def test_calibration_methods_clip_outliers() -> None:
    rng = np.random.default_rng(2)
    x = np.maximum(rng.normal(size=200_000), 0).astype(np.float32)
    x[:5] = 60.0  # a few far outliers
    obs = Q.observe_all([x[:100_000], x[100_000:]])
    u8 = Q.int_range(8, False)
    lo, hi = obs.range("minmax", u8)
    assert hi == pytest.approx(60.0)
    for method in ("percentile", "entropy"):
        lo_c, hi_c = obs.range(method, u8)  # type: ignore[arg-type]
        assert lo_c >= 0.0 and 2.0 < hi_c < 20.0, method
    # mse keeps rare far outliers (clipping them costs more than coarse steps) ...
    assert obs.range("mse", u8)[1] > 30.0
    # ... but clips a long tail at low widths, and its range really has the lower error
    tail = rng.exponential(size=200_000).astype(np.float32)
    u4 = Q.int_range(4, False)
    lo_m, hi_m = Q.observe_all([tail]).range("mse", u4)

    def err(hi_: float) -> float:
        s, z = Q.choose_qparams(0.0, hi_, u4, False)
        return float(np.mean((Q.fake_quantize(tail, s, z, u4) - tail) ** 2))

    assert hi_m < 0.7 * float(tail.max())
    assert err(hi_m) < 0.8 * err(float(tail.max()))
    assert err(hi_m) <= min(err(hi_m * 0.8), err(hi_m * 1.25))
    with pytest.raises(ValueError):
        obs.range("percentile", u8, percentile=20.0)
    with pytest.raises(ValueError):
        obs.range("median", u8)  # type: ignore[arg-type]


def test_onnx_model_clip_form_runs_low_bits() -> None:
    """The sub-8-bit activation form (QuantizeLinear -> Clip -> DequantizeLinear) in ORT."""
    r = Q.int_range(3, False)
    x = np.linspace(-1, 9, 41).astype(np.float32)
    scale, zero = Q.choose_qparams(0.0, 7.0, r, False)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
        helper.make_node("Clip", ["q", "lo", "hi"], ["c"]),
        helper.make_node("DequantizeLinear", ["c", "s", "z"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(scale, np.float32), "s"), numpy_helper.from_array(np.array(zero, np.uint8), "z"),
             numpy_helper.from_array(np.array(r.qmin, np.uint8), "lo"), numpy_helper.from_array(np.array(r.qmax, np.uint8), "hi")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [41])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [41])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    y = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.array_equal(y, Q.fake_quantize(x, scale, zero, r))
    assert len(np.unique(y)) == 8
