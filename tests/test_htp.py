"""HTP models: analytic exact forms, least-squares fitting, fidelity labels."""

from __future__ import annotations

import numpy as np
import pytest
from axc.runtime.htp import HtpModel, Transform, analytic_htp, best_htp, fit_htp
from axc.runtime.multipliers import MultiplierModel, load_multiplier


@pytest.mark.parametrize("spec", ["exact", "trunc{l=2,m=3}", "drum{k=4}", "drum{k=3}"])
@pytest.mark.parametrize("signed", [False, True])
def test_analytic_forms_are_exact(spec: str, signed: bool) -> None:
    model = load_multiplier(spec, signed=signed)
    h = analytic_htp(model)
    assert h is not None and h.exact and h.n_convs == 1
    x, w = model.operand_grid()
    assert np.array_equal(h(x, w), model.lut())
    assert h.fidelity["bit_exact%"] == 100.0


@pytest.mark.parametrize("k", [3, 4])
def test_mitchell_has_an_exact_fraction_class_form(k: int) -> None:
    for signed in (False, True):
        model = load_multiplier(f"mitchell{{k={k}}}", signed=signed)
        h = best_htp(model)
        assert h.exact and h.source == "analytic"
        assert h.n_convs == 1 + (1 << (k - 1)) - 1  # lead(x) plus one class per non-zero fraction
        x, w = model.operand_grid()
        assert np.array_equal(h(x, w), model.lut())
        back = HtpModel.from_plain(h.multiplier, h.plain_terms())
        assert np.array_equal(back(x, w), model.lut())


def test_fit_recovers_truncation_from_table_alone() -> None:
    source = load_multiplier("trunc{l=3,m=3}", signed=True)
    table_only = MultiplierModel("table", 8, 8, True, table=source.lut())
    h = fit_htp(table_only)
    assert h.exact and h.source == "fitted"
    assert h.n_convs == 1  # x and x mod 8 merged into x - x mod 8
    x, w = source.operand_grid()
    assert np.array_equal(h(x, w), source.lut())


def test_fit_of_noisy_table_is_a_surrogate() -> None:
    exact = load_multiplier("exact", x_bits=6, w_bits=6)
    rng = np.random.default_rng(0)
    table = exact.lut() + rng.integers(-3, 4, exact.lut().shape).astype(np.int32)
    h = fit_htp(MultiplierModel("noisy", 6, 6, False, table=table))
    assert not h.exact and 0 < h.fidelity["mean_abs"] < 3


def test_transforms_and_plain_round_trip() -> None:
    v = np.arange(-8, 8)
    assert Transform("mod", 2)(v).tolist() == (v % 4).tolist()
    assert Transform("floor", 2)(v).tolist() == (v - v % 4).tolist()
    assert Transform("pow2")(np.array([0, 1, 5, -6])).tolist() == [0, 1, 4, -4]
    h = analytic_htp(load_multiplier("trunc{1,2}"))
    back = HtpModel.from_plain(h.multiplier, h.plain_terms())
    x, w = np.meshgrid(np.arange(256), np.arange(256))
    assert np.array_equal(back(x, w), h(x, w))
