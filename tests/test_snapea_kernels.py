"""SnaPEA orders and window replay: exact mode is lossless, predictive mode is the masked form."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from axc.runtime.snapea import exact_plan, im2col, predictive_plan, simulate_layer
from axc.runtime.snapea.order import kernel_order
from hypothesis import given, settings
from hypothesis import strategies as st


def _conv_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray, pads: int, stride: int) -> np.ndarray:
    out = torch.nn.functional.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                                     torch.tensor(b, dtype=torch.float64), stride=stride, padding=pads)
    return out.relu().numpy()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 6), st.sampled_from([1, 3]),
       st.sampled_from([1, 2]))
def test_exact_mode_never_changes_an_output(seed: int, c: int, k: int, ksize: int, stride: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.normal(size=(2, c, 7, 7)), 0) * rng.integers(0, 2, size=(2, c, 7, 7))
    w = rng.normal(size=(k, c, ksize, ksize))
    b = rng.normal(size=k) * 0.5
    pad = ksize // 2
    cols, (oh, ow) = im2col(x, (ksize, ksize), (stride, stride), (pad, pad, pad, pad))
    stats = simulate_layer(cols, w, b, exact_plan(w))
    ref = _conv_relu(x, w, b, pad, stride)
    np.testing.assert_allclose(stats.output.reshape(ref.shape), ref, rtol=1e-9, atol=1e-9)
    assert not stats.predicted.any()
    assert (stats.ops <= c * ksize * ksize).all()
    zero_out = ref.reshape(stats.ops.shape) == 0
    assert (stats.ops[~zero_out] == c * ksize * ksize).all()


def test_exact_order_puts_positives_first_and_most_negative_next() -> None:
    w = np.array([0.5, -2.0, 0.0, 3.0, -0.1, -5.0])
    order, n_spec, pos_end = kernel_order(w)
    assert n_spec == 0 and pos_end == 2
    assert list(w[order]) == [3.0, 0.5, -5.0, -2.0, -0.1, 0.0]


def test_predictive_groups_pick_the_largest_magnitude_of_each_group() -> None:
    w = np.array([-4.0, -1.0, 0.5, 1.0, 2.0, 6.0, -0.2, 0.1])
    order, n_spec, pos_end = kernel_order(w, 2)
    assert n_spec == 2
    assert set(w[order[:2]]) == {-4.0, 6.0}
    rest = w[order[2:]]
    assert list(rest) == [2.0, 1.0, 0.5, 0.1, -1.0, -0.2]
    assert pos_end == 2 + 4


def test_predictive_output_is_the_masked_relu() -> None:
    rng = np.random.default_rng(3)
    x = np.maximum(rng.normal(size=(3, 4, 6, 6)), 0)
    w = rng.normal(size=(5, 4, 3, 3))
    b = rng.normal(size=5) * 0.1
    n = np.array([1, 2, 4, 0, 3])
    th = np.array([0.5, 0.0, -0.3, 0.0, 1.0])
    plan = predictive_plan(w, n, th)
    cols, _ = im2col(x, (3, 3), pads=(1, 1, 1, 1))
    stats = simulate_layer(cols, w, b, plan)
    flat = w.reshape(5, -1)
    mask = np.zeros_like(flat)
    for k in range(5):
        mask[k, plan.perm[k, : n[k]]] = 1
    spec = _conv_relu(x, (flat * mask).reshape(w.shape), b, 1, 1)
    partial = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor((flat * mask).reshape(w.shape)),
                                         torch.tensor(b), padding=1).numpy()
    full = _conv_relu(x, w, b, 1, 1)
    predicted = (partial <= th.reshape(1, -1, 1, 1)) & (n.reshape(1, -1, 1, 1) > 0)
    expect = np.where(predicted, 0.0, full)
    np.testing.assert_allclose(stats.output.reshape(full.shape), expect, atol=1e-9)
    np.testing.assert_array_equal(stats.predicted.reshape(full.shape), predicted)
    assert (stats.ops.reshape(full.shape)[predicted] == np.broadcast_to(n.reshape(1, -1, 1, 1), full.shape)[predicted]).all()
    assert spec.shape == full.shape


def test_integer_products_through_a_lut() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 16, size=(2, 3, 5, 5))
    w = rng.integers(-8, 8, size=(4, 3, 3, 3))
    b = rng.integers(-20, 20, size=4)
    xs, ws = np.meshgrid(np.arange(16), np.arange(-8, 8), indexing="ij")
    lut = (xs * ws).ravel()
    cols, _ = im2col(x, (3, 3))
    exact = simulate_layer(cols.astype(np.float64), w.astype(np.float64), b.astype(np.float64), exact_plan(w))
    via_lut = simulate_layer(cols, w, b, exact_plan(w), products=(lut, 4, 0, 8))
    np.testing.assert_array_equal(exact.ops, via_lut.ops)
    np.testing.assert_allclose(exact.output, via_lut.output)


@pytest.mark.parametrize("shape", [(1, 1, 5, 5), (2, 3, 8, 6)])
def test_im2col_matches_torch_unfold(shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).normal(size=shape)
    cols, (oh, ow) = im2col(x, (3, 2), (2, 1), (1, 0, 2, 1), (1, 2))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2), (0, 1)))
    ref = torch.nn.functional.unfold(torch.tensor(xp), (3, 2), dilation=(1, 2), stride=(2, 1)).numpy()
    np.testing.assert_allclose(cols, ref.transpose(0, 2, 1))
    assert oh * ow == ref.shape[2]
