"""Quantization math on numpy arrays: integer ranges, scales and zero points, calibration.

Affine quantization maps a real value r to an integer q with r = S (q - Z) (Jacob et al.; Eq. 7
of the HTP paper). `quantize` rounds half to even and saturates exactly like ONNX
`QuantizeLinear` (float32 division, then `rint`, then the zero point, then clipping to the
integer range), `dequantize` is ONNX `DequantizeLinear`. Parameters are per tensor (scalar
scale/zero point) or per channel (1-D arrays along `axis`).

Integer ranges are full two's-complement ranges: a signed b-bit value lies in
[-2^(b-1), 2^(b-1)-1], an unsigned one in [0, 2^b-1]. Symmetric signed quantization uses the
scale max|r| / (2^(b-1)-1) (zero point 0), so -2^(b-1) is reachable only by clipping.

Calibration turns observed values into a clipping range [lo, hi]:

- `minmax`: the observed extremes;
- `percentile`: the p-th and (100-p)-th percentiles (p = 99.99 by default);
- `mse`: the range among shrunken candidates of the observed one whose quantization error
  (mean squared, over a histogram of the data) is smallest;
- `entropy`: TensorRT's KL-divergence threshold search over a histogram.

Per-channel weight ranges come from `weight_range` (`minmax` or `mse`, searched per channel on
the exact values). Bias is quantized to int32 at the product scale S_x S_w (`quantize_bias`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "CALIBRATION_METHODS",
    "HISTOGRAM_BINS",
    "ActivationObserver",
    "IntRange",
    "choose_qparams",
    "dequantize",
    "fake_quantize",
    "int_range",
    "observe_all",
    "quantize",
    "quantize_bias",
    "range_entropy",
    "range_mse",
    "range_percentile",
    "storage_dtype",
    "weight_range",
]

CALIBRATION_METHODS = ("minmax", "percentile", "mse", "entropy")
Calibration = Literal["minmax", "percentile", "mse", "entropy"]

HISTOGRAM_BINS = 2048
"""Bins of the calibration histogram (the data range, zero included, split evenly)."""

_MSE_CANDIDATES = 100


@dataclass(frozen=True)
class IntRange:
    """The integers a `bits`-wide value may take (`signed` two's complement or unsigned)."""

    bits: int
    signed: bool

    @property
    def qmin(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def qmax(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def levels(self) -> int:
        return 1 << self.bits


def int_range(bits: int, signed: bool) -> IntRange:
    """The integer range of a quantized value; `bits` in 2..16."""
    if not 2 <= bits <= 16:
        raise ValueError(f"quantization to {bits} bits is not supported (2 to 16)")
    return IntRange(bits, signed)


def storage_dtype(bits: int, signed: bool) -> np.dtype:
    """The narrowest standard ONNX integer type holding `bits`-bit values (int8/uint8, int16/uint16)."""
    if bits <= 8:
        return np.dtype(np.int8 if signed else np.uint8)
    return np.dtype(np.int16 if signed else np.uint16)


def _along(values: np.ndarray | float, ndim: int, axis: int | None) -> np.ndarray:
    """Reshape per-channel parameters to broadcast along `axis` of an `ndim`-D array."""
    arr = np.asarray(values)
    if axis is None or arr.ndim == 0:
        return arr
    shape = [1] * ndim
    shape[axis] = arr.size
    return arr.reshape(shape)


def choose_qparams(
    lo: np.ndarray | float,
    hi: np.ndarray | float,
    rng: IntRange,
    symmetric: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Scale (float32) and zero point (int64) covering [lo, hi] (elementwise for channels).

    The range is widened to contain 0 so that zero is exactly representable. Symmetric
    quantization of signed values uses zero point 0, of unsigned ones the middle of the range.
    An empty range (all zeros) gets scale 1.
    """
    lo = np.minimum(np.asarray(lo, dtype=np.float64), 0.0)
    hi = np.maximum(np.asarray(hi, dtype=np.float64), 0.0)
    if symmetric:
        bound = np.maximum(-lo, hi)
        if rng.signed:
            scale = bound / rng.qmax
            zero = np.zeros_like(bound, dtype=np.int64)
        else:
            scale = 2.0 * bound / (rng.qmax - rng.qmin)
            zero = np.full(bound.shape, (rng.qmax + 1) // 2, dtype=np.int64)
    else:
        scale = (hi - lo) / (rng.qmax - rng.qmin)
        safe = np.where(scale > 0, scale, 1.0)
        zero = np.clip(np.rint(rng.qmin - lo / safe), rng.qmin, rng.qmax).astype(np.int64)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    scale = np.maximum(scale, np.float32(np.finfo(np.float32).tiny))
    return scale, zero


def quantize(
    x: np.ndarray,
    scale: np.ndarray | float,
    zero_point: np.ndarray | int,
    rng: IntRange,
    axis: int | None = None,
) -> np.ndarray:
    """Integers q = clip(rint(x / scale) + zero_point) as int64, like ONNX QuantizeLinear."""
    x = np.asarray(x, dtype=np.float32)
    s = _along(np.asarray(scale, dtype=np.float32), x.ndim, axis)
    z = _along(np.asarray(zero_point, dtype=np.int64), x.ndim, axis)
    q = np.rint(x / s).astype(np.int64) + z
    return np.clip(q, rng.qmin, rng.qmax)


def dequantize(
    q: np.ndarray,
    scale: np.ndarray | float,
    zero_point: np.ndarray | int,
    axis: int | None = None,
) -> np.ndarray:
    """Real values (q - zero_point) * scale in float32, like ONNX DequantizeLinear."""
    q = np.asarray(q)
    s = _along(np.asarray(scale, dtype=np.float32), q.ndim, axis)
    z = _along(np.asarray(zero_point, dtype=np.int64), q.ndim, axis)
    return ((q.astype(np.int64) - z).astype(np.float32) * s).astype(np.float32)


def fake_quantize(
    x: np.ndarray,
    scale: np.ndarray | float,
    zero_point: np.ndarray | int,
    rng: IntRange,
    axis: int | None = None,
) -> np.ndarray:
    """`dequantize(quantize(x))`: x rounded to the quantization grid, in float32."""
    return dequantize(quantize(x, scale, zero_point, rng, axis), scale, zero_point, axis)


def quantize_bias(
    bias: np.ndarray, input_scale: float, weight_scale: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Bias as int32 at the product scale S_x * S_w (per channel): returns (int32 values, scale)."""
    bias = np.asarray(bias, dtype=np.float64)
    scale = (np.float32(input_scale) * np.asarray(weight_scale, dtype=np.float32)).astype(np.float32)
    scale_b = scale if scale.ndim == 0 else scale.reshape(bias.shape)
    limit = np.iinfo(np.int32)
    q = np.clip(np.rint(bias / scale_b.astype(np.float64)), limit.min, limit.max)
    return q.astype(np.int32), scale


# -- weight ranges ----------------------------------------------------------------------------


def weight_range(
    w: np.ndarray,
    axis: int | None,
    rng: IntRange,
    symmetric: bool,
    method: Literal["minmax", "mse"] = "minmax",
) -> tuple[np.ndarray, np.ndarray]:
    """The clipping range (lo, hi) of a weight tensor, per channel along `axis` or per tensor.

    `mse` shrinks the min/max range by factors in (0, 1] and keeps, per channel, the factor
    with the smallest squared quantization error of the weights themselves.
    """
    w = np.asarray(w, dtype=np.float32)
    rows = w.reshape(1, -1) if axis is None else np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    lo, hi = rows.min(axis=1), rows.max(axis=1)
    if method == "mse":
        lo, hi = _shrink_by_mse(rows, lo, hi, rng, symmetric)
    elif method != "minmax":
        raise ValueError(f"unknown weight range method '{method}' (minmax, mse)")
    if axis is None:
        return lo.reshape(()), hi.reshape(())
    return lo, hi


def _shrink_by_mse(
    rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: IntRange, symmetric: bool
) -> tuple[np.ndarray, np.ndarray]:
    factors = np.linspace(1.0, 0.05, _MSE_CANDIDATES)
    best_err = np.full(rows.shape[0], np.inf)
    best = np.ones(rows.shape[0])
    x = rows.astype(np.float64)
    for f in factors:
        scale, zero = choose_qparams(lo * f, hi * f, rng, symmetric)
        q = np.clip(np.rint(x / scale[:, None]) + zero[:, None], rng.qmin, rng.qmax)
        err = (((q - zero[:, None]) * scale[:, None] - x) ** 2).sum(axis=1)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best = np.where(better, f, best)
    return lo * best, hi * best


# -- activation ranges ------------------------------------------------------------------------


class ActivationObserver:
    """Collects the values one activation tensor takes during calibration.

    `observe(batch)` keeps the exact extremes and a histogram over a fixed binning. The binning
    is chosen from the first batch's range (widened to contain 0) and grown by whole bin
    widths when a later batch leaves it, so counts never move between bins.
    """

    def __init__(self, bins: int = HISTOGRAM_BINS) -> None:
        self.bins = bins
        self.lo = np.inf
        self.hi = -np.inf
        self.counts: np.ndarray | None = None
        self.edge0 = 0.0
        self.width = 0.0

    def observe(self, batch: np.ndarray) -> None:
        x = np.asarray(batch, dtype=np.float64).ravel()
        x = x[np.isfinite(x)]
        if x.size == 0:
            return
        lo, hi = float(x.min()), float(x.max())
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        if self.counts is None:
            lo0, hi0 = min(lo, 0.0), max(hi, 0.0)
            self.width = (hi0 - lo0) / self.bins if hi0 > lo0 else 1.0
            self.edge0 = lo0
            self.counts = np.zeros(self.bins, dtype=np.int64)
        self._grow(lo, hi)
        idx = np.floor((x - self.edge0) / self.width).astype(np.int64)
        idx = np.clip(idx, 0, self.counts.size - 1)
        self.counts += np.bincount(idx, minlength=self.counts.size)

    def _grow(self, lo: float, hi: float) -> None:
        assert self.counts is not None
        below = max(0, int(np.ceil((self.edge0 - lo) / self.width)))
        top = self.edge0 + self.width * self.counts.size
        above = max(0, int(np.ceil((hi - top) / self.width)))
        if below or above:
            self.counts = np.concatenate(
                [np.zeros(below, np.int64), self.counts, np.zeros(above, np.int64)]
            )
            self.edge0 -= below * self.width

    @property
    def centers(self) -> np.ndarray:
        assert self.counts is not None
        return self.edge0 + self.width * (np.arange(self.counts.size) + 0.5)

    def range(
        self,
        method: Calibration,
        rng: IntRange,
        symmetric: bool = False,
        percentile: float = 99.99,
    ) -> tuple[float, float]:
        """The calibrated clipping range [lo, hi] of this tensor."""
        if self.counts is None:
            raise ValueError("no values observed")
        if method == "minmax":
            return self.lo, self.hi
        if method == "percentile":
            return range_percentile(self.centers, self.counts, percentile, (self.lo, self.hi))
        if method == "mse":
            return range_mse(self.centers, self.counts, (self.lo, self.hi), rng, symmetric)
        if method == "entropy":
            return range_entropy(self.centers, self.counts, (self.lo, self.hi), rng)
        raise ValueError(f"unknown calibration method '{method}' ({', '.join(CALIBRATION_METHODS)})")


def range_percentile(
    centers: np.ndarray, counts: np.ndarray, percentile: float, extremes: tuple[float, float]
) -> tuple[float, float]:
    """The (100-p)-th and p-th percentiles of the histogram, within the observed extremes."""
    if not 50.0 < percentile <= 100.0:
        raise ValueError(f"percentile must lie in (50, 100], got {percentile}")
    cdf = np.cumsum(counts) / counts.sum()
    lo = centers[min(np.searchsorted(cdf, 1.0 - percentile / 100.0), centers.size - 1)]
    hi = centers[min(np.searchsorted(cdf, percentile / 100.0), centers.size - 1)]
    return max(float(lo), extremes[0]), min(float(hi), extremes[1])


def range_mse(
    centers: np.ndarray,
    counts: np.ndarray,
    extremes: tuple[float, float],
    rng: IntRange,
    symmetric: bool,
) -> tuple[float, float]:
    """The range minimising the histogram-weighted squared quantization error.

    Candidates shrink the lower and the upper end of the observed range independently (a grid
    of factors in (0, 1]; one factor when the range is one-sided, as after a ReLU).
    """
    lo0, hi0 = min(extremes[0], 0.0), max(extremes[1], 0.0)
    factors = np.linspace(1.0, 0.05, _MSE_CANDIDATES)
    lo_f = factors if lo0 < 0 and not symmetric else np.ones(1)
    hi_f = factors if hi0 > 0 else np.ones(1)
    weights = counts.astype(np.float64)
    best = (np.inf, lo0, hi0)
    for fl in lo_f:
        lo_c = np.full(hi_f.size, lo0 * fl)
        hi_c = hi0 * hi_f
        if symmetric:
            lo_c = -np.maximum(-lo0, hi0) * hi_f
            hi_c = -lo_c
        scale, zero = choose_qparams(lo_c, hi_c, rng, symmetric)
        q = np.clip(np.rint(centers[None, :] / scale[:, None]) + zero[:, None], rng.qmin, rng.qmax)
        err = ((((q - zero[:, None]) * scale[:, None]) - centers[None, :]) ** 2) @ weights
        k = int(np.argmin(err))
        if err[k] < best[0]:
            best = (float(err[k]), float(lo_c[k]), float(hi_c[k]))
    return best[1], best[2]


def range_entropy(
    centers: np.ndarray,
    counts: np.ndarray,
    extremes: tuple[float, float],
    rng: IntRange,
) -> tuple[float, float]:
    """TensorRT's calibration: the |x| threshold whose clipped, quantized histogram has the
    smallest KL divergence from the clipped reference histogram.

    The histogram is folded onto |x|; a threshold t keeps the bins below t (the tail is added
    to the last kept bin), merges them into as many groups as the quantized range has levels
    on that side, spreads each group's mass evenly over its non-empty bins, and compares. The bin
    at zero is a group of its own: zero is exact on the grid, and merging the spike of exact
    zeros after a ReLU into its neighbours would push the threshold far too low.
    Returns (-t, t) for data with negative values and (0, t) otherwise.
    """
    mags = np.abs(centers)
    top = float(mags.max())
    fold_bins = max(counts.size, 256)
    width = top / fold_bins if top > 0 else 1.0
    idx = np.minimum((mags / width).astype(np.int64), fold_bins - 1)
    hist = np.bincount(idx, weights=counts.astype(np.float64), minlength=fold_bins)
    two_sided = extremes[0] < 0
    levels = rng.levels // 2 if two_sided else rng.levels
    if fold_bins <= levels:
        t = top
    else:
        t = _kl_threshold(hist, levels) * width
    t = min(t, max(-extremes[0], extremes[1]))
    return (-t, t) if two_sided else (0.0, t)


def _kl_threshold(hist: np.ndarray, levels: int) -> int:
    """The number of leading bins (>= levels) whose quantization loses the least information."""
    best_kl, best_i = np.inf, hist.size
    cumulative = np.cumsum(hist)
    total = cumulative[-1]
    for i in range(levels, hist.size + 1):
        ref = hist[:i].copy()
        ref[-1] += total - cumulative[i - 1]
        groups = np.concatenate([[0], 1 + np.minimum((np.arange(i - 1) * (levels - 1)) // (i - 1), levels - 2)])
        nonzero = hist[:i] > 0
        mass = np.bincount(groups, weights=hist[:i], minlength=levels)
        support = np.bincount(groups, weights=nonzero, minlength=levels)
        spread = np.where(nonzero, mass[groups] / np.maximum(support[groups], 1), 0.0)
        kl = _kl(ref, spread)
        if kl < best_kl:
            best_kl, best_i = kl, i
    return best_i


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    p, q = _smooth(p), _smooth(q)
    if p is None or q is None:
        return np.inf
    return float(np.sum(p * np.log(p / q)))


def _smooth(d: np.ndarray, eps: float = 1e-4) -> np.ndarray | None:
    """A normalised distribution with every empty bin given `eps` of the mass (as MXNet does)."""
    total = d.sum()
    if total <= 0:
        return None
    d = d / total
    empty = d <= 0
    n_empty, n_full = int(empty.sum()), int(d.size - empty.sum())
    if n_empty == 0:
        return d
    take = eps * n_empty / n_full
    out = np.where(empty, eps, d - take)
    if np.any(out <= 0):
        out = np.where(empty, eps, d) / (1 + eps * n_empty)
    return out


def observe_all(batches: Sequence[np.ndarray]) -> ActivationObserver:
    """An observer fed with every batch of `batches` (a convenience for tests and tools)."""
    obs = ActivationObserver()
    for b in batches:
        obs.observe(b)
    return obs
