"""`resynth`: ABC's exact optimisation keeps every output and shrinks redundant logic."""

from __future__ import annotations

import numpy as np
import pytest
from axc.frontend.verilog import load_verilog
from axc.ir import InputError, verify
from axc.ir.printer import print_module
from axc.ir.views import LogicView
from axc.passes.circuit.resynth import ResynthPass
from axc.passes.infra.base import PassContext
from axc.runtime.cost import estimate_cost
from axc.runtime.logicsim import Simulator, VectorSet
from bmf_circuits import array_multiplier, random_logic
from conftest import CORPORA

from axc.api import read_file


def _outputs(module, vectors: VectorSet) -> np.ndarray:
    return Simulator(LogicView.from_graph(module.top_graph)).run(vectors, keep_signals=False).packed


@pytest.mark.parametrize("make", [lambda: array_multiplier(5), lambda: random_logic(12, 300, 6, seed=3)],
                         ids=["multiplier", "random"])
def test_resynth_is_exact(make) -> None:
    module = make()
    vectors = VectorSet.exhaustive(LogicView.from_graph(module.top_graph))
    before_out = _outputs(module, vectors)
    res = ResynthPass(effort=1.0).apply(PassContext(quiet=True, reader=read_file), module)
    verify(module)
    assert np.array_equal(_outputs(module, vectors), before_out)
    assert res.stats["gates_after"] <= res.stats["gates_before"]


def test_multiplier_maps_smaller_after_resynth() -> None:
    module = array_multiplier(6)
    before = estimate_cost(module).area
    ResynthPass(effort=2.0).apply(PassContext(quiet=True, reader=read_file), module)
    assert estimate_cost(module).area < before


def test_random_logic_redundancy_is_removed() -> None:
    # a random DAG read only through 2 outputs: most of its 300 gates are dead or redundant
    module = random_logic(12, 300, 2, seed=5)
    res = ResynthPass(effort=0.0).apply(PassContext(quiet=True, reader=read_file), module)
    assert res.stats["gates_after"] < res.stats["gates_before"] // 2


def test_negative_effort_is_refused() -> None:
    with pytest.raises(InputError, match="effort must not be negative"):
        ResynthPass(effort=-1.0).apply(PassContext(quiet=True, reader=read_file), array_multiplier(3))


def test_a_result_that_maps_larger_is_not_kept() -> None:
    # ABC's simple-gate mapping of ISCAS c17 (6 NANDs) maps to more area than the original
    module = load_verilog(str(CORPORA / "iscas85" / "verilog_circuitgraph" / "c17.v"), {})
    before_text = print_module(module)
    area = estimate_cost(module).area
    res = ResynthPass(effort=0.0).apply(PassContext(quiet=True, reader=read_file), module)
    assert res.stats["abc_area"] > area
    assert not res.modified
    assert print_module(module) == before_text
    assert res.stats["area_after"] == area
