"""BLIF frontend: covers (ON/OFF sets, don't-cares, constants), .gate with a genlib, .subckt
flattening, vector ports, located errors, and the LGSynth'91 / EPFL corpora."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from axc.frontend.blif import load_blif, parse_blif
from axc.ir import InputError, ParseError, verify
from axc.ir.dialects import hw, logic
from axc.ir.views import LogicView
from axc.passes.circuit.check_equiv import exhaustive_equivalence
from axc.runtime.cost import load_library
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.yosys import run_yosys

from axc.formats import get_loader

DATA = Path(__file__).parent / "data" / "blif"
CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
LGSYNTH = sorted((CORPORA / "lgsynth91" / "blif_names").glob("*.blif"))
EPFL_FAST = ["adder", "bar", "max"]
EPFL_SLOW = ["div", "log2", "multiplier", "sin", "sqrt", "square"]


def truth_tables(module) -> dict[str, list[int]]:
    """Every output port's value for every input pattern (input bit i = bit i of the pattern)."""
    view = LogicView.from_graph(module.top_graph)
    vectors = VectorSet.exhaustive(view)
    result = Simulator(view).run(vectors, keep_signals=False)
    return {name: [int(x) for x in result.port_values(name)] for name, _ in view.output_ports}


def one_output(text: str) -> list[int]:
    module = parse_blif(text)
    verify(module)
    (values,) = truth_tables(module).values()
    return values


def test_on_set_with_dont_cares() -> None:
    # y = a | (~b & c); pattern bits: a = bit 0, b = bit 1, c = bit 2
    values = one_output(".model t\n.inputs a b c\n.outputs y\n.names a b c y\n1-- 1\n-01 1\n.end\n")
    assert values == [int(bool(p & 1) or (not p & 2 and bool(p & 4))) for p in range(8)]


def test_off_set_cover_is_complemented() -> None:
    # EPFL style: "00 0" lists the OFF-set, so y = a | b
    assert one_output(".model t\n.inputs a b\n.outputs y\n.names a b y\n00 0\n.end\n") == [0, 1, 1, 1]
    # "10 0": y is 0 only for a=1, b=0
    assert one_output(".model t\n.inputs a b\n.outputs y\n.names a b y\n10 0\n.end\n") == [1, 0, 1, 1]


def test_constants_and_empty_cover() -> None:
    text = ".model t\n.inputs a\n.outputs one zero z2\n.names one\n1\n.names zero\n.names z2\n0\n.end\n"
    tables = truth_tables(parse_blif(text))
    assert tables == {"one": [1, 1], "zero": [0, 0], "z2": [0, 0]}


def test_simple_functions_become_gates() -> None:
    text = """.model t
.inputs a b c
.outputs y1 y2 y3 y4 y5
.names a b y1
11 1
.names a b y2
01 1
10 1
.names a b c y3
11- 1
0-1 1
.names a b c y4
11- 1
1-1 1
-11 1
.names a b c y5
1-- 1
.end
"""
    module = parse_blif(text)
    g = module.top_graph
    kinds = {n: v.owner.name for n, v in zip(g.output_names, g.outputs)}
    assert kinds == {"y1": "logic.and", "y2": "logic.xor", "y3": "logic.mux", "y4": "logic.maj",
                     "y5": "logic.buf"}
    tables = truth_tables(module)
    for p in range(8):
        a, b, c = p & 1, (p >> 1) & 1, (p >> 2) & 1
        assert tables["y3"][p] == (b if a else c)
        assert tables["y4"][p] == int(a + b + c >= 2)


def test_wide_cover_becomes_lut_and_huge_cover_sop() -> None:
    names = " ".join(f"x{i}" for i in range(5))
    rows = "\n".join(f"{p:05b}"[::-1] + " 1" for p in (3, 6, 17, 30))
    module = parse_blif(f".model t\n.inputs {names}\n.outputs y\n.names {names} y\n{rows}\n.end\n")
    (values,) = truth_tables(module).values()
    assert [p for p, v in enumerate(values) if v] == [3, 6, 17, 30]
    assert module.top_graph.outputs[0].owner.name == "logic.lut"
    wide = " ".join(f"x{i}" for i in range(20))
    text = f".model t\n.inputs {wide}\n.outputs y\n.names {wide} y\n{'1' * 20} 0\n{'0' * 19}- 0\n.end\n"
    g = parse_blif(text).top_graph
    verify(g.module) if g.module else None
    assert not any(isinstance(op, logic.LutOp) for op in g.ops)
    view = LogicView.from_graph(g)
    rng = np.random.default_rng(1)
    pats = [int(x) for x in rng.integers(0, 1 << 20, 300)] + [(1 << 20) - 1, 0, 1 << 19]
    vec = VectorSet.from_ports(view, {f"x{i}": [(p >> i) & 1 for p in pats] for i in range(20)})
    out = Simulator(view).run(vec, keep_signals=False).port_values("y")
    expected = [0 if p == (1 << 20) - 1 or p & ((1 << 19) - 1) == 0 else 1 for p in pats]
    assert [int(x) for x in out] == expected


