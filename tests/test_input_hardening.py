"""Hostile and extreme inputs through the `axc-opt` command line: each one either works or fails
with exit 1 and one located line (exit 2 for a bad option), never an "internal error"."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend.blif import parse_blif
from axc.ir.views import LogicView
from axc.runtime.blif_module import MAX_NAMES_INPUTS
from axc.runtime.blif_text import read_blif_models
from axc.runtime.cost.netlist_io import view_to_blif
from axc.runtime.interp import evaluate
from onnx import TensorProto, helper, numpy_helper

from axc.cli import main


def _wide_blif(n_inputs: int, seed: int = 3) -> str:
    """A model with an ON-set and an OFF-set cover over `n_inputs` inputs each."""
    r = random.Random(seed)
    ins = [f"i{k}" for k in range(n_inputs)]
    lines = [".model wide", ".inputs " + " ".join(ins), ".outputs y z", ".names " + " ".join(ins) + " y"]
    lines += ["".join(r.choice("01--") for _ in ins) + " 1" for _ in range(6)]
    lines += ["1" * n_inputs + " 1", ".names " + " ".join(ins) + " z"]
    lines += ["".join(r.choice("01-") for _ in ins) + " 0" for _ in range(4)]
    return "\n".join([*lines, ".end", ""])


def test_wide_covers_reach_yosys_as_narrow_covers_of_the_same_function() -> None:
    graph = parse_blif(_wide_blif(20), "wide.blif").top_graph
    text = view_to_blif(LogicView.from_graph(graph))
    widest = max(len(s.words) - 1 for m in read_blif_models(text) for s in m.statements if s.keyword == ".names")
    assert widest <= MAX_NAMES_INPUTS
    back = parse_blif(text, "mapped.blif").top_graph
    rng = np.random.default_rng(0)
    vectors = {f"i{k}": rng.integers(0, 2, 4096, dtype=np.uint64) for k in range(20)}
    vectors["i0"][:64] = 1  # make the all-ones cube true on some vectors
    for k in range(1, 20):
        vectors[f"i{k}"][:64] = 1
    want, got = evaluate(graph, vectors), evaluate(back, vectors)
    for port in ("y", "z"):
        assert np.array_equal(want[port], got[port])


def test_stats_of_a_wide_cover(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wide = tmp_path / "wide.blif"
    wide.write_text(_wide_blif(17))
    assert main([str(wide), "-p", "stats", "-q"]) == 0, capsys.readouterr().err


@pytest.fixture
def adder_ir(tmp_path: Path, repo_root: Path) -> Path:
    path = tmp_path / "adder.ir"
    assert main([str(repo_root / "examples" / "adder.v"), "-q", "-o", str(path)]) == 0
    return path


def _fails_located(argv: list[str], path: Path, capsys: pytest.CaptureFixture[str], status: int = 1) -> str:
    """Run the CLI; assert exit `status`, a headline located in `path`, no internal error, and
    return the headline."""
    assert main(argv) == status
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    headline = err.splitlines()[0]
    assert headline.startswith(f"{path}:"), headline
    return headline


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("[" * 5000 + "]" * 5000, "nest more than 64 lists or dictionaries deep"),
        ("[" * 80 + "]" * 80, "nest more than 64 lists or dictionaries deep"),
        ("{a = " * 3000 + "1" + "}" * 3000, "nest more than 64 lists or dictionaries deep"),
        ("7" * 5000, "decimal integer of 5000 digits"),
        ("1" + "0" * 30, None),
        ("0x" + "f" * 5000, None),
    ],
)
def test_ir_attributes_deep_or_huge(adder_ir: Path, attribute: str, message: str | None,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = adder_ir.with_name("bad.ir")
    bad.write_text(adder_ir.read_text().replace("attributes {", f"attributes {{deep = {attribute}, ", 1))
    out = bad.with_name("out.ir")
    if message is None:
        assert main([str(bad), "-q", "-o", str(out)]) == 0
        assert main([str(out), "-q", "-o", str(bad.with_name("again.ir"))]) == 0
        assert bad.with_name("again.ir").read_text() == out.read_text()
        return
    assert message in _fails_located([str(bad), "-q", "-o", str(out)], bad, capsys)
    assert not out.exists()


def test_ir_quoted_name_with_a_raw_newline(adder_ir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = adder_ir.with_name("bad.ir")
    bad.write_text(adder_ir.read_text().replace("%a", '%"a\nb"', 1))
    headline = _fails_located([str(bad), "-q"], bad, capsys)
    assert headline.startswith(f"{bad}:2:") and "raw control character" in headline


def test_wide_verilog_constant_prints_and_reads_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "lit.v"
    source.write_text("module t(input [3:0] a, output [3:0] y);\n  assign y = a + 'h" + "f" * 5000 + ";\nendmodule\n")
    first, second = tmp_path / "a.ir", tmp_path / "b.ir"
    assert main([str(source), "-q", "-o", str(first)]) == 0
    assert "= 0x" + "f" * 4000 in first.read_text()
    assert main([str(first), "-q", "-o", str(second)]) == 0
    assert first.read_text().replace("a.ir", "") == second.read_text().replace("a.ir", "")


VERILOG_LIMITS = [
    ("assign y = a + " + "1" * 100000 + ";", None),
    ("assign y = a + 'h" + "f" * 300000 + ";", "is wider than the limit of 1048576 bits"),
    ("assign y = a + " + "9" * 5000 + "'h1;", "is wider than the limit of 1048576 bits"),
    ("assign y = {1000000000{a[0]}} >> 3;", "expression is 1000000000 bits wide"),
    ("assign y = ^a[100000000:0];", "expression is 100000001 bits wide"),
    ("wire [2000000:0] w;", "'w' is 2000001 bits wide: above the limit of 1048576 bits"),
    ("".join(f"wire [999999:0] w{k};" for k in range(40)), "declares more than 16777216 bits of nets"),
    ("assign y = " + "~(" * 20000 + "a" + ")" * 20000 + ";", "nested too deeply"),
]


@pytest.mark.parametrize(("body", "message"), VERILOG_LIMITS, ids=range(len(VERILOG_LIMITS)))
def test_verilog_size_limits(tmp_path: Path, body: str, message: str | None,
                             capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "big.v"
    source.write_text(f"module t(input [3:0] a, output [3:0] y);\n  {body}\nendmodule\n")
    out = tmp_path / "out.ir"
    if message is None:
        assert main([str(source), "-q", "-o", str(out)]) == 0
        return
    headline = _fails_located([str(source), "-q", "-o", str(out)], source, capsys)
    assert headline.startswith(f"{source}:2:") and message in headline
    assert not out.exists()


GENLIB_CELLS = [
    ("GATE DEEP 1 Y=" + "(" * 5000 + "!A" + ")" * 5000 + ";", "parentheses nested more than 64 deep"),
    ("GATE DEEP 1 Y=" + "!" * 5000 + "A;", "the function of cell 'DEEP' is nested too deeply"),
    ("GATE NEG -12 Y=!A;", "cell 'NEG' has area -12.0: areas must be 0 or more"),
]


@pytest.mark.parametrize(("cell", "message"), GENLIB_CELLS, ids=["parentheses", "negations", "negative-area"])
def test_bad_genlib_is_located(tmp_path: Path, repo_root: Path, cell: str, message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    data = repo_root / "tests" / "data" / "blif"
    genlib = tmp_path / "bad.genlib"
    genlib.write_text((data / "small.genlib").read_text() + cell + "\nPIN * INV 1 999 1 0 1 0\n")
    argv = [str(data / "mapped.blif"), "--genlib", str(genlib), "-p", "stats", "-q"]
    headline = _fails_located(argv, genlib, capsys)
    assert message in headline


@pytest.mark.parametrize("text", ["", "# only a comment\n", "INPUT(a)\n"])
def test_bench_without_outputs(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "empty.bench"
    bench.write_text(text)
    assert "no OUTPUT(...) in the .bench file" in _fails_located([str(bench), "-q"], bench, capsys)


@pytest.mark.parametrize("bad_line", ["y = AND(a,\n", "y = \n", "y = AND(a\x01)\n"])
def test_bench_syntax_errors_are_one_line(tmp_path: Path, bad_line: str, capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "bad.bench"
    bench.write_text("INPUT(a)\nOUTPUT(y)\n" + bad_line)
    headline = _fails_located([str(bench), "-q"], bench, capsys)
    assert headline.startswith(f"{bench}:3:")
    assert headline.endswith(("unexpected end of line", "unexpected character '\\x01'")), headline


def _onnx_model(case: str) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    outputs, inits, opset = [y], [], 13
    if case == "duplicate-output":
        outputs = [y, y]
    elif case == "opset":
        opset = 100000
    elif case == "kernel":
        nodes = [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[10**6, 10**6])]
    else:
        w = numpy_helper.from_array(np.ones((8, 8), np.float32), "w")
        w.data_location = TensorProto.EXTERNAL
        w.ClearField("raw_data")
        entry = w.external_data.add()
        entry.key, entry.value = "location", "../outside.bin" if case == "external-outside" else "missing.bin"
        nodes, inits = [helper.make_node("MatMul", ["x", "w"], ["y"])], [w]
    graph = helper.make_graph(nodes, "g", [x], outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize(("case", "message"), [
    ("duplicate-output", "graph output 'y' is listed twice"),
    ("opset", "opset 100000 is newer than the newest this onnx package knows"),
    ("kernel", "node 'MaxPool': output 'y' gets bad tensor dimension"),
    ("external-outside", "points outside the directory"),
    ("external-missing", "not a valid ONNX model"),
])
def test_bad_onnx_is_located(tmp_path: Path, case: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(_onnx_model(case).SerializeToString())
    out = tmp_path / "out.ir"
    assert message in _fails_located([str(path), "-q", "-o", str(out)], path, capsys)
    assert not out.exists()


@pytest.mark.parametrize("option", [
    ["--err", "5"], ["--err", "-1"], ["--err", "nan"], ["--jobs", "-3"], ["--jobs", "0"], ["--seed", "-1"],
    ["--calib", "0"], ["--eval", "0"], ["--accuracy-loss", "1"], ["-o", "."],
])
def test_option_out_of_range_is_a_usage_error(adder_ir: Path, option: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(adder_ir), "-p", "stats", "-q", *option]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert (option[0] + " must be" if option[0] != "-o" else "-o names a folder") in err


def test_overwriting_an_ir_file_removes_its_stale_sidecar(tmp_path: Path, adder_ir: Path) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])
    w = numpy_helper.from_array(np.ones((64, 64), np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g", [x], [y], [w])
    network = tmp_path / "mm.onnx"
    network.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    target = tmp_path / "z.ir"
    assert main([str(network), "-q", "-o", str(target)]) == 0
    assert target.with_name("z.ir.npz").is_file()
    assert main([str(adder_ir), "-q", "-o", str(target)]) == 0
    assert not target.with_name("z.ir.npz").exists()
    assert main([str(target), "-q", "-o", str(tmp_path / "again.ir")]) == 0
