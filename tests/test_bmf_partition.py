"""KaHyPar partitioning into convex parts and part truth tables (`axc.passes.bmf`)."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir.views import LogicView
from axc.passes.bmf.explore import Explorer
from axc.passes.bmf.partition import KAHYPAR_CONFIG, KAHYPAR_FAST_CONFIG, partition_logic
from axc.passes.bmf.partsim import exact_netlist, part_truth_table
from axc.passes.bmf.synth import netlist_area
from axc.runtime.logicsim import Simulator, VectorSet
from bmf_circuits import array_multiplier, random_logic, ripple_adder


def _check(view: LogicView, k: int, m: int, fast: bool = False) -> None:
    part = partition_logic(view, k, m, seed=1, fast=fast)
    covered = np.concatenate([p.gates for p in part.parts])
    assert np.array_equal(np.sort(covered), np.arange(view.n_gates))  # every gate exactly once
    first = view.first_gate_signal
    position = {}
    for i, p in enumerate(part.parts):
        assert p.k <= k or p.gates.size == 1
        assert p.m <= m
        for s in p.outputs.tolist():
            position[s] = i
    # topological order of parts (hence convex parts, no loops through the part graph)
    for i, p in enumerate(part.parts):
        for s in p.inputs.tolist():
            if s >= first:
                assert position.get(s, -1) < i


@pytest.mark.parametrize("k,m", [(10, 10), (6, 4), (4, 3)])
def test_parts_respect_limits_and_order(k: int, m: int) -> None:
    assert KAHYPAR_CONFIG.exists()
    for module in (array_multiplier(6), random_logic(30, 400, 12, seed=2)):
        _check(LogicView.from_graph(module.top_graph), k, m)


def test_fast_settings_also_give_convex_parts_within_limits() -> None:
    # budgeted runs on large circuits partition with KaHyPar's fast settings
    assert KAHYPAR_FAST_CONFIG.exists()
    _check(LogicView.from_graph(random_logic(30, 400, 12, seed=2).top_graph), 10, 10, fast=True)


def test_explorer_without_exact_synthesis_keeps_the_parts_own_gate_area() -> None:
    view = LogicView.from_graph(array_multiplier(5).top_graph)
    part = partition_logic(view, 6, 5, seed=3)
    vectors = VectorSet.random(view, 512, 0)
    synthesized = Explorer(view, part, vectors.words, vectors.n_vectors, "hd", False)
    own = Explorer(view, part, vectors.words, vectors.n_vectors, "hd", False, synthesize_exact=False)
    own_areas = [netlist_area(n) for n in own.exact]
    assert np.allclose(own.exact_area, own_areas)
    assert np.all(synthesized.exact_area <= own.exact_area) and synthesized.exact_area.sum() < own.exact_area.sum()


def test_small_circuit_is_one_part() -> None:
    view = LogicView.from_graph(ripple_adder(2).top_graph)
    part = partition_logic(view, 10, 10)
    assert len(part) == 1 and part.parts[0].k == 4 and part.parts[0].m == 3


def test_part_truth_tables_reproduce_the_circuit() -> None:
    # simulating the parts' truth tables in order gives the same outputs as the gate simulator
    view = LogicView.from_graph(array_multiplier(5).top_graph)
    part = partition_logic(view, 6, 5, seed=3)
    vectors = VectorSet.exhaustive(view)
    explorer = Explorer(view, part, vectors.words, vectors.n_vectors, "hd", False)
    reference = Simulator(view).run(vectors, keep_signals=False).packed
    assert np.array_equal(explorer.sim.exact_out, reference)
    p = part.parts[0]
    table = part_truth_table(exact_netlist(view, p.gates, p.inputs, p.outputs))
    assert table.shape == (1 << p.k,) and table.max() < (1 << p.m)
