"""The Verilog frontend: semantics against Icarus, the real corpora, and located errors."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from axc.frontend.verilog import load_verilog, read_verilog
from axc.ir import AxcError, InputError, ParseError, verify
from axc.ir.views import LogicView
from axc.passes.circuit.lower_word import LowerWordPass
from axc.passes.infra.base import PassContext
from axc.runtime.interp import evaluate

from axc.formats import get_loader

sys.path.insert(0, str(Path(__file__).parent))
from iverilog_harness import HAVE_IVERILOG, ports_of, simulate  # noqa: E402

DATA = Path(__file__).parent / "data" / "verilog"
CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
EVO = CORPORA / "evoapprox"
needs_icarus = [pytest.mark.tools,
                pytest.mark.skipif(not HAVE_IVERILOG, reason="needs iverilog and vvp")]


def _evo_files(pdk45: bool) -> list[Path]:
    files = sorted((EVO / "lite_master").rglob("*.v")) + sorted((EVO / "v2022").rglob("*.v"))
    return [f for f in files if f.name.endswith("_pdk45.v") == pdk45]


def _corpus_files() -> list[Path]:
    iscas = sorted((CORPORA / "iscas85" / "verilog_circuitgraph").glob("*.v"))
    iscas += sorted((CORPORA / "iscas85" / "verilog_original").glob("*.v"))
    return iscas + sorted((CORPORA / "epfl" / "arithmetic").glob("*.v")) + _evo_files(False)


def _import_and_check(path: Path) -> LogicView:
    """Import, verify, lower the word ops (if any) and export the bit-level view."""
    module = load_verilog(str(path), {})
    verify(module)
    graph = module.top_graph
    if any(op.dialect == "word" for op in graph.ops):
        LowerWordPass().apply(PassContext(), module)
        verify(module)
    return LogicView.from_graph(module.top_graph)


def _random_vectors(graph, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v.name: rng.integers(0, 1 << v.type.width, n, dtype=np.uint64) for v in graph.inputs}


def _same(got: dict, want: dict[str, list[int]]) -> list[str]:
    return [name for name in want if [int(x) for x in np.asarray(got[name])] != want[name]]


# ---- semantics: hand-written tricky files against Icarus --------------------------------------
@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.v")))
@pytest.mark.parametrize("lowered", [False, True])
def test_matches_icarus(name: str, lowered: bool, request: pytest.FixtureRequest) -> None:
    for mark in needs_icarus:
        request.applymarker(mark)
    path = DATA / f"{name}.v"
    module = load_verilog(str(path), {})
    verify(module)
    graph = module.top_graph
    ins, outs = ports_of(graph)
    vectors = _random_vectors(graph, 600, seed=7)
    want = simulate([path], graph.name, ins, outs, vectors)
    if lowered:
        LowerWordPass().apply(PassContext(), module)
        verify(module)
        LogicView.from_graph(module.top_graph)
    assert _same(evaluate(module.top_graph, vectors), want) == []


def test_hand_written_files_use_word_ops_where_arithmetic_is() -> None:
    graph = load_verilog(str(DATA / "sizing.v")).top_graph
    names = {op.name for op in graph.ops}
    assert {"word.add", "word.mul", "word.cmp", "word.shr"} <= names
    gates = load_verilog(str(DATA / "gates.v")).top_graph
    assert all(op.dialect in ("logic", "hw") for op in gates.ops)


# ---- the corpora ------------------------------------------------------------------------------
FAST = [
    "iscas85/verilog_circuitgraph/c17.v", "iscas85/verilog_original/c17.v",
    "iscas85/verilog_circuitgraph/c6288.v", "iscas85/verilog_original/c880.v",
    "epfl/arithmetic/adder.v", "evoapprox/lite_master/8x8_signed/mul8s_1KR3.v",
    "evoapprox/v2022/8x8_signed/mul8s_1KVQ.v", "evoapprox/v2022/8x8_unsigned/mul8u_1JJQ.v",
    "evoapprox/lite_master/8_unsigned/add8u_006.v", "evoapprox/lite_master/16_unsigned/add16u_02E.v",
]


@pytest.mark.parametrize("rel", FAST)
def test_corpus_fast_slice(rel: str) -> None:
    view = _import_and_check(CORPORA / rel)
    assert view.n_gates > 0 and view.n_outputs > 0


@pytest.mark.slow
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_every_file_imports(path: Path) -> None:
    view = _import_and_check(path)
    assert view.n_outputs > 0  # some EvoApproxLib adders are pure wiring (no gates)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bar", "max", "sin", "square"])
def test_epfl_circuits_match_icarus(name: str, request: pytest.FixtureRequest) -> None:
    for mark in needs_icarus:
        request.applymarker(mark)
    path = CORPORA / "epfl" / "arithmetic" / f"{name}.v"
    graph = load_verilog(str(path)).top_graph
    ins, outs = ports_of(graph)
    vectors = _random_vectors(graph, 300, seed=13)
    assert _same(evaluate(graph, vectors), simulate([path], graph.name, ins, outs, vectors)) == []


def test_iscas_gate_counts_match_the_file_headers() -> None:
    """Gate primitives map one to one onto gates (buffers are wiring in the view)."""
    for name in ("c17", "c432", "c880", "c6288"):
        path = CORPORA / "iscas85" / "verilog_original" / f"{name}.v"
        text = path.read_text()
        total = int(re.search(r"NtotalGates (\d+)", text).group(1))
        buffers = sum(int(n) for n in re.findall(r"BUFF\d* (\d+)", text))
        assert _import_and_check(path).n_gates == total - buffers, name


def test_names_and_escaped_identifiers_are_kept() -> None:
    graph = load_verilog(str(CORPORA / "iscas85" / "verilog_original" / "c17.v")).top_graph
    assert [v.name for v in graph.inputs] == ["N1", "N2", "N3", "N6", "N7"]
    assert list(graph.output_names) == ["N22", "N23"]
    assert {"N10", "N11", "N16", "N19"} <= {op.result.name for op in graph.ops if op.results}
    path = str(CORPORA / "epfl" / "arithmetic" / "adder.v")
    bits = load_verilog(path).top_graph
    assert bits.inputs[0].name == "a[0]" and bits.inputs[0].type.width == 1
    assert len(bits.inputs) == 256 and bits.output_names[-1] == "cOut"
    grouped = load_verilog(path, {"group_ports": True}).top_graph
    assert [(v.name, v.type.width) for v in grouped.inputs] == [("a", 128), ("b", 128)]
    assert [(n, v.type.width) for n, v in zip(grouped.output_names, grouped.outputs)] == [
        ("f", 128), ("cOut", 1)]


def test_epfl_adder_adds() -> None:
    graph = load_verilog(str(CORPORA / "epfl" / "arithmetic" / "adder.v"), {"group_ports": True}).top_graph
    rng = np.random.default_rng(3)
    a = [int.from_bytes(rng.bytes(16), "little") for _ in range(20)] + [2**128 - 1]
    b = [int.from_bytes(rng.bytes(16), "little") for _ in range(20)] + [1]
    out = evaluate(graph, {"a": np.array(a, dtype=object), "b": np.array(b, dtype=object)})
    for k in range(len(a)):
        assert int(out["f"][k]) + (int(out["cOut"][k]) << 128) == a[k] + b[k]


def test_exact_evoapprox_multiplier_is_a_times_b() -> None:
    graph = load_verilog(str(EVO / "v2022" / "8x8_unsigned" / "mul8u_1JJQ.v")).top_graph
    a = np.repeat(np.arange(256, dtype=np.uint64), 256)
    b = np.tile(np.arange(256, dtype=np.uint64), 256)
    np.testing.assert_array_equal(evaluate(graph, {"A": a, "B": b})["O"], a * b)


def _header_metrics(path: Path) -> dict[str, str]:
    """The published metrics in the file header, as printed (e.g. {"MAE%": "0.056"})."""
    text = path.read_text()
    return {k: v for k, v in re.findall(r"// (MAE|WCE|EP%) = ([0-9.]+)", text)}


def _agrees(measured: float, printed: str, units: float) -> bool:
    """Whether `measured` is within `units` of the last printed digit of `printed`.

    The library prints MAE cut to two significant digits (a true 1.25 prints as 1.2), so MAE
    gets one unit; EP% is rounded, so it gets half a unit.
    """
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return abs(measured - float(printed)) <= units * 10 ** -decimals + 1e-9


def _check_multiplier(path: Path, icarus: bool) -> None:
    graph = load_verilog(str(path)).top_graph
    a = np.repeat(np.arange(256, dtype=np.uint64), 256)
    b = np.tile(np.arange(256, dtype=np.uint64), 256)
    port = graph.output_names[0]  # "O" in most files, "Z" in a few
    out = np.asarray(evaluate(graph, {"A": a, "B": b})[port]).astype(np.int64)
    if icarus:
        ins, outs = ports_of(graph)
        want = simulate([path], graph.name, ins, outs, {"A": a, "B": b})[port]
        np.testing.assert_array_equal(out, np.asarray(want, dtype=np.int64))
    x, y = a.astype(np.int64), b.astype(np.int64)
    if path.name.startswith("mul8s"):
        x, y = (x ^ 128) - 128, (y ^ 128) - 128
        out = (out ^ 0x8000) - 0x8000
    err = np.abs(out - x * y)
    published = _header_metrics(path)
    assert err.max() == float(published["WCE"])
    assert _agrees(err.mean(), published["MAE"], 1.0), (err.mean(), published)
    assert _agrees((err != 0).mean() * 100, published["EP%"], 0.5), ((err != 0).mean(), published)


SAMPLE = ["lite_master/8x8_unsigned/mul8u_125K.v", "v2022/8x8_signed/mul8s_1KVQ.v",
          "lite_master/8x8_signed/mul8s_1KR3.v"]


@pytest.mark.parametrize("rel", SAMPLE)
def test_evoapprox_multipliers_match_icarus_and_headers(rel: str, request: pytest.FixtureRequest) -> None:
    for mark in needs_icarus:
        request.applymarker(mark)
    _check_multiplier(EVO / rel, icarus=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in _evo_files(False) if p.name.startswith("mul8")],
                         ids=lambda p: p.name)
def test_every_evoapprox_multiplier_reproduces_its_header(path: Path) -> None:
    _check_multiplier(path, icarus=HAVE_IVERILOG and hash(path.name) % 4 == 0)


def test_pdk45_files_are_listed() -> None:
    pdk = _evo_files(True)
    assert len(pdk) == 40
    assert all(p.with_name(p.name.replace("_pdk45", "")).exists() for p in pdk)


@pytest.mark.parametrize("path", _evo_files(True)[:3] + _evo_files(True)[-2:], ids=lambda p: p.name)
def test_pdk45_files_fail_with_one_located_line(path: Path) -> None:
    _assert_not_self_contained(path)


@pytest.mark.slow
@pytest.mark.parametrize("path", _evo_files(True), ids=lambda p: p.name)
def test_every_pdk45_file_fails_with_one_located_line(path: Path) -> None:
    _assert_not_self_contained(path)


def _assert_not_self_contained(path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_verilog(str(path))
    err = info.value
    line = str(err)
    assert "\n" not in line and "not self-contained" in line
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: error: ", line)
    assert err.render().count("\n") == 2  # headline, source line, caret


# ---- errors -----------------------------------------------------------------------------------
BAD = {
    "syntax": ("module t(a, y); input a; output y; assign y = a +; endmodule", ParseError, 1, 50, "unexpected"),
    "sequential": ("module t(c, d, q);\n input c, d; output reg q;\n always @(posedge c) q = d;\nendmodule",
                   InputError, 3, 22, "block-local temporaries"),
    "latch": ("module t(e, d, q);\n input e, d; output reg q;\n always @* if (e) q = d;\nendmodule",
              InputError, 3, 2, "latch"),
    "division": ("module t(a, b, y);\n input [3:0] a, b; output [3:0] y;\n assign y = a / b;\nendmodule",
                 InputError, 3, 15, "--frontend yosys"),
    "function": ("module t(a, y);\n input a; output y;\n function f; input x; f = x; endfunction\nendmodule",
                 ParseError, 3, 2, "--frontend yosys"),
    "drivers": ("module t(a, b, y);\n input a, b; output y;\n assign y = a;\n assign y = b;\nendmodule",
                InputError, 4, 9, "more than one driver"),
    "generate_drivers": ("module t(a, y);\n input [1:0] a; output y;\n genvar i;\n"
                         " for (i = 0; i < 2; i = i + 1) begin : g assign y = a[i]; end\nendmodule",
                         InputError, 4, 49, "more than one driver"),
    "undriven": ("module t(a, y);\n input a; output y; wire n;\n assign y = a & n;\nendmodule",
                 InputError, 3, 17, "never driven"),
    "loop": ("module t(a, y);\n input a; output y; wire n;\n assign n = ~(n & a);\n assign y = n;\nendmodule",
             InputError, None, None, "loop"),
    "nonblocking": ("module t(a, y);\n input a; output reg y;\n always @* y <= a;\nendmodule",
                    InputError, 3, 14, "non-blocking"),
    "memory": ("module t(a, y);\n input a; output y;\n reg [3:0] m [0:3];\n assign y = a;\nendmodule",
               InputError, 3, 12, "memories"),
    "directive": ("`define W 4\nmodule t; endmodule", ParseError, 1, 1, "--frontend yosys"),
    "undeclared": ("module t(a, y);\n input a; output y;\n assign y = a & q;\nendmodule",
                   InputError, 3, 17, "undeclared"),
    "inout": ("module t(a);\n inout a;\nendmodule", InputError, 1, 1, "inout"),
    "range": ("module t(a, y);\n input [3:0] a; output y;\n assign y = a[4];\nendmodule",
              InputError, 3, 15, "outside"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_errors_are_located_one_liners(case: str) -> None:
    source, kind, line, col, words = BAD[case]
    with pytest.raises(kind) as info:
        read_verilog(source, "bad.v")
    err = info.value
    text = str(err)
    assert "\n" not in text and words in text, text
    if line is not None:
        assert (err.loc.line, err.loc.col) == (line, col), text
        assert text.startswith(f"bad.v:{line}:{col}: error: ")


def test_verbatim_repeated_statements_are_dropped() -> None:
    source = ("module h(input a, input b, output s); assign s = a ^ b; endmodule\n"
              "module t(input a, input b, output y, output z);\n"
              "  assign y = a & b;\n  assign y = a & b;\n"
              "  h u1 (.a(a), .b(b), .s(z));\n  h u1 (.a(a), .b(b), .s(z));\nendmodule\n")
    graph = read_verilog(source).top_graph
    assert sorted(op.name for op in graph.ops if op.dialect == "logic") == ["logic.and", "logic.xor"]
    with pytest.raises(InputError, match="more than one driver"):
        read_verilog(source.replace("  assign y = a & b;\n  assign y = a & b;",
                                    "  assign y = a & b;\n  assign y = a | b;"))


def test_top_selection_and_options(tmp_path: Path) -> None:
    source = ("module leaf(input a, output y); assign y = ~a; endmodule\n"
              "module other(input a, output y); assign y = a; endmodule\n"
              "module wrap(input a, output y); leaf l(.a(a), .y(y)); endmodule\n")
    assert read_verilog(source).top == "wrap"  # the last module no other one instantiates
    assert read_verilog(source, options={"top": "other"}).top == "other"
    with pytest.raises(InputError):
        read_verilog(source, options={"top": "nope"})
    path = tmp_path / "x.v"
    path.write_text(source)
    assert get_loader("v")(str(path), {"top": "leaf"}).top == "leaf"
    with pytest.raises(InputError):
        load_verilog(str(tmp_path / "missing.v"))


def test_any_error_is_an_axc_error_with_location() -> None:
    for source, *_ in BAD.values():
        with pytest.raises(AxcError) as info:
            read_verilog(source, "bad.v")
        assert info.value.loc is not None
