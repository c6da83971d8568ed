"""LUT kernels: bit-exact against the numpy gather baseline and against exact convolutions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from axc.runtime.approx_layers import LayerSpec
from axc.runtime.lut_kernels import (
    conv_weight_matrices,
    expand_weights,
    lut_conv2d,
    lut_matmul,
    numpy_gather_conv2d,
    numpy_gather_matmul,
)
from axc.runtime.lut_layers import lut_forward
from axc.runtime.multipliers import load_multiplier


@pytest.fixture(scope="module")
def drum_lut() -> np.ndarray:
    return load_multiplier("drum{k=4}", signed=True).lut()


def test_matmul_matches_numpy_gather(drum_lut: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    for m, k, n in [(5, 7, 3), (64, 300, 37), (1, 1, 1)]:
        x = rng.integers(0, 256, (m, k))
        w = rng.integers(0, 256, (k, n))
        expected = numpy_gather_matmul(x, w, drum_lut)
        assert np.array_equal(lut_matmul(x, w, drum_lut), expected)
        assert np.array_equal(lut_matmul(x, w, drum_lut, expand_weights(w, drum_lut)), expected)


@pytest.mark.parametrize(
    "shape,strides,pads,dilations,group",
    [
        ((2, 3, 9, 9, 4, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
        ((2, 4, 10, 7, 6, 3), (2, 1), (0, 2, 1, 0), (2, 1), 2),
        ((3, 8, 8, 8, 8, 3), (1, 2), (1, 1, 1, 1), (1, 1), 8),  # depthwise
    ],
)
def test_conv_matches_baseline(drum_lut, shape, strides, pads, dilations, group) -> None:
    n, c, h, w_, o, k = shape
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (n, c, h, w_))
    w = rng.integers(0, 256, (o, c // group, k, k))
    expected = numpy_gather_conv2d(x, w, drum_lut, strides, pads, dilations, group, pad_index=130)
    got = lut_conv2d(x, w, drum_lut, strides, pads, dilations, group, pad_index=130)
    assert np.array_equal(got, expected)
    if group < c:
        tables = [expand_weights(mat, drum_lut) for mat in conv_weight_matrices(w, group)]
        cached = lut_conv2d(x, w, drum_lut, strides, pads, dilations, group, 130, tables)
        assert np.array_equal(cached, expected)


def test_exact_lut_conv_equals_integer_conv() -> None:
    exact = load_multiplier("exact", signed=True)
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (2, 3, 11, 11))
    w = rng.integers(-128, 128, (5, 3, 3, 3))
    got = lut_conv2d(x + 128, w + 128, exact.lut(), (2, 2), (1, 1, 1, 1), pad_index=128)
    ref = torch.nn.functional.conv2d(torch.tensor(x, dtype=torch.float64),
                                     torch.tensor(w, dtype=torch.float64), stride=2, padding=1)
    assert np.array_equal(got, ref.numpy().astype(np.int64))


@pytest.mark.parametrize("op,group,x_zero", [("conv", 1, 3), ("conv", 2, -5), ("conv", 4, 7),
                                             ("gemm", 1, -2), ("matmul", 1, 0)])
def test_lut_forward_zero_points_folded_match_numpy_baseline(drum_lut: np.ndarray, op: str,
                                                             group: int, x_zero: int) -> None:

    rng = np.random.default_rng(group * 100 + x_zero + 50)
    spec = LayerSpec(op=op, x_scale=0.05, x_zero=x_zero, x_min=-128, x_max=127, mul_x_min=-128,
                     mul_w_min=-128, pads=(1, 0, 2, 1), strides=(1, 2), group=group,
                     trans_b=op == "gemm")
    n_out = 4 if op == "conv" else 37
    w_zero = torch.from_numpy(rng.integers(-9, 10, n_out).astype(np.float32))
    w_scale = torch.from_numpy(rng.uniform(0.01, 0.1, n_out).astype(np.float32))
    if op == "conv":
        x = torch.randn(2, 4, 7, 6, generator=torch.Generator().manual_seed(1)) * 3
        wq = torch.from_numpy(rng.integers(-100, 100, (n_out, 4 // group, 3, 2))).float()
        w = (wq - w_zero.reshape(-1, 1, 1, 1)) * w_scale.reshape(-1, 1, 1, 1)
    else:
        x = torch.randn(3, 5, 20, generator=torch.Generator().manual_seed(2)) * 3
        shape = (n_out, 20) if op == "gemm" else (20, n_out)
        axis_view = (-1, 1) if op == "gemm" else (1, -1)
        wq = torch.from_numpy(rng.integers(-100, 100, shape)).float()
        w = (wq - w_zero.reshape(axis_view)) * w_scale.reshape(axis_view)
        if op == "matmul":  # per-tensor weight parameters
            w_zero, w_scale = w_zero[:1], w_scale[:1]
            w = (wq - w_zero) * w_scale
    bias = torch.linspace(-1, 1, n_out)
    expected = lut_forward(x, w, w_scale, w_zero, drum_lut, bias, spec, kernel="numpy")
    got = lut_forward(x, w, w_scale, w_zero, drum_lut, bias, spec)
    assert got.shape == expected.shape
    assert torch.equal(got, expected)