def test_continuations_comments_and_vector_ports() -> None:
    text = """# header comment
.model vec   # trailing comment
.inputs a[0] a[1] \\
   a[2] b
.outputs y[1] y[0] s

.names a[0] a[1] y[0]
11 1
.names a[2] b y[1]
00 0  # OFF-set
.names a[1] s
0 1
.end
"""
    module = parse_blif(text)
    g = module.top_graph
    assert [(v.name, v.type.width) for v in g.inputs] == [("a", 3), ("b", 1)]
    assert list(g.output_names) == ["y", "s"] and g.outputs[0].type.width == 2
    assert [r.name for r in g.ops_of(hw.SplitOp)[0].results] == ["a[0]", "a[1]", "a[2]"]
    tables = truth_tables(module)
    for p in range(16):
        a0, a1, a2, b = p & 1, (p >> 1) & 1, (p >> 2) & 1, (p >> 3) & 1
        assert tables["y"][p] == (a0 & a1) | ((a2 | b) << 1)
        assert tables["s"][p] == 1 - a1


def test_subckt_flattening_and_top_choice() -> None:
    module = load_blif(str(DATA / "hier.blif"))
    verify(module)
    g = module.top_graph
    assert g.name == "add2"  # the model nobody instantiates, although it comes second
    tables = truth_tables(module)
    for p in range(16):
        x, y = p & 3, p >> 2
        assert tables["z"][p] == x + y
    assert not g.ops_of(hw.InstanceOp)


def test_gate_netlist_with_genlib() -> None:
    lib = load_library(DATA / "small.genlib")
    assert lib.cells["AOI21"].inputs == ("A1", "A2", "B") and lib.cells["NAND2"].area == 0.798
    assert "DLH" in lib.latches
    module = load_blif(str(DATA / "mapped.blif"), {"genlib": str(DATA / "small.genlib")})
    tables = truth_tables(module)
    for p in range(8):
        total = (p & 1) + ((p >> 1) & 1) + ((p >> 2) & 1)
        assert tables["s"][p] == total & 1 and tables["cout"][p] == total >> 1


def located(exc: pytest.ExceptionInfo, line: int) -> str:
    assert exc.value.loc is not None and exc.value.loc.line == line, exc.value.render()
    return exc.value.message


def test_latch_on_a_derived_clock_is_refused_with_location() -> None:
    text = ".model s\n.inputs d\n.outputs q\n.latch d q re clk 0\n.end\n"
    with pytest.raises(InputError) as exc:
        parse_blif(text, "seq.blif")
    assert "the clock 'clk' of latch 'q' is not a primary input" in located(exc, 4)
    assert exc.value.render().startswith("seq.blif:4:1: error:")


@pytest.mark.parametrize(
    "text, line, fragment, kind",
    [
        (".model t\n.inputs a\n.outputs y\n.names a q y\n11 1\n.end\n", 4, "never driven", InputError),
        (".model t\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n.end\n", 6, "more than one driver", InputError),
        (".model t\n.inputs a b\n.outputs y\n.names a b y\n1 1\n.end\n", 5, "2 input columns", ParseError),
        (".model t\n.inputs a b\n.outputs y\n.names a b y\n11 1\n00 0\n.end\n", 6, "mixes ON-set", InputError),
        (".model t\n.inputs a\n.outputs y\n.names a y\n1x 1\n.end\n", 5, "malformed BLIF", ParseError),
        (".model t\n.inputs a\n.outputs y\n.gate NAND2 A=a B=a Y=y\n.end\n", 4, "--genlib", InputError),
        (".model t\n.inputs a\n.outputs y z\n.names a y\n1 1\n.end\n", 3, "output 'z' is never driven", InputError),
        (".model t\n.inputs a\n.outputs y\n.names y a y\n11 1\n.end\n", 4, "cycle", InputError),
        (".model t\n.inputs a\n.outputs y\n.subckt nope x=a y=y\n.end\n", 4, "unknown model", InputError),
        (".model t\n.inputs a\n.outputs y\n.clock a\n.end\n", 4, "unsupported BLIF construct", InputError),
    ],
)
def test_bad_input_is_located(text: str, line: int, fragment: str, kind: type) -> None:
    with pytest.raises(kind) as exc:
        parse_blif(text, "bad.blif")
    assert fragment in located(exc, line)


