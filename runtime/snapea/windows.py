"""Replaying SnaPEA orders over the real windows of a conv layer (numba).

`simulate_layer(cols, weights, bias, plan)` walks every window of every kernel in the plan's
order, exactly as a compute lane would, and returns per-window MAC counts, which windows were
predicted zero, and the layer's output after SnaPEA's activation. `cols` are the im2col windows
([batch, windows, C_in*kh*kw], from `im2col`). With `products` (a LUT of an approximate
multiplier, indexed by `x * 2^wbits + w` on integer operands) the partial sums are the integer
sums of f(x, w) the hardware computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .order import LayerPlan

__all__ = ["WindowStats", "im2col", "simulate_layer"]


@dataclass
class WindowStats:
    """Per-window results of one layer: `ops` [B, K, L] MACs executed, `predicted` [B, K, L]
    windows zeroed by prediction, `output` [B, K, L] the post-activation values."""

    ops: np.ndarray
    predicted: np.ndarray
    output: np.ndarray

    @property
    def macs(self) -> int:
        return int(self.ops.sum(dtype=np.int64))


def im2col(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int] = (1, 1),
           pads: tuple[int, int, int, int] = (0, 0, 0, 0), dilations: tuple[int, int] = (1, 1),
           pad_value: float = 0.0) -> tuple[np.ndarray, tuple[int, int]]:
    """Windows of x [B, C, H, W] as [B, L, C*kh*kw] (C outermost, like a flattened kernel).

    `pads` are ONNX order (top, left, bottom, right). Returns the windows and the output (H, W).
    """
    b, c, h, w = x.shape
    kh, kw = kernel
    top, left, bottom, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=pad_value)
    oh = (h + top + bottom - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + left + right - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    view = np.lib.stride_tricks.sliding_window_view(
        xp, ((kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1), axis=(2, 3)
    )[:, :, :: strides[0], :: strides[1], :: dilations[0], :: dilations[1]]
    view = view[:, :, :oh, :ow]
    cols = np.ascontiguousarray(view.transpose(0, 2, 3, 1, 4, 5)).reshape(b, oh * ow, c * kh * kw)
    return cols, (oh, ow)


@numba.njit(parallel=True, cache=True)
def _replay(cols, w, bias, perm, n_spec, threshold, pos_end, lut, wbits, x_offset, w_offset, use_lut):  # pragma: no cover
    n_batch, n_win, _ = cols.shape
    n_k, depth = w.shape
    ops = np.empty((n_batch, n_k, n_win), dtype=np.int32)
    predicted = np.zeros((n_batch, n_k, n_win), dtype=np.bool_)
    out = np.zeros((n_batch, n_k, n_win), dtype=np.float64)
    for t in numba.prange(n_batch * n_win):
        b = t // n_win
        win = t % n_win
        for k in range(n_k):
            ps = np.float64(bias[k])
            if pos_end[k] == 0 and n_spec[k] == 0 and ps <= 0:
                ops[b, k, win] = 0
                continue
            executed = depth
            for i in range(depth):
                j = perm[k, i]
                if use_lut:
                    index = ((np.int64(cols[b, win, j]) + x_offset) << wbits) + np.int64(w[k, j]) + w_offset
                    ps += np.float64(lut[index])
                else:
                    ps += np.float64(w[k, j]) * np.float64(cols[b, win, j])
                if n_spec[k] > 0 and i + 1 == n_spec[k] and ps <= threshold[k]:
                    predicted[b, k, win] = True
                    executed = i + 1
                    break
                if i + 1 >= pos_end[k] and ps <= 0:
                    executed = i + 1
                    break
            ops[b, k, win] = executed
            if executed == depth and not predicted[b, k, win] and ps > 0:
                out[b, k, win] = ps
    return ops, predicted, out


def simulate_layer(
    cols: np.ndarray,
    weights: np.ndarray,
    bias: np.ndarray,
    plan: LayerPlan,
    products: tuple[np.ndarray, int, int, int] | None = None,
) -> WindowStats:
    """Replay `plan` over `cols` [B, L, D] for weights [K, D] and bias [K].

    `products=(lut, wbits, x_offset, w_offset)` evaluates each product as
    `lut[((x + x_offset) << wbits) + (w + w_offset)]` on integer operands.
    """
    w = np.ascontiguousarray(weights.reshape(weights.shape[0], -1), dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.float64)
    if products is None:
        lut, wbits, x_off, w_off = np.zeros(1, dtype=np.int64), 0, 0, 0
    else:
        lut, wbits, x_off, w_off = products
    ops, pred, out = _replay(cols, w, np.asarray(bias, dtype=np.float64), plan.perm, plan.n_spec,
                             plan.threshold, plan.pos_end, np.asarray(lut, dtype=np.int64), int(wbits),
                             int(x_off), int(w_off), products is not None)
    return WindowStats(ops, pred, out)
