"""Analytic multiplier families: `exact`, `trunc{l,m}`, `drum{k}`, `mitchell{k}`.

Every function takes integer numpy arrays `x` (activation operand) and `w` (weight operand) of
any broadcastable shape and returns the int64 product model. Definitions (bit-exact references
for the LUTs and the HTP forms):

- `exact`: x * w.
- `trunc{l,m}`: *operand* truncation. The l least-significant bits of x and the m of w are
  cleared before an exact product: (x - x mod 2^l) * (w - w mod 2^m) with floor-mod, i.e. the
  two's-complement LSBs are zeroed for signed operands too (what dropping the operand wires of
  a hardware multiplier does). Not partial-product (column) truncation.
- `drum{k}`: DRUM (dynamic range unbiased multiplier, Hashemi et al. 2015), sign-magnitude.
  An operand magnitude with more than k significant bits keeps its k leading bits and has the
  lowest kept bit forced to 1 (the unbiasing); shorter magnitudes pass unchanged. The two
  approximated magnitudes are multiplied exactly and the sign re-applied.
- `mitchell{k}`: Mitchell's logarithmic multiplier on operands truncated to their k leading
  bits, sign-magnitude. With a' = 2^t1 (1 + f1), b' = 2^t2 (1 + f2) the product is
  2^(t1+t2) (1 + f1 + f2) when f1 + f2 < 1 and 2^(t1+t2+1) (f1 + f2) otherwise (the linear
  log/antilog approximation; it never over-estimates). This is the full log-domain multiplier,
  not only the operand truncation that TorchApprox calls "Mitchell truncated".
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "drum_operand",
    "drum_product",
    "exact_product",
    "leading_bit",
    "leading_bits_operand",
    "mitchell_product",
    "trunc_operand",
    "trunc_product",
]


def leading_bit(magnitude: np.ndarray) -> np.ndarray:
    """floor(log2(m)) for m >= 1 (exact for integers below 2^53); -1 for m == 0."""
    m = np.asarray(magnitude, dtype=np.int64)
    _, exponent = np.frexp(m.astype(np.float64))
    return np.where(m > 0, exponent.astype(np.int64) - 1, -1)


def exact_product(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.int64) * np.asarray(w, dtype=np.int64)


def trunc_operand(v: np.ndarray, bits: int) -> np.ndarray:
    """v with its `bits` least-significant two's-complement bits cleared (floor to 2^bits)."""
    v = np.asarray(v, dtype=np.int64)
    return (v >> bits) << bits


def trunc_product(x: np.ndarray, w: np.ndarray, l: int, m: int) -> np.ndarray:  # noqa: E741
    return trunc_operand(x, l) * trunc_operand(w, m)


def leading_bits_operand(v: np.ndarray, k: int) -> np.ndarray:
    """Sign-magnitude: keep the k leading bits of |v| (lower bits cleared), re-apply the sign."""
    v = np.asarray(v, dtype=np.int64)
    magnitude = np.abs(v)
    shift = np.maximum(leading_bit(magnitude) - k + 1, 0)
    kept = (magnitude >> shift) << shift
    return np.where(v < 0, -kept, kept)


def drum_operand(v: np.ndarray, k: int) -> np.ndarray:
    """DRUM operand approximation (sign-magnitude): k leading bits, lowest kept bit set to 1."""
    v = np.asarray(v, dtype=np.int64)
    magnitude = np.abs(v)
    shift = leading_bit(magnitude) - k + 1
    truncated = shift > 0
    s = np.maximum(shift, 0)
    approx = ((magnitude >> s) << s) | (np.int64(1) << s)
    kept = np.where(truncated, approx, magnitude)
    return np.where(v < 0, -kept, kept)


def drum_product(x: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    return drum_operand(x, k) * drum_operand(w, k)


def mitchell_product(x: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Mitchell's log multiplier on k-leading-bit operands (see the module docstring)."""
    x = np.asarray(x, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    a = np.abs(leading_bits_operand(x, k))
    b = np.abs(leading_bits_operand(w, k))
    t1 = leading_bit(a)
    t2 = leading_bit(b)
    p1 = np.where(a > 0, np.int64(1) << np.maximum(t1, 0), 0)
    p2 = np.where(b > 0, np.int64(1) << np.maximum(t2, 0), 0)
    linear = a * p2 + b * p1 - p1 * p2  # 2^(t1+t2) (1 + f1 + f2)
    carried = 2 * linear - 2 * p1 * p2  # 2^(t1+t2+1) (f1 + f2)
    magnitude = np.where(linear >= 2 * p1 * p2, carried, linear)
    magnitude = np.where((a == 0) | (b == 0), 0, magnitude)
    negative = (x < 0) ^ (w < 0)
    return np.where(negative, -magnitude, magnitude)