def test_unknown_gate_and_pin() -> None:
    genlib = {"genlib": str(DATA / "small.genlib")}
    with pytest.raises(InputError, match="unknown gate 'AND9'") as exc:
        parse_blif(".model t\n.inputs a\n.outputs y\n.gate AND9 A=a Y=y\n.end\n", "g.blif", genlib)
    assert exc.value.loc.line == 4 and exc.value.loc.col == 7
    with pytest.raises(InputError, match="no pin 'C'"):
        parse_blif(".model t\n.inputs a\n.outputs y\n.gate NAND2 A=a C=a Y=y\n.end\n", "g.blif", genlib)
    with pytest.raises(InputError, match="latch"):
        parse_blif(".model t\n.inputs a\n.outputs y\n.gate DLH D=a Q=y\n.end\n", "g.blif", genlib)


def test_registered_loader() -> None:
    assert get_loader("blif") is load_blif


@pytest.mark.parametrize("path", LGSYNTH, ids=lambda p: p.stem)
def test_lgsynth91_imports(path: Path) -> None:
    module = load_blif(str(path))
    verify(module)
    LogicView.from_graph(module.top_graph)


def _check_epfl(name: str) -> None:
    module = load_blif(str(CORPORA / "epfl" / "arithmetic" / f"{name}.blif"))
    verify(module)
    view = LogicView.from_graph(module.top_graph)
    assert view.n_gates > 0 and all(w > 1 for _, w in view.input_ports)


@pytest.mark.parametrize("name", EPFL_FAST)
def test_epfl_imports(name: str) -> None:
    _check_epfl(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", EPFL_SLOW)
def test_epfl_imports_slow(name: str) -> None:
    _check_epfl(name)


def test_epfl_adder_adds() -> None:
    module = load_blif(str(CORPORA / "epfl" / "arithmetic" / "adder.blif"))
    view = LogicView.from_graph(module.top_graph)
    rng = np.random.default_rng(7)
    a = [int.from_bytes(rng.bytes(16), "little") for _ in range(200)]
    b = [int.from_bytes(rng.bytes(16), "little") for _ in range(200)]
    res = Simulator(view).run(VectorSet.from_ports(view, {"a": a, "b": b}), keep_signals=False)
    f = res.port_values("f")
    cout = res.port_values("cOut")
    for x, y, s, c in zip(a, b, f, cout):
        assert int(s) + (int(c) << 128) == x + y


def test_all_patterns_of_a_two_input_cover_match_the_table() -> None:
    for bits in range(16):
        rows = [f"{p & 1}{p >> 1} 1" for p in range(4) if (bits >> p) & 1]
        text = ".model t\n.inputs a b\n.outputs y\n.names a b y\n" + "\n".join(rows) + "\n.end\n"
        assert one_output(text) == [(bits >> p) & 1 for p in range(4)], bits
    for bits in range(16):
        off = [f"{p & 1}{p >> 1} 0" for p in range(4) if not (bits >> p) & 1]
        if not off:
            continue
        text = ".model t\n.inputs a b\n.outputs y\n.names a b y\n" + "\n".join(off) + "\n.end\n"
        assert one_output(text) == [(bits >> p) & 1 for p in range(4)], bits


def test_abc_mapped_netlist_reads_back_equivalent(tmp_path: Path) -> None:
    """A netlist mapped by Yosys+ABC onto the shipped NanGate-45 genlib imports as the same function."""

    genlib = Path(__file__).resolve().parents[1] / "runtime" / "cost" / "nangate45.genlib"
    source = LGSYNTH[[p.stem for p in LGSYNTH].index("cm82a")]
    script = ("read_blif design.blif\nhierarchy -auto-top\nflatten\ntechmap\nopt_clean\n"
              "abc -genlib cells.genlib\nopt_clean -purge\nwrite_blif -gates mapped.blif\n")
    mapped = run_yosys(script, {"design.blif": source.read_text(), "cells.genlib": genlib.read_text()},
                       outputs=("mapped.blif",)).outputs["mapped.blif"]
    assert ".gate" in mapped
    module = parse_blif(mapped, "mapped.blif", {"genlib": str(genlib)})
    verify(module)
    result = exhaustive_equivalence(load_blif(str(source)).top_graph, module.top_graph)
    assert result.equivalent, result.describe()


def test_barbuf_exdc_and_repeated_declarations() -> None:
    text = """.model t
.inputs a
.inputs b
.outputs y
.outputs z
.names a b w
11 1
.barbuf w y
.conn b z
.exdc
.names a b y
00 1
.end
"""
    tables = truth_tables(parse_blif(text))
    assert tables == {"y": [0, 0, 0, 1], "z": [0, 0, 1, 1]}


def test_port_locations_across_continuations_in_one_pass() -> None:
    text = ".model t\n.inputs a\n.outputs y \\\n   z # the second output\n.names a y\n1 1\n.end\n"
    with pytest.raises(InputError, match="output 'z' is never driven") as exc:
        parse_blif(text, "c.blif")
    assert (exc.value.loc.line, exc.value.loc.col) == (4, 4)
