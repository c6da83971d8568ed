"""ASSO factorization with exhaustive OR/XOR decompressor columns (`axc.passes.bmf.factor`)."""

from __future__ import annotations

import numpy as np
import pytest
from axc.passes.bmf.factor import factorize, factorize_all, rows_from_bits


def _cells(rows: np.ndarray, approx: np.ndarray, m: int, weights: np.ndarray | None = None) -> int:
    diff = ((rows ^ approx)[:, None] >> np.arange(m)) & 1
    w = np.ones(m, dtype=np.int64) if weights is None else weights
    return int((diff * w).sum())


def test_or_decomposable_matrices_are_exact_at_their_rank() -> None:
    # ASSO is a heuristic: require exactness on nearly all random rank-3 OR products
    exact = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        basis = rng.integers(0, 2, (512, 3))
        mixing = np.eye(3, 8, dtype=np.int64) | rng.integers(0, 2, (3, 8))
        rows = rows_from_bits((basis @ mixing > 0).astype(np.uint8))
        fac = factorize(rows, 8, 3, algebra="or")
        assert fac.error == _cells(rows, fac.product(), 8)
        exact += fac.error == 0
    assert exact >= 18


def test_xor_decomposable_matrix_is_exact_at_its_rank() -> None:
    rng = np.random.default_rng(7)
    basis = rng.integers(0, 2, (1024, 4))
    mixing = np.eye(4, 9, dtype=np.int64) | rng.integers(0, 2, (4, 9))
    rows = rows_from_bits((basis @ mixing % 2).astype(np.uint8))
    fac = factorize(rows, 9, 4, algebra="xor")
    assert fac.error == 0 and np.array_equal(fac.product(), rows)
    # the decompressor really uses XOR somewhere (an OR-only factorization cannot be exact here)
    assert factorize(rows, 9, 4, algebra="or").error > 0


def test_error_counts_cells_and_falls_with_degree() -> None:
    rng = np.random.default_rng(3)
    rows = rows_from_bits(rng.integers(0, 2, (1024, 10)).astype(np.uint8))
    all_f = factorize_all(rows, 10)
    assert sorted(all_f) == list(range(10))
    errors = [all_f[f].error for f in range(10)]
    for f, fac in all_f.items():
        assert fac.error == _cells(rows, fac.product(), 10)
        assert fac.basis.max() < (1 << max(f, 1)) if f else fac.basis.max() == 0
    # degree 0 = best constants: at most half the cells wrong; more factors never hurt much
    assert errors[0] <= 1024 * 10 // 2
    assert all(b <= a for a, b in zip(errors, errors[1:]))


def test_mixed_is_never_worse_than_or_or_xor() -> None:
    rng = np.random.default_rng(5)
    rows = rows_from_bits(rng.integers(0, 2, (256, 6)).astype(np.uint8))
    # from the same ASSO bases, choosing each column's algebra can only help; refinement too
    plain = {a: factorize_all(rows, 6, algebra=a, refine=False) for a in ("or", "xor", "mixed")}
    refined = factorize_all(rows, 6)
    for f in range(1, 6):
        assert plain["mixed"][f].error <= min(plain["or"][f].error, plain["xor"][f].error)
        assert refined[f].error <= plain["mixed"][f].error


def test_output_weights_protect_significant_bits() -> None:
    # an 8-bit adder truth table (4+4 inputs, 5 outputs): with 2^i weights the MSB is kept right
    p = np.arange(256)
    rows = ((p & 15) + (p >> 4)).astype(np.int64)
    weights = np.int64(1) << np.arange(5)
    weighted = factorize(rows, 5, 2, weights)
    plain = factorize(rows, 5, 2)
    numeric = lambda fac: float(np.abs(fac.product() - rows).mean())  # noqa: E731
    assert numeric(weighted) < numeric(plain)
    assert weighted.error == _cells(rows, weighted.product(), 5, weights)
    msb_wrong = int((((weighted.product() ^ rows) >> 4) & 1).sum())
    assert msb_wrong <= int((((plain.product() ^ rows) >> 4) & 1).sum())


def test_decompress_matches_product() -> None:
    rng = np.random.default_rng(11)
    rows = rows_from_bits(rng.integers(0, 2, (128, 5)).astype(np.uint8))
    fac = factorize(rows, 5, 3)
    prod = fac.product()
    for r in range(128):
        assert fac.decompress(int(fac.basis[r])) == prod[r]


def test_bad_arguments() -> None:
    rows = np.zeros(16, dtype=np.int64)
    with pytest.raises(ValueError, match="algebra"):
        factorize(rows, 3, 1, algebra="and")
    with pytest.raises(ValueError, match="degree"):
        factorize(rows, 3, 5)
    with pytest.raises(ValueError, match="weights"):
        factorize(rows, 3, 1, weights=np.array([1, 2]))
