"""The cost model: mapping through Yosys+ABC, area/delay/power sanity, caching, Liberty input."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir import Graph, InputError, IntType, Module, TruthTable, i1
from axc.ir.dialects import hw, logic
from axc.ir.views import LogicView
from axc.runtime.cost import CostModel, load_library
from axc.runtime.cost.model import _cell_order, _netlist_view
from axc.runtime.cost.netlist_io import blif_inputs, view_to_blif
from axc.runtime.logicsim import Simulator, VectorSet, tail_mask
from logic_graphs import random_circuit, ripple_adder

pytestmark = pytest.mark.tools


def _and2() -> LogicView:
    g = Graph("and2", kind="hw")
    a, b = g.add_input("a", i1), g.add_input("b", i1)
    g.add_output("y", g.create(logic.AndOp, [a, b], [i1]).result)
    m = Module()
    m.add_graph(g, top=True)
    return LogicView.from_graph(m.top_graph)


@pytest.fixture
def model(tmp_path, monkeypatch) -> CostModel:
    monkeypatch.setenv("AXC_CACHE", str(tmp_path))
    return CostModel()


def test_shipped_library() -> None:
    lib = load_library(CostModel().library.path)
    assert lib.cells["INV_X1"].area == 0.532 and lib.cells["MUX2_X1"].area == 1.862
    assert lib.cells["NAND2_X1"].table == (1, 1, 1, 0)
    mux = lib.cells["MUX2_X1"]
    assert mux.inputs == ("S", "B", "A") and mux.table == (0, 0, 0, 1, 1, 0, 1, 1)


def test_area_delay_power_sanity(model: CostModel) -> None:
    small = model.estimate(_and2())
    adder = model.estimate(LogicView.from_graph(ripple_adder(8).top_graph))
    assert 0 < small.area_um2 < adder.area_um2
    assert 0 < small.delay_ns < adder.delay_ns
    assert 0 < small.power_uw["total"] < adder.power_uw["total"]
    assert sum(adder.cells.values()) == adder.n_cells
    assert adder.area_um2 == pytest.approx(
        sum(model.library.cells[c].area * k for c, k in adder.cells.items()))
    deep = model.estimate(LogicView.from_graph(ripple_adder(16).top_graph), power=False)
    shallow = model.estimate(LogicView.from_graph(ripple_adder(2).top_graph), power=False)
    assert deep.delay_ns > shallow.delay_ns and deep.power_uw is None


def test_constant_inputs_do_not_switch(model: CostModel) -> None:
    view = LogicView.from_graph(ripple_adder(4).top_graph)
    quiet = VectorSet.from_ports(view, {"a": [5] * 100, "b": [3] * 100})
    busy = VectorSet.from_ports(view, {"a": [0, 15] * 50, "b": [15, 0] * 50})
    p_quiet = model.estimate(view, quiet).power_uw
    p_busy = model.estimate(view, busy).power_uw
    assert p_quiet["switching"] == 0 and p_quiet["internal"] == 0 and p_quiet["leakage"] > 0
    assert p_busy["switching"] > 0


def _wide_gates() -> Module:
    """A 12-input LUT and an 8-input XNOR (the BLIF writer splits both)."""
    g = Graph("wide", kind="hw")
    bits = g.create(hw.SplitOp, [g.add_input("x", IntType(12))], [i1] * 12).results
    table = TruthTable.from_array(np.random.default_rng(3).integers(0, 2, size=1 << 12))
    lut = g.create(logic.LutOp, list(bits), [i1], {"table": table}).result
    xnor = g.create(logic.XnorOp, list(bits[:8]), [i1]).result
    g.add_output("y", g.create(hw.JoinOp, [lut, xnor], [IntType(2)]).result)
    m = Module()
    m.add_graph(g, top=True)
    return m


def test_mapped_netlist_is_equivalent(model: CostModel) -> None:
    """Simulating the mapped cells gives the circuit's outputs (BLIF writer, Yosys, reader)."""
    circuits = [random_circuit(seed, n_gates=60) for seed in (1, 2, 3)] + [_wide_gates()]
    for seed, circuit in enumerate(circuits):
        view = LogicView.from_graph(circuit.top_graph)
        net = model.map_view(view).netlist
        vectors = VectorSet.random(view, 500, seed)
        expected = Simulator(view).run(vectors).packed
        words = vectors.words[net.input_index]
        got = Simulator(_netlist_view(net, model.library), order=_cell_order(net)).run(
            VectorSet.from_words(words, 500)).packed
        outputs = blif_outputs(view_to_blif(view))
        position = {name: i for i, name in enumerate(net.outputs)}
        mask = tail_mask(500)
        assert len(outputs) == view.n_outputs
        for i, name in enumerate(outputs):
            assert np.array_equal(got[position[name]] & mask, expected[i] & mask), name


