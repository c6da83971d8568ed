"""The bit-parallel simulator against a per-gate numpy reference, vector sources, incremental runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from axc.frontend import verilog
from axc.ir import Graph, InputError, IntType, TruthTable, i1
from axc.ir.dialects import hw, logic
from axc.ir.views import GATE_CODES, LogicView
from axc.runtime.logicsim import Gate, Simulator, VectorSet, pack_ints, unpack_ints
from hypothesis import given, settings
from hypothesis import strategies as st
from logic_graphs import random_circuit, reference_outputs, ripple_adder


def _unpack(rows: np.ndarray, n: int) -> np.ndarray:
    return np.unpackbits(rows.view(np.uint8), axis=1, bitorder="little")[:, :n].astype(bool)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_vectors=st.integers(1, 300), keep=st.booleans())
def test_random_circuits_match_reference(seed: int, n_vectors: int, keep: bool) -> None:
    view = LogicView.from_graph(random_circuit(seed).top_graph)
    vectors = VectorSet.random(view, n_vectors, seed=seed)
    result = Simulator(view).run(vectors, keep_signals=keep)
    expected = reference_outputs(view, _unpack(vectors.words, n_vectors))
    assert np.array_equal(_unpack(result.packed, n_vectors), expected)


def test_threads_give_the_same_outputs() -> None:
    view = LogicView.from_graph(random_circuit(7, n_gates=200).top_graph)
    vectors = VectorSet.random(view, 70_000, seed=2)
    sim = Simulator(view)
    single = sim.run(vectors, keep_signals=False)
    assert np.array_equal(sim.run(vectors, keep_signals=False, threads=2).packed, single.packed)
    assert np.array_equal(sim.run(vectors, keep_signals=True).packed & single.valid_mask,
                          single.packed & single.valid_mask)


def test_every_gate_code_is_exercised() -> None:
    codes = set()
    for seed in range(20):
        codes |= set(LogicView.from_graph(random_circuit(seed).top_graph).codes.tolist())
    wanted = {c for name, c in GATE_CODES.items() if name not in ("logic.const", "logic.buf")}
    assert wanted <= codes


def test_exhaustive_adder_and_port_values() -> None:
    view = LogicView.from_graph(ripple_adder(5).top_graph)
    vectors = VectorSet.exhaustive(view)
    assert vectors.n_vectors == 1024 and vectors.source == "exhaustive"
    result = Simulator(view).run(vectors)
    a, b = vectors.port_values("a"), vectors.port_values("b")
    assert sorted(set(zip(a.tolist(), b.tolist()))) == [(x, y) for x in range(32) for y in range(32)]
    assert np.array_equal(result.port_values("s"), a + b)
    signed = result.port_values("s", signed=True)
    assert np.array_equal(signed, np.where(a + b >= 32, (a + b).astype(np.int64) - 64, a + b))


def test_small_exhaustive_masks_tail() -> None:
    view = LogicView.from_graph(ripple_adder(2).top_graph)
    vectors = VectorSet.exhaustive(view)
    assert vectors.n_vectors == 16 and int(vectors.words[0, 0]) >> 16 == 0


def test_user_vectors_signed_and_wide() -> None:
    view = LogicView.from_graph(ripple_adder(3).top_graph)
    vectors = VectorSet.from_ports(view, {"a": [1, 7, -1], "b": [2, 7, 3]})
    assert vectors.port_values("a").tolist() == [1, 7, 7]
    assert vectors.port_values("a", signed=True).tolist() == [1, -1, -1]
    assert Simulator(view).run(vectors).port_values("s").tolist() == [3, 14, 10]
    wide = [0, (1 << 100) + 5, (1 << 130) - 1]
    assert unpack_ints(pack_ints(wide, 130), 3).tolist() == wide
    assert unpack_ints(pack_ints(wide, 130), 3, signed=True).tolist() == [0, (1 << 100) + 5, -1]


def test_bad_vectors_are_refused() -> None:
    view = LogicView.from_graph(ripple_adder(3).top_graph)
    with pytest.raises(InputError, match="missing"):
        VectorSet.from_ports(view, {"a": [1]})
    with pytest.raises(InputError, match="different"):
        VectorSet.from_ports(view, {"a": [1], "b": [1, 2]})
    big = LogicView.from_graph(ripple_adder(13).top_graph)
    with pytest.raises(InputError, match="exhaustive"):
        VectorSet.exhaustive(big)
    with pytest.raises(InputError, match="input bits"):
        Simulator(big).run(VectorSet.random(view, 10))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_incremental_rerun_equals_full_run(seed: int) -> None:
    view = LogicView.from_graph(random_circuit(seed, n_gates=60).top_graph)
    sim = Simulator(view)
    vectors = VectorSet.random(view, 200, seed=seed)
    base = sim.run(vectors)
    rng = np.random.default_rng(seed)
    gates = rng.choice(view.n_gates, size=min(3, view.n_gates), replace=False)
    # replace each chosen gate by a LUT over signals strictly before it (keeps the circuit acyclic)
    replace = {}
    for g in gates:
        sig = view.first_gate_signal + int(g)
        fanin = tuple(int(x) for x in rng.integers(0, sig, size=int(rng.integers(1, 4))))
        replace[sig] = Gate("lut", fanin, rng.integers(0, 2, size=1 << len(fanin)))
    added = [Gate("xor", (int(rng.integers(0, view.n_signals)), 1))]
    new_sim, new_ids = sim.with_gates(replace, added)
    assert new_ids == [view.n_signals]
    new_sim.redirect_outputs({0: new_ids[0]})
    incremental = new_sim.rerun_cone(base, [*replace, *new_ids])
    full = new_sim.run(vectors)
    mask = full.valid_mask
    assert np.array_equal(incremental.packed & mask, full.packed & mask)
    assert np.array_equal(incremental.signals & mask, full.signals & mask)
    assert np.array_equal(base.packed, sim.run(vectors).packed)  # the base result is untouched


def test_bad_gates_are_refused() -> None:
    sim = Simulator(LogicView.from_graph(ripple_adder(3).top_graph))
    with pytest.raises(InputError, match="cannot take"):
        sim.with_gates(add=[Gate("mux", (2, 3))])
    with pytest.raises(InputError, match="entries"):
        sim.with_gates(add=[Gate("lut", (2, 3), [0, 1])])
    with pytest.raises(InputError, match="unknown gate"):
        sim.with_gates(add=[Gate("nope", (2, 3))])
    with pytest.raises(InputError, match="does not exist"):
        sim.with_gates(add=[Gate("and", (2, 999))])


def test_loops_are_refused() -> None:
    view = LogicView.from_graph(ripple_adder(3).top_graph)
    sim = Simulator(view)
    base = view.first_gate_signal
    reader, read = next((g, int(s)) for g in range(view.n_gates)
                        for s in view.fanin[view.fanin_ptr[g]:view.fanin_ptr[g + 1]] if s >= base)
    with pytest.raises(InputError, match="loop"):
        sim.with_gates({read: Gate("and", (base + reader, 2))})


def test_toggle_rates() -> None:
    view = LogicView.from_graph(ripple_adder(3).top_graph)
    vectors = VectorSet.from_ports(view, {"a": [0, 1, 0, 1, 1], "b": [0, 0, 0, 0, 0]})
    rates = Simulator(view).run(vectors).toggle_rates()
    assert rates[2] == pytest.approx(3 / 4)  # a[0]: 0 1 0 1 1
    assert rates[2 + 3] == 0.0  # b[0]
    assert rates[1] == 0.0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_resimulate_after_graph_edit(seed: int) -> None:
    module = random_circuit(seed, n_gates=50)
    graph = module.top_graph
    view = LogicView.from_graph(graph)
    vectors = VectorSet.random(view, 150, seed=seed)
    base = Simulator(view).run(vectors)
    rng = np.random.default_rng(seed)
    gates = [op for op in graph.ops if op.name in ("logic.and", "logic.or", "logic.xor")]
    if not gates:
        return
    victim = gates[int(rng.integers(len(gates)))]
    replacement = graph.create(logic.NandOp, list(victim.operands), [i1])
    victim.result.replace_all_uses_with(replacement.result)
    graph.erase(victim)
    new_view = LogicView.from_graph(graph)
    incremental = Simulator(new_view).resimulate(base)
    full = Simulator(new_view).run(vectors)
    mask = full.valid_mask
    assert np.array_equal(incremental.packed & mask, full.packed & mask)
    assert np.array_equal(incremental.signals & mask, full.signals & mask)


CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def _scalar_ports_value(values: dict[str, np.ndarray], prefix: str, width: int) -> np.ndarray:
    total = np.zeros(next(iter(values.values())).size, dtype=object)
    for i in range(width):
        total += values[f"{prefix}[{i}]"].astype(object) << i
    return total


def test_epfl_adder_adds() -> None:
    view = LogicView.from_graph(
        verilog.load_verilog(str(CORPORA / "epfl" / "arithmetic" / "adder.v"), {}).top_graph)
    vectors = VectorSet.random(view, 3000, seed=5)
    result = Simulator(view).run(vectors, keep_signals=False)
    ins = {name: vectors.port_values(name) for name, _ in view.input_ports}
    outs = {name: result.port_values(name) for name, _ in view.output_ports}
    a = _scalar_ports_value(ins, "a", 128)
    b = _scalar_ports_value(ins, "b", 128)
    total = _scalar_ports_value(outs, "f", 128) + (outs["cOut"].astype(object) << 128)
    assert (a + b == total).all()


def test_toggle_rates_across_words() -> None:
    view = LogicView.from_graph(ripple_adder(4).top_graph)
    vectors = VectorSet.random(view, 200, seed=9)
    result = Simulator(view).run(vectors)
    bits = _unpack(result.signals, 200)
    expected = (bits[:, 1:] != bits[:, :-1]).sum(axis=1) / 199
    assert np.allclose(result.toggle_rates(), expected)


def test_wide_luts_use_lookups() -> None:
    g = Graph("wide", kind="hw")
    bits = g.create(hw.SplitOp, [g.add_input("x", IntType(14))], [i1] * 14).results
    rng = np.random.default_rng(4)
    outs = []
    for n in (10, 11, 14):
        table = TruthTable.from_array(rng.integers(0, 2, size=1 << n))
        outs.append(g.create(logic.LutOp, list(bits[:n]), [i1], {"table": table}).result)
    g.add_output("y", g.create(hw.JoinOp, outs, [IntType(3)]).result)
    view = LogicView.from_graph(g)
    vectors = VectorSet.random(view, 1000, seed=4)
    expected = reference_outputs(view, _unpack(vectors.words, 1000))
    for keep in (True, False):
        got = Simulator(view).run(vectors, keep_signals=keep)
        assert np.array_equal(_unpack(got.packed, 1000), expected)
