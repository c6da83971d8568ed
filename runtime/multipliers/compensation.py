"""Error-bias compensation: the mean error of an approximate multiplier folded into the bias.

A layer's output channel c sums f(x, w_ck) over its kernel taps k. With the activation codes
distributed as the calibration data shows (`CodeHistogram`), the expected error of that sum is
E_c = sum_k e(w_ck), where e(w) = sum_x p(x) (f(x, w) - x w) is the multiplier's mean error
for weight code w. Subtracting E_c (in product units, the int32 bias scale) from the bias makes
the layer unbiased on that distribution; the variance of the error stays.
"""

from __future__ import annotations

import numpy as np

from .model import MultiplierModel

__all__ = ["CodeHistogram", "channel_error"]


class CodeHistogram:
    """How often each integer code of a quantized activation occurs (codes lo..hi)."""

    def __init__(self, scale: float, zero_point: int, lo: int, hi: int) -> None:
        self.scale, self.zero_point, self.lo, self.hi = scale, zero_point, lo, hi
        self.counts: np.ndarray | None = None

    def observe(self, batch: np.ndarray) -> None:
        """Count the codes of dequantized values `batch` ((q - zero point) * scale)."""
        codes = np.rint(np.asarray(batch, np.float64) / self.scale).astype(np.int64) + self.zero_point
        codes = np.clip(codes, self.lo, self.hi) - self.lo
        counts = np.bincount(codes.ravel(), minlength=self.hi - self.lo + 1)
        self.counts = counts if self.counts is None else self.counts + counts

    def probabilities(self) -> np.ndarray:
        assert self.counts is not None
        return self.counts / max(1, int(self.counts.sum()))


def channel_error(model: MultiplierModel, p_x: np.ndarray, first_code: int,
                  w_codes: np.ndarray, channel_axis: int) -> np.ndarray:
    """E_c per output channel (float, product units): `p_x[i]` is the probability of the
    multiplier's activation code `first_code + i`; `w_codes` are the weights in the multiplier's
    domain, output channels along `channel_axis`."""
    x_lo, x_hi = model.x_range
    w_lo, _ = model.w_range
    table = model.lut().astype(np.int64)
    xs = np.arange(x_lo, x_hi + 1, dtype=np.int64)[:, None]
    ws = np.arange(w_lo, w_lo + table.shape[1], dtype=np.int64)[None, :]
    error = table - xs * ws
    p = np.zeros(len(xs))
    start = first_code - x_lo
    for code, prob in enumerate(p_x):
        index = start + code
        if 0 <= index < len(p) and prob:
            p[index] += prob
    mean_error = p @ error  # per weight code
    per_tap = mean_error[np.asarray(w_codes, np.int64) - w_lo]
    moved = np.moveaxis(per_tap, channel_axis, 0)
    return moved.reshape(moved.shape[0], -1).sum(axis=1)
