"""The `truncate` pass: operand / port-bit precision scaling and its error search."""

from __future__ import annotations

from pathlib import Path

import pytest
from axc.frontend.verilog import load_verilog
from axc.ir import InputError, verify
from axc.passes.circuit.truncate import TruncatePass
from axc.passes.infra.base import PassContext
from bmf_circuits import array_multiplier, random_logic

# NMED of an 8x8 unsigned multiplier with k operand LSBs dropped (exhaustive), as in the
# EvoApproxLib comparison of the design notes: 0.19 / 0.58 / 1.34 / 2.83 %.
KNOWN = {1: 0.001941680908203125, 2: 0.005802154541015625, 3: 0.013431549072265625,
         4: 0.028324127197265625}


@pytest.fixture
def mul8(tmp_path: Path):
    src = tmp_path / "mul8.v"
    src.write_text("module mul8(input [7:0] A, input [7:0] B, output [15:0] O);\n"
                   "  assign O = A * B;\nendmodule\n")
    return load_verilog(str(src), {})


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_word_level_operand_truncation(mul8, bits: int) -> None:
    ctx = PassContext(quiet=True)
    res = TruncatePass(bits=bits).apply(ctx, mul8)
    verify(mul8)
    assert res.errors["mae"] == pytest.approx(KNOWN[bits], abs=1e-15)
    assert ctx.report["truncate"]["target"] == "operands"


def test_search_takes_the_deepest_truncation_within_budget(mul8) -> None:
    ctx = PassContext(quiet=True)
    res = TruncatePass(err=0.01).apply(ctx, mul8)
    assert res.stats["bits"] == 2 and res.errors["mae"] <= 0.01
    sweep = ctx.report["truncate"]["sweep"]
    assert [s["error"] for s in sweep[:4]] == pytest.approx([KNOWN[b] for b in range(1, 5)])


def test_flat_netlist_input_bits_match_operand_truncation() -> None:
    # the same function: an array multiplier with input LSBs tied to 0
    module = array_multiplier(8)
    ctx = PassContext(quiet=True)
    res = TruncatePass(bits=3).apply(ctx, module)
    verify(module)
    assert ctx.report["truncate"]["target"] == "inputs"
    assert res.errors["mae"] == pytest.approx(KNOWN[3], abs=1e-15)


def test_output_bits() -> None:
    module = array_multiplier(4)
    ctx = PassContext(quiet=True)
    res = TruncatePass(bits=2, target="outputs", metric="wce").apply(ctx, module)
    verify(module)
    assert res.errors["wce"] == pytest.approx(3 / 256)


@pytest.mark.parametrize("options,message", [
    ({}, "needs bits"),
    ({"err": 2.0}, r"err must be in \(0, 1\]"),
    ({"bits": 0}, "at least 1"),
    ({"bits": 1, "metric": "mae"}, "needs numeric"),
    ({"bits": 1, "target": "operands"}, "no word.mul"),
    ({"bits": 1}, "nothing to truncate"),
])
def test_bad_input(options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        TruncatePass(**options).apply(PassContext(quiet=True), random_logic(8, 30, 3))


def test_unknown_operator_selection(mul8) -> None:
    with pytest.raises(InputError, match="no word.mul/word.add named 'nope'"):
        TruncatePass(bits=1, ops=("nope",)).apply(PassContext(quiet=True), mul8)