def blif_outputs(text: str) -> list[str]:
    return blif_inputs(text.replace(".inputs", ".ignored").replace(".outputs", ".inputs"))


def test_cache_memory_and_disk(model: CostModel, tmp_path) -> None:
    view = LogicView.from_graph(ripple_adder(6).top_graph)
    first = model.estimate(view, power=False)
    again = model.estimate(view, power=False)
    assert not first.cached and again.cached and again.area_um2 == first.area_um2
    assert list((tmp_path / "cost").glob("*.json"))
    fresh = CostModel().estimate(view, power=False)  # a new model reads the disk cache
    assert fresh.cached and fresh.area_um2 == first.area_um2
    other = model.estimate(LogicView.from_graph(ripple_adder(7).top_graph), power=False)
    assert not other.cached


def _liberty() -> str:
    """A small but complete Liberty library (ABC needs the timing tables)."""
    table = ('(tmpl) { index_1 ("0.01, 0.1"); index_2 ("1.0, 10.0"); '
             'values ("D1, D2", "D2, D3"); }')

    def cell(name: str, area: float, leak: float, pins: list[str], func: str, d: float) -> str:
        t = table.replace("D1", f"{d:.3f}").replace("D2", f"{2 * d:.3f}").replace("D3", f"{3 * d:.3f}")
        arcs = "".join(
            f'timing () {{ related_pin : "{p}"; cell_rise {t} rise_transition {t} '
            f"cell_fall {t} fall_transition {t} }}\n" for p in pins)
        ins = "".join(f"pin ({p}) {{ direction : input; capacitance : 1.5; }}\n" for p in pins)
        return (f"cell ({name}) {{ area : {area}; cell_leakage_power : {leak};\n{ins}"
                f'pin (Y) {{ direction : output; function : "{func}";\n{arcs}}} }}\n')

    return (
        'library (tiny) {\ndelay_model : table_lookup; time_unit : "1ns"; voltage_unit : "1V";\n'
        'current_unit : "1mA"; leakage_power_unit : "1nW"; capacitive_load_unit (1, ff);\n'
        'pulling_resistance_unit : "1kohm"; nom_voltage : 1.1; nom_temperature : 25;\n'
        "nom_process : 1;\nlu_table_template (tmpl) { variable_1 : input_net_transition;\n"
        'variable_2 : total_output_net_capacitance; index_1 ("0.01, 0.1"); '
        'index_2 ("1.0, 10.0"); }\n'
        + cell("INVX", 1.0, 5.0, ["A"], "!A", 0.02)
        + cell("NANDX", 2.0, 7.0, ["A", "B"], "!(A B)", 0.04)
        + cell("BUFX", 1.5, 6.0, ["A"], "A", 0.05) + "}\n")


def test_liberty_library(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AXC_CACHE", str(tmp_path))
    lib_path = tmp_path / "tiny.lib"
    lib_path.write_text(_liberty())
    lib = load_library(lib_path)
    assert lib.kind == "liberty" and lib.cells["NANDX"].table == (1, 1, 1, 0)
    inv = lib.cells["INVX"]  # 0.02 ns at 1 fF, 0.04 ns at 10 fF (smallest transition)
    assert inv.fanout_delay[0] == pytest.approx(0.02 / 9)
    assert inv.block_delay[0] == pytest.approx(0.02 - 0.02 / 9)
    assert lib.cells["NANDX"].leakage_nw == 7.0
    report = CostModel(liberty=lib_path).estimate(LogicView.from_graph(ripple_adder(3).top_graph))
    assert set(report.cells) <= {"INVX", "NANDX", "BUFX"} and report.area_um2 > 0
    assert report.delay_ns > 0 and report.power_uw["leakage"] > 0


def test_bad_library(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        CostModel(genlib=tmp_path / "missing.genlib")
    with pytest.raises(InputError, match="not both"):
        CostModel(genlib="a", liberty="b")
