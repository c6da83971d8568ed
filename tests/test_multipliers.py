"""Multiplier models: analytic families against independent references, spec parsing, LUTs."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir import InputError
from axc.runtime.multipliers import LUT_LIMIT_BITS, load_multiplier, parse_spec


def _float_mitchell(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mitchell's approximation written with floating-point logarithms (independent form)."""
    a = a.astype(float)
    b = b.astype(float)
    nz = (a > 0) & (b > 0)
    la = np.floor(np.log2(np.where(nz, a, 1)))
    lb = np.floor(np.log2(np.where(nz, b, 1)))
    s = a / 2**la - 1 + b / 2**lb - 1
    return np.where(nz, np.where(s < 1, 2 ** (la + lb) * (1 + s), 2 ** (la + lb + 1) * s), 0)


def _bitwise_drum(v: int, k: int) -> int:
    """DRUM operand written bit by bit: keep k leading bits, set the lowest kept bit."""
    magnitude = abs(v)
    bits = magnitude.bit_length()
    if bits <= k:
        return v
    shift = bits - k
    kept = (magnitude >> shift << shift) | (1 << shift)
    return -kept if v < 0 else kept


def test_exact_is_exact_and_lut_layout() -> None:
    for signed in (False, True):
        m = load_multiplier("exact", signed=signed)
        x, w = m.operand_grid()
        assert np.array_equal(m.lut(), x * w)
        assert m.metrics()["wce"] == 0 and m.metrics()["ep%"] == 0
        lo = m.x_range[0]
        assert m.lut()[3 - lo, 5 - lo] == 15


def test_trunc_is_operand_truncation() -> None:
    m = load_multiplier("trunc{l=2,m=3}", signed=True)
    assert m(np.array([7, -7]), np.array([15, 15])).tolist() == [4 * 8, -8 * 8]
    u = load_multiplier("trunc{2,3}")
    x, w = u.operand_grid()
    assert np.array_equal(u.lut(), (x & ~3) * (w & ~7))
    assert u.metrics()["bias"] < 0  # truncation never over-estimates unsigned products


def test_drum_matches_bitwise_reference() -> None:
    m = load_multiplier("drum{k=4}", signed=True)
    values = range(-128, 128)
    xs = np.array([v for v in values for _ in values])
    ws = np.array([u for _ in values for u in values])
    expected = [_bitwise_drum(a, 4) * _bitwise_drum(b, 4) for a, b in zip(xs.tolist(), ws.tolist())]
    assert m(xs, ws).tolist() == expected
    assert abs(m.metrics()["bias"]) < 0.2 * m.metrics()["mae"]  # "unbiased"


@pytest.mark.parametrize("k", [3, 8])
def test_mitchell_matches_float_log_form(k: int) -> None:
    m = load_multiplier(f"mitchell{{k={k}}}")
    x, w = m.operand_grid()
    if k == 8:  # no truncation: the plain Mitchell multiplier
        assert np.array_equal(m.lut(), _float_mitchell(x, w))
    assert (m.lut() <= x * w).all()  # Mitchell never over-estimates
    s = load_multiplier(f"mitchell{{k={k}}}", signed=True)
    sx, sw = s.operand_grid()
    assert np.array_equal(np.abs(s.lut()), m(np.abs(sx), np.abs(sw)))
    assert ((s.lut() == 0) | (np.sign(s.lut()) == np.sign(sx * sw))).all()


def test_metrics_evoapprox_normalisation() -> None:
    m = load_multiplier("trunc{l=1,m=0}")
    metrics = m.metrics()
    x, w = m.operand_grid()
    err = np.abs((x & ~1) * w - x * w)
    assert metrics["mae"] == pytest.approx(err.mean())
    assert metrics["mae%"] == pytest.approx(100 * err.mean() / 65536)
    assert metrics["wce"] == 255 and metrics["ep%"] == pytest.approx(100 * (err > 0).mean())


def test_spec_parsing_and_errors() -> None:
    assert parse_spec("drum{k=6}") == ("drum", {"k": 6})
    assert parse_spec("trunc(1, 2)") == ("trunc", {"l": 1, "m": 2})
    assert parse_spec("mitchell") == ("mitchell", {"k": 4})
    assert load_multiplier("drum{k=5,bits=6,signed=1}").x_bits == 6
    for bad in ("booth{3}", "drum{q=1}", "drum{k=x}", "drum{k=0}", "trunc{1,2,3}", "{"):
        with pytest.raises(InputError):
            parse_spec(bad)


def test_wide_models_without_table() -> None:
    wide = load_multiplier("drum{k=6}", x_bits=16, w_bits=16, signed=True)
    assert wide.x_bits + wide.w_bits > LUT_LIMIT_BITS
    with pytest.raises(InputError, match="limit"):
        wide.lut()
    metrics = wide.metrics()  # sampled, analytic form still evaluates
    assert not metrics["exhaustive"] and metrics["mae"] > 0
