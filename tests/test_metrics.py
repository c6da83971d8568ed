"""Error metrics against hand-computed and brute-force values."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from axc.frontend import verilog
from axc.ir import InputError
from axc.ir.views import LogicView
from axc.passes.infra.base import PassContext
from axc.passes.infra.registry import get_pass
from axc.runtime.logicsim import Simulator, VectorSet, pack_ints
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
    assert r.wcre == 1.0
    zero = _report([0, 4], [3, 5], 4).overall  # relative errors skip exact zeros
    assert zero.mre == 0.25 and zero.wcre == 0.25 and zero.mae == 2


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
    rel = [d / abs(val(e)) for d, e in zip(diffs, raw_e) if val(e) != 0]
    assert r.mre == pytest.approx(sum(rel) / len(rel) if rel else 0.0, rel=1e-9)


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="shape"):
        compare_rows(pack_ints([1], 2), pack_ints([1], 3), 1, [("y", 2)])
    with pytest.raises(InputError, match="weights"):
        _report([1], [2], 2, weights=[1])
    with pytest.raises(InputError, match="unknown error metric"):
        _report([1], [2], 2).value("psnr")


# --- EvoApproxLib: exhaustive simulation reproduces the published error figures ---------------

EVOAPPROX = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "evoapprox"


def _published_rows() -> list[tuple[str, dict[str, str]]]:
    rows = []
    for release in ("v2022", "lite_master"):
        table = EVOAPPROX / release / "metrics_staged_from_headers.csv"
        if not table.is_file():
            continue
        with open(table) as f:
            for row in csv.DictReader(f):
                if row["name"].startswith(("mul8u", "mul8s")) and row["dir"].startswith("8x8"):
                    rows.append((f"{release}/{row['dir']}/{row['name']}", row))
    return rows


def _unit(text: str) -> float:
    """One unit of the last digit of a printed number."""
    mantissa = text.lower().split("e")[0]
    exponent = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (exponent - decimals)


def _close_to_published(value: float, text: str, derived_from: str | None = None) -> bool:
    """Within one unit of the last digit EvoApproxLib printed (it rounds to 2-3 digits).

    Its percentages are computed from the already rounded absolute figure (`derived_from`),
    whose rounding is added to the tolerance.
    """
    tolerance = _unit(text)
    if derived_from is not None:
        tolerance += _unit(derived_from) / 2**16 * 100
    return abs(value - float(text)) <= tolerance * (1 + 1e-9)


def _check_evoapprox(key: str, row: dict[str, str]) -> None:
    path = EVOAPPROX / f"{key}.v"
    module = verilog.load_verilog(str(path), {})
    if any(op.name.startswith("word.") for op in module.top_graph.ops):
        lower = get_pass("lower-word")
        if lower is None:
            pytest.skip("word-level operators need the lower-word pass")
        lower().apply(PassContext(quiet=True), module)
    view = LogicView.from_graph(module.top_graph)
    signed = row["dir"] == "8x8_signed"
    vectors = VectorSet.exhaustive(view)
    assert vectors.n_vectors == 65536 and len(view.output_ports) == 1
    (a_port, _), (b_port, _) = view.input_ports
    out_port = view.output_ports[0][0]
    result = Simulator(view).run(vectors, keep_signals=False)
    a = vectors.port_values(a_port, signed=signed).astype(np.int64)
    b = vectors.port_values(b_port, signed=signed).astype(np.int64)
    exact = pack_ints(a * b, 16)
    metrics = compare_rows(exact, result.port_rows(out_port), vectors, [(out_port, 16)], signed).overall
    assert _close_to_published(metrics.mae / 2**16 * 100, row["MAE%"], row["MAE"]), (metrics.mae, row["MAE%"])
    assert _close_to_published(metrics.mae, row["MAE"]), (metrics.mae, row["MAE"])
    assert _close_to_published(metrics.wce, row["WCE"]), (metrics.wce, row["WCE"])
    assert _close_to_published(metrics.wce / 2**16 * 100, row["WCE%"], row["WCE"]), (metrics.wce, row["WCE%"])
    assert _close_to_published(metrics.er * 100, row["EP%"]), (metrics.er, row["EP%"])
    assert _close_to_published(metrics.mre * 100, row["MRE%"]), (metrics.mre, row["MRE%"])
    assert _close_to_published(metrics.wcre * 100, row["WCRE%"]), (metrics.wcre, row["WCRE%"])
    assert _close_to_published(metrics.mse, row["MSE"]), (metrics.mse, row["MSE"])


FAST_SLICE = {"mul8u_1JJQ", "mul8u_2AC", "mul8u_17C8", "mul8s_1KV8", "mul8s_1KR6"}


@pytest.mark.parametrize("key,row", [r for r in _published_rows() if r[0].split("/")[-1] in FAST_SLICE],
                         ids=lambda x: x if isinstance(x, str) else "")
def test_evoapprox_fast_slice(key: str, row: dict[str, str]) -> None:
    _check_evoapprox(key, row)


@pytest.mark.slow
@pytest.mark.parametrize("key,row", _published_rows(), ids=lambda x: x if isinstance(x, str) else "")
def test_evoapprox_every_multiplier(key: str, row: dict[str, str]) -> None:
    if not (EVOAPPROX / f"{key}.v").is_file():
        pytest.skip("no Verilog file for this row")
    _check_evoapprox(key, row)
