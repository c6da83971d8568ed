"""Clocked netlists: ISCAS'89 `.bench` and BLIF `.latch` read, written and read back.

Each ISCAS'89 circuit of `examples/iscas89` is imported (port, DFF and gate counts as published),
written as BLIF, Verilog and `.bench` and read back; Yosys proves our BLIF of the original and our
Verilog of the `.bench` round trip sequentially equivalent, and a small `.bench` evaluator in
`clocked_netlist_harness` (independent of axc) agrees cycle by cycle with Icarus running our
Verilog. s38417's equivalence and simulation are `slow`; its import, writes and read-backs run in
the fast tier.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from axc.backends.bench import emit_bench
from axc.backends.blif import emit_blif
from axc.backends.verilog import emit_verilog
from axc.frontend.bench import load_bench, parse_bench
from axc.frontend.blif import parse_blif
from axc.ir import InputError, Module
from axc.ir.dialects import seq
from axc.ir.verifier import verify
from clocked_netlist_harness import HAVE_IVERILOG, bench_cycles, icarus_cycles, yosys_equivalent

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "iscas89"

PUBLISHED = {
    "s27": (4, 1, 3, 10),
    "s298": (3, 6, 14, 119),
    "s1238": (14, 14, 18, 508),
    "s38417": (28, 106, 1636, 22179),
}
"""Inputs, outputs, D flip-flops, gates (inverters included) of each circuit."""

SMALL = ["s27", "s298", "s1238"]


def counts(module: Module) -> tuple[int, int, int, int]:
    """(inputs without the clock, outputs, registers, logic gates) of the top graph."""
    graph = module.top_graph
    clock = seq.check_clocking(graph)
    ins = sum(v.type.width for v in graph.inputs if v is not clock)
    outs = sum(v.type.width for v in graph.outputs)
    regs = sum(r.width for r in seq.registers(graph))
    return ins, outs, regs, sum(1 for op in graph.ops if op.dialect == "logic")


@pytest.fixture(scope="module")
def circuits() -> dict[str, Module]:
    return {name: load_bench(str(EXAMPLES / f"{name}.bench")) for name in PUBLISHED}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_import_matches_the_published_counts(circuits: dict[str, Module], name: str) -> None:
    module = circuits[name]
    verify(module)
    assert counts(module) == PUBLISHED[name]
    assert [v.name for v in module.top_graph.inputs][-1] == "clk"


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_blif_and_bench_round_trips_keep_the_structure(circuits: dict[str, Module], name: str) -> None:
    module = circuits[name]
    blif = emit_blif(module)
    assert blif.count(".latch ") == PUBLISHED[name][2] and " re clk 0" in blif
    from_blif = parse_blif(blif, f"{name}.blif")
    verify(from_blif)
    assert counts(from_blif)[:3] == PUBLISHED[name][:3]
    bench = emit_bench(module)
    assert bench.count("= DFF(") == PUBLISHED[name][2] and "INPUT(clk)" not in bench
    from_bench = parse_bench(bench, f"{name}.bench")
    assert counts(from_bench) == PUBLISHED[name]
    assert emit_bench(from_bench) == bench


def _equivalence(circuits: dict[str, Module], name: str) -> None:
    blif = emit_blif(circuits[name])
    verilog = emit_verilog(parse_bench(emit_bench(circuits[name]), f"{name}.bench"))
    assert "always @(posedge clk)" in verilog
    assert yosys_equivalent(blif, verilog, name) > 0


@pytest.mark.parametrize("name", SMALL)
def test_written_blif_and_verilog_are_equivalent_in_yosys(circuits: dict[str, Module], name: str) -> None:
    _equivalence(circuits, name)


@pytest.mark.slow
def test_large_circuit_is_equivalent_in_yosys(circuits: dict[str, Module]) -> None:
    _equivalence(circuits, "s38417")


def test_yosys_equivalence_finds_a_changed_gate(circuits: dict[str, Module]) -> None:
    text = (EXAMPLES / "s27.bench").read_text().replace("G10 = NOR(G14, G11)", "G10 = OR(G14, G11)")
    verilog = emit_verilog(parse_bench(text, "s27.bench"))
    with pytest.raises(InputError, match="unproven"):
        yosys_equivalent(emit_blif(circuits["s27"]), verilog, "s27")


def _stimulus(module: Module, cycles: int, seed: int) -> tuple[list[str], list[dict[str, int]]]:
    rng = random.Random(seed)
    names = [v.name for v in module.top_graph.inputs if v.name != "clk"]
    return names, [{n: rng.randint(0, 1) for n in names} for _ in range(cycles)]


def _simulation(circuits: dict[str, Module], name: str, cycles: int) -> None:
    module = circuits[name]
    names, stimulus = _stimulus(module, cycles, seed=len(name))
    expected = bench_cycles((EXAMPLES / f"{name}.bench").read_text(), stimulus)
    outputs = list(module.top_graph.output_names)
    got = icarus_cycles(emit_verilog(module), name, names, outputs, "clk", stimulus)
    assert got == expected
    assert len({tuple(c.values()) for c in expected}) > 1  # the outputs move


@pytest.mark.skipif(not HAVE_IVERILOG, reason="Icarus Verilog not installed")
@pytest.mark.parametrize("name", SMALL)
def test_cycles_match_an_independent_bench_evaluator(circuits: dict[str, Module], name: str) -> None:
    _simulation(circuits, name, 200)


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_IVERILOG, reason="Icarus Verilog not installed")
def test_large_circuit_cycles_match_the_bench_evaluator(circuits: dict[str, Module]) -> None:
    _simulation(circuits, "s38417", 50)
