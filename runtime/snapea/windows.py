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
def _replay(cols, w, bias, perm, n_spec, threshold, pos_end):  # pragma: no cover - compiled
    b_n, l_n, _ = cols.shape
    k_n, d = w.shape
    ops = np.empty((b_n, k_n, l_n), dtype=np.int32)
    predicted = np.zeros((b_n, k_n, l_n), dtype=np.bool_)
    out = np.empty((b_n, k_n, l_n), dtype=np.float64)
    for t in numba.prange(b_n * l_n):
        b = t // l_n
        l = t % l_n
        for k in range(k_n):
            ps = np.float64(bias[k])
            done = False
            if pos_end[k] == 0 and n_spec[k] == 0 and ps <= 0:
                ops[b, k, l] = 0
                out[b, k, l] = 0.0
                continue
            for i in range(d):
                j = perm[k, i]
                ps += np.float64(w[k, j]) * np.float64(cols[b, l, j])
                if n_spec[k] > 0 and i + 1 == n_spec[k] and ps <= threshold[k]:
                    ops[b, k, l] = i + 1
                    predicted[b, k, l] = True
                    out[b, k, l] = 0.0
                    done = True
                    break
                if i + 1 >= pos_end[k] and ps <= 0:
                    ops[b, k, l] = i + 1
                    out[b, k, l] = 0.0
                    done = True
                    break
            if not done:
                ops[b, k, l] = d
                out[b, k, l] = ps if ps > 0 else 0.0
    return ops, predicted, out


@numba.njit(parallel=True, cache=True)
def _replay_lut(cols, w, bias, perm, n_spec, threshold, pos_end, lut, wbits, x_offset, w_offset):  # pragma: no cover
    b_n, l_n, _ = cols.shape
    k_n, d = w.shape
    ops = np.empty((b_n, k_n, l_n), dtype=np.int32)
    predicted = np.zeros((b_n, k_n, l_n), dtype=np.bool_)
    out = np.empty((b_n, k_n, l_n), dtype=np.float64)
    for t in numba.prange(b_n * l_n):
        b = t // l_n
        l = t % l_n
        for k in range(k_n):
            ps = np.int64(bias[k])
            done = False
            if pos_end[k] == 0 and n_spec[k] == 0 and ps <= 0:
                ops[b, k, l] = 0
                out[b, k, l] = 0.0
                continue
            for i in range(d):
                j = perm[k, i]
                xi = np.int64(cols[b, l, j]) + x_offset
                wi = np.int64(w[k, j]) + w_offset
                ps += np.int64(lut[(xi << wbits) + wi])
                if n_spec[k] > 0 and i + 1 == n_spec[k] and ps <= threshold[k]:
                    ops[b, k, l] = i + 1
                    predicted[b, k, l] = True
                    out[b, k, l] = 0.0
                    done = True
                    break
                if i + 1 >= pos_end[k] and ps <= 0:
                    ops[b, k, l] = i + 1
                    out[b, k, l] = 0.0
                    done = True
                    break
            if not done:
                ops[b, k, l] = d
                out[b, k, l] = ps if ps > 0 else 0.0
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
    w = np.ascontiguousarray(weights.reshape(weights.shape[0], -1))
    if products is None:
        ops, pred, out = _replay(np.ascontiguousarray(cols), w, np.asarray(bias, dtype=np.float64),
                                 plan.perm, plan.n_spec, plan.threshold, plan.pos_end)
    else:
        lut, wbits, x_off, w_off = products
        ops, pred, out = _replay_lut(np.ascontiguousarray(cols).astype(np.int64), w.astype(np.int64),
                                     np.asarray(bias, dtype=np.int64), plan.perm, plan.n_spec,
                                     plan.threshold, plan.pos_end, np.asarray(lut, dtype=np.int64),
                                     int(wbits), int(x_off), int(w_off))
    return WindowStats(ops, pred, out)
