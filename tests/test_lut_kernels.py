"""LUT kernels: bit-exact against the numpy gather baseline and against exact convolutions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from axc.runtime.lut_kernels import (
    conv_weight_matrices,
    expand_weights,
    lut_conv2d,
    lut_matmul,
    numpy_gather_conv2d,
    numpy_gather_matmul,
)
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
