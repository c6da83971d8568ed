"""Golden IR tests: for every pass, an input `.ir`, a pipeline and the expected `.ir`.

Each case of `CASES` reads `tests/golden/<input>.ir`, runs its pipeline and compares the printed
module with `tests/golden/<case>.expected.ir`, line by line, in the manner of FileCheck. The
inputs are small circuits and networks built by the functions below; `AXC_UPDATE_GOLDEN=1`
writes missing inputs and rewrites the expected files after a deliberate change (review the
diff). Passes whose result is floating-point training (`retrain`) are compared on structure: ops,
types and attributes, with the values of dense tensors replaced by their shapes.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend.onnx_import import import_model
from axc.frontend.verilog import read_verilog
from axc.ir import Module
from axc.ir.parser import parse_module
from axc.ir.printer import print_module
from axc.passes.infra.registry import all_pass_names
from onnx import TensorProto, helper, numpy_helper

from axc.api import PassManager

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("AXC_UPDATE_GOLDEN", "") not in ("", "0")


def _adder4() -> Module:
    return read_verilog("module add4(input [3:0] a, input [3:0] b, output [4:0] s);\n"
                         "  assign s = a + b;\nendmodule\n", "add4.v")


def _mul3() -> Module:
    return read_verilog("module mul3(input [2:0] a, input [2:0] b, output [5:0] p);\n"
                         "  assign p = a * b;\nendmodule\n", "mul3.v")


def _gates() -> Module:
    return read_verilog(
        "module gates(input a, input b, input c, output x, output y, output z);\n"
        "  wire t1 = a & b;\n  wire t2 = a & b;\n  wire unused = b | c;\n"
        "  assign x = t1 ^ c;\n  assign y = t2 | c;\n  assign z = 1'b1 & (c | 1'b0);\nendmodule\n",
        "gates.v")


def _initializer(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(array, name)


def _folding_net() -> Module:
    """Conv -> Add(bias: a Mul of two constants) -> BatchNormalization -> Relu."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=(2, 1, 3, 3)).astype(np.float32).round(2)
    inits = [
        _initializer("w", w),
        _initializer("half", np.full((1, 2, 1, 1), 0.5, np.float32)),
        _initializer("b2", np.array([0.2, -0.4], np.float32).reshape(1, 2, 1, 1)),
        _initializer("gamma", np.array([1.5, 0.5], np.float32)),
        _initializer("beta", np.array([0.1, -0.1], np.float32)),
        _initializer("mean", np.array([0.05, 0.0], np.float32)),
        _initializer("var", np.array([1.0, 4.0], np.float32)),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["half", "b2"], ["bias"], name="bias_mul"),
        helper.make_node("Add", ["c", "bias"], ["cb"], name="bias_add"),
        helper.make_node("BatchNormalization", ["cb", "gamma", "beta", "mean", "var"], ["bn"], name="bn"),
        helper.make_node("Relu", ["bn"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(nodes, "fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])], inits)
    return import_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "fold.onnx")


def _small_cnn() -> Module:
    """Conv(3x3, 2) -> Relu -> Conv(3x3, 2) -> Relu -> Flatten -> Gemm(3) on a 1x1x6x6 input."""
    rng = np.random.default_rng(2)
    inits = [
        _initializer("w1", rng.normal(size=(2, 1, 3, 3)).astype(np.float32).round(2)),
        _initializer("b1", np.array([0.1, -0.05], np.float32)),
        _initializer("w2", rng.normal(size=(2, 2, 3, 3)).astype(np.float32).round(2)),
        _initializer("b2", np.array([0.0, 0.2], np.float32)),
        _initializer("w3", rng.normal(size=(3, 8)).astype(np.float32).round(2)),
        _initializer("b3", np.array([0.1, 0.0, -0.1], np.float32)),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], inits)
    return import_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "cnn.onnx")


INPUTS: dict[str, Callable[[], Module]] = {
    "add4": _adder4, "mul3": _mul3, "gates": _gates, "fold_net": _folding_net, "cnn": _small_cnn,
}

CASES: list[tuple[str, str, str]] = [
    # (case, input, pipeline); {data} is the calibration set written by the `data` fixture
    ("lower-word", "add4", "lower-word"),
    ("dce", "gates", "dce"),
    ("cse", "gates", "cse"),
    ("check-equiv", "gates", "cse,dce,check-equiv{method=sim}"),
    ("stats", "add4", "lower-word,stats"),
    ("print-ir", "gates", "print-ir"),
    ("truncate", "mul3", "truncate{bits=1}"),
    ("bmf", "mul3", "bmf{err=0.05 refine=false}"),
    ("prune", "mul3", "prune{err=0.05}"),
    ("resynth", "add4", "resynth{effort=0}"),  # &deepsyn is time-bounded: not reproducible
    ("constant-fold", "fold_net", "constant-fold"),
    ("fold-conv-bias", "fold_net", "constant-fold,fold-conv-bias"),
    ("fold-batchnorm", "fold_net", "fold-batchnorm"),
    ("quantize", "cnn", "quantize{data={data} calib=16}"),
    ("approx-mul", "cnn", "quantize{data={data} calib=16},approx-mul{multiplier='trunc{l=2,m=2}'}"),
    ("htp", "cnn", "quantize{data={data} calib=16},htp{multiplier='trunc{l=2,m=2}'}"),
    ("lower-approx", "cnn", "quantize{data={data} calib=16},approx-mul{multiplier='trunc{l=2,m=2}'},lower-approx"),
    ("snapea", "cnn", "snapea{data={data} calib=16}"),
    ("retrain", "cnn", "quantize{data={data} calib=16},retrain{data={data} samples=16 eval_samples=8 batch=8}"),
]
STRUCTURE_ONLY = {"retrain"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """32 non-negative 6x6 images with labels (the calibration and training set of the cases)."""
    rng = np.random.default_rng(3)
    path = tmp_path_factory.mktemp("golden") / "data.npz"
    np.savez(path, x=rng.random((32, 1, 6, 6), dtype=np.float32), y=rng.integers(0, 3, 32))
    return path


def _input(name: str) -> Module:
    path = GOLDEN / f"{name}.ir"
    if not path.exists():
        if not UPDATE:
            pytest.fail(f"missing golden input {path.name} (AXC_UPDATE_GOLDEN=1 writes it)")
        path.write_text(print_module(INPUTS[name]()))
    return parse_module(path.read_text(), str(path))


def _structure(text: str) -> str:
    return re.sub(r"dense<\[[^>]*\]>", "dense<…>", text)


def test_every_pass_has_a_golden_case() -> None:
    assert {case for case, _, _ in CASES} == set(all_pass_names())


@pytest.mark.parametrize(("case", "source", "pipeline"), CASES, ids=[c[0] for c in CASES])
def test_golden(case: str, source: str, pipeline: str, data: Path) -> None:
    if case in STRUCTURE_ONLY:
        pytest.importorskip("torch")
    module = _input(source)
    manager = PassManager.parse(pipeline.replace("{data}", str(data)), seed=0)
    result = manager.run(module, manager.make_context(quiet=True))
    got = print_module(result.module)
    expected_path = GOLDEN / f"{case}.expected.ir"
    if UPDATE:
        expected_path.write_text(got)
    expected = expected_path.read_text()
    if case in STRUCTURE_ONLY:
        got, expected = _structure(got), _structure(expected)
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), got.splitlines(),
                                          "expected", "got", lineterm="", n=2))
    assert got == expected, f"{case}: the pass output changed\n{diff}"
