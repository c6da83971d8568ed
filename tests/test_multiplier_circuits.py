"""Multiplier models from circuit graphs: exhaustive simulation, port roles, bad ports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from axc.ir import Graph, InputError, IntType, Module, Value, i1
from axc.ir.dialects import hw, logic
from axc.passes.circuit.logic_checks import bit_level
from axc.runtime.htp import fit_htp
from axc.runtime.multipliers import model_from_graph
from axc.runtime.multipliers.evoapprox import is_signed_name, published_metrics

import axc


def array_multiplier(n: int, drop_a_bit0: bool = False, out_bits: int | None = None) -> Module:
    """An n x n unsigned shift-and-add multiplier built from and/xor/maj gates.

    With `drop_a_bit0` the partial products of A's bit 0 are left out, which makes the circuit
    non-commutative (x = A and x = B give different tables).
    """
    g = Graph("mul", kind="hw")
    a = g.create(hw.SplitOp, [g.add_input("A", IntType(n))], [i1] * n).results
    b = g.create(hw.SplitOp, [g.add_input("B", IntType(n))], [i1] * n).results
    zero = g.create(logic.ConstOp, [], [i1], {"value": 0}).result
    acc: list[Value] = [zero] * (2 * n)
    for i in range(n):
        if i == 0 and drop_a_bit0:
            continue
        carry = zero
        for j in range(2 * n - i):
            pp = g.create(logic.AndOp, [a[i], b[j]], [i1]).result if j < n else zero
            s = g.create(logic.XorOp, [acc[i + j], pp, carry], [i1]).result
            carry = g.create(logic.MajOp, [acc[i + j], pp, carry], [i1]).result
            acc[i + j] = s
    width = out_bits or 2 * n
    g.add_output("O", g.create(hw.JoinOp, acc[:width], [IntType(width)]).result)
    m = Module()
    m.add_graph(g, top=True)
    return m


def test_exact_array_multiplier_table() -> None:
    model = model_from_graph(array_multiplier(4), with_cost=False)
    x, w = model.operand_grid()
    assert np.array_equal(model.lut(), x * w)
    assert model.metrics()["mae"] == 0 and (model.x_port, model.w_port) == ("A", "B")


def test_port_roles_matter_for_non_commutative_circuits() -> None:
    module = array_multiplier(4, drop_a_bit0=True)
    ab = model_from_graph(module, x_port="A", w_port="B", with_cost=False)
    ba = model_from_graph(module, x_port="B", w_port="A", with_cost=False)
    x, w = ab.operand_grid()
    assert np.array_equal(ab.lut(), (x & ~1) * w)
    assert np.array_equal(ba.lut(), x * (w & ~1))
    signed = model_from_graph(module, x_port="A", signed=True, with_cost=False)
    sx, sw = signed.operand_grid()
    unsigned_product = ((sx & 15) & ~1) * (sw & 15)  # the circuit sees the bit patterns
    expected = (unsigned_product + 128) % 256 - 128  # its product bits read as two's complement
    assert np.array_equal(signed.lut(), expected)


def test_bad_ports_are_refused() -> None:
    with pytest.raises(InputError, match="product O has 5 bits"):
        model_from_graph(array_multiplier(4, out_bits=5), with_cost=False)
    with pytest.raises(InputError, match="not an input port"):
        model_from_graph(array_multiplier(3), x_port="C", with_cost=False)
    with pytest.raises(InputError, match="both 'A'"):
        model_from_graph(array_multiplier(3), x_port="A", w_port="A", with_cost=False)
    g = Graph("three", kind="hw")
    for name in "ABC":
        g.add_input(name, IntType(2))
    g.add_output("O", g.inputs[0])
    m = Module()
    m.add_graph(g, top=True)
    with pytest.raises(InputError, match="two-operand multiplier"):
        model_from_graph(m, with_cost=False)


EVOAPPROX = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "evoapprox" / "v2022"
ALL_EVO = sorted(EVOAPPROX.glob("8x8_*/mul8*.v"))
ALL_EVO = [p for p in ALL_EVO if not p.stem.endswith("_pdk45")]
FAST_EVO = ("mul8u_1JJQ", "mul8u_GTR", "mul8s_1L12", "mul8s_1KV8")


def circuit_model(path: Path, signed: bool):
    """The LUT model of a multiplier circuit file, without its cost."""
    module = axc.load(path)
    return model_from_graph(module, signed=signed, origin=str(path), with_cost=False,
                            bit_level=bit_level(module).top_graph)


def check_against_header(path: Path) -> None:
    """Our exhaustive LUT reproduces the metrics EvoApproxLib publishes in the file header."""
    model = circuit_model(path, is_signed_name(path))
    ours = model.metrics()
    published = published_metrics(path)
    assert ours["wce"] == published["WCE"]
    assert ours["mae"] == pytest.approx(published["MAE"], abs=0.5 + 0.005 * published["MAE"])
    assert ours["ep%"] == pytest.approx(published["EP%"], abs=0.006)
    assert ours["mse"] == pytest.approx(published["MSE"], rel=0.01, abs=0.5)
    assert ours["mre%"] == pytest.approx(published["MRE%"], rel=0.01, abs=0.006)
    assert ours["mae%"] == pytest.approx(published["MAE%"], rel=0.06, abs=0.0006)


@pytest.mark.parametrize("name", FAST_EVO)
def test_evoapprox_tables_match_published_metrics(name: str) -> None:
    check_against_header(next(p for p in ALL_EVO if p.stem == name))


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL_EVO, ids=lambda p: p.stem)
def test_every_evoapprox_multiplier_matches(path: Path) -> None:
    check_against_header(path)


def test_evoapprox_truncation_multiplier_has_exact_htp() -> None:
    path = next(p for p in ALL_EVO if p.stem == "mul8s_1L2J")
    h = fit_htp(circuit_model(path, True))
    assert h.exact and h.n_convs == 1


def test_circuit_wider_than_the_lut_limit_is_refused() -> None:
    with pytest.raises(InputError, match="limit 2\\^20"):
        model_from_graph(array_multiplier(11), with_cost=False)
