"""Error metrics against hand-computed and brute-force values."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir import InputError
from axc.runtime.logicsim import pack_ints
from axc.runtime.metrics import compare_rows
from hypothesis import given, settings
from hypothesis import strategies as st


def _report(exact, approx, width, signed=False, weights=None):
    rows_e = pack_ints(exact, width)
    rows_a = pack_ints(approx, width)
    return compare_rows(rows_e, rows_a, len(exact), [("y", width)], signed, weights)


def test_hand_computed_values() -> None:
    # 4-bit outputs: exact 3, 5, 8, 15; approximate 3, 4, 12, 0
    r = _report([3, 5, 8, 15], [3, 4, 12, 0], 4).overall
    assert r.er == 0.75
    assert r.hd == (0 + 1 + 1 + 4) / 16
    assert r.mae == (0 + 1 + 4 + 15) / 4 and r.nmae == r.mae / 16
    assert r.wce == 15 and r.nwce == 15 / 16
    assert r.mse == (0 + 1 + 16 + 225) / 4
    assert r.mre == pytest.approx((0 + 1 / 5 + 4 / 8 + 15 / 15) / 4)


def test_signed_reading() -> None:
    # as 4-bit signed: exact 7, -1; approximate -8, 1
    r = _report([7, 15], [8, 1], 4, signed=True).overall
    assert r.wce == 15 and r.mae == (15 + 2) / 2
    u = _report([7, 15], [8, 1], 4, signed=False).overall
    assert u.wce == 14 and u.mae == (1 + 14) / 2


def test_weights_and_ports() -> None:
    exact = np.concatenate([pack_ints([1, 2], 2), pack_ints([1, 1], 1)])
    approx = np.concatenate([pack_ints([0, 2], 2), pack_ints([0, 0], 1)])
    rep = compare_rows(exact, approx, 2, [("a", 2), ("b", 1)], weights=[1, 2, 5])
    assert rep.ports["a"].er == 0.5 and rep.ports["b"].er == 1.0
    assert rep.overall.er == 1.0
    assert rep.overall.whd == pytest.approx((1 * 1 + 5 * 2) / (2 * 8))
    # overall word = a | b << 2: exact 5, 6; approximate 0, 2
    assert rep.overall.mae == (5 + 4) / 2
    assert rep.to_dict()["vectors"] == {"count": 2, "source": "user", "seed": None}
    assert rep.value("mae") == rep.overall.nmae


@settings(max_examples=60, deadline=None)
@given(width=st.sampled_from([1, 3, 8, 17, 62, 63, 64, 65, 100, 128]), signed=st.booleans(),
       seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200))
def test_brute_force(width: int, signed: bool, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    raw_e = [int.from_bytes(rng.bytes(17), "little") % (1 << width) for _ in range(n)]
    raw_a = [x if rng.random() < 0.3 else int.from_bytes(rng.bytes(17), "little") % (1 << width)
             for x in raw_e]

    def val(x: int) -> int:
        return x - (1 << width) if signed and x >> (width - 1) else x

    diffs = [abs(val(e) - val(a)) for e, a in zip(raw_e, raw_a)]
    r = _report(np.array(raw_e, dtype=object), np.array(raw_a, dtype=object), width, signed).overall
    assert r.er == sum(d != 0 for d in diffs) / n
    assert r.hd == sum(bin(e ^ a).count("1") for e, a in zip(raw_e, raw_a)) / (n * width)
    assert r.mae == pytest.approx(sum(diffs) / n, rel=1e-12)
    assert r.wce == pytest.approx(max(diffs), rel=1e-12)
    assert r.mse == pytest.approx(sum(d * d for d in diffs) / n, rel=1e-12)
    assert r.mre == pytest.approx(sum(d / max(1, abs(val(e))) for d, e in zip(diffs, raw_e)) / n,
                                  rel=1e-9)


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="shape"):
        compare_rows(pack_ints([1], 2), pack_ints([1], 3), 1, [("y", 2)])
    with pytest.raises(InputError, match="weights"):
        _report([1], [2], 2, weights=[1])
    with pytest.raises(InputError, match="unknown error metric"):
        _report([1], [2], 2).value("psnr")
