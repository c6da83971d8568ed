"""The input size limits (`axc.frontend.limits`) in every frontend, through the command line.

For each limit of each frontend, a tiny file exactly at a lowered limit (`--max-...`) loads, and
the same file one step over it is refused: exit 1, one located headline naming the flag, no
output file. Hierarchies and shapes far over the default limits are refused in well under a
second, before anything of their size is built. Bad limit values are usage errors (exit 2).
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from axc.frontend import limits
from axc.ir import InputError
from axc.runtime.blif_text import read_blif_models
from onnx import TensorProto, helper, numpy_helper

from axc.cli import main


def _loads(path: Path, *flags: str) -> None:
    out = path.with_name(path.stem + "-out.ir")
    assert main([str(path), "-q", "-o", str(out), *flags]) == 0
    assert out.is_file()


def _refused(path: Path, capsys: pytest.CaptureFixture[str], where: str, flag: str, *flags: str) -> str:
    """Run over the limit: exit 1, no output, a headline at `where` (file:line:col) naming `flag`."""
    out = path.with_name(path.stem + "-refused.ir")
    capsys.readouterr()
    assert main([str(path), "-q", "-o", str(out), *flags]) == 1
    assert not out.exists()
    headline = capsys.readouterr().err.splitlines()[0]
    assert headline.startswith(f"{path}:{where}: error: "), headline
    assert flag in headline, headline
    return headline


def _pair(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str | bytes,
          flag: str, at: int, where: str) -> None:
    """`text` loads with `flag at` and is refused at `where` with `flag at-1`."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    _loads(path, flag, str(at))
    _refused(path, capsys, where, flag, flag, str(at - 1))


# -- BLIF ------------------------------------------------------------------------------------

def _blif_chain(levels: int) -> str:
    """A top model over `levels` nested `.subckt` instances, one buffer at the bottom."""
    text = ".model top\n.inputs a\n.outputs y\n.subckt m1 i=a o=y\n.end\n"
    for k in range(1, levels + 1):
        body = f".subckt m{k + 1} i=i o=o\n" if k < levels else ".names i o\n1 1\n"
        text += f".model m{k}\n.inputs i\n.outputs o\n{body}.end\n"
    return text


def _blif_doubling(levels: int) -> str:
    """Every model instantiates the next one twice: 2^(levels-1) cells once flattened."""
    text = ".model top\n.inputs a\n.outputs y\n.subckt m1 i=a o=y\n.end\n"
    for k in range(1, levels + 1):
        body = (f".subckt m{k + 1} i=i o=t\n.subckt m{k + 1} i=t o=o\n" if k < levels
                else ".names i o\n0 1\n")
        text += f".model m{k}\n.inputs i\n.outputs o\n{body}.end\n"
    return text


def test_blif_bus_width(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bits = " ".join(f"a[{i}]" for i in range(33))
    text = f".model m\n.inputs {bits}\n.outputs y\n.names a[0] y\n1 1\n.end\n"
    _pair(tmp_path, capsys, "bus.blif", text, "--max-bus-width", 33, "2:9")


def test_blif_total_nets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1\n.end\n"
    _pair(tmp_path, capsys, "nets.blif", text, "--max-total-bits", 3, "4:1")


def test_blif_cover_rows_times_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1\n00 1\n01 1\n.end\n"
    _pair(tmp_path, capsys, "cover.blif", text, "--max-total-bits", 6, "4:1")
    assert "3 rows x 2 inputs" in _refused(tmp_path / "cover.blif", capsys, "4:1", "--max-total-bits",
                                           "--max-total-bits", "5")


def test_blif_subckt_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pair(tmp_path, capsys, "chain.blif", _blif_chain(3), "--max-depth", 3, "14:9")


def test_blif_flattened_nets_are_counted_before_flattening(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    _pair(tmp_path, capsys, "twice.blif", _blif_doubling(3), "--max-total-bits", 5, "4:9")
    huge = tmp_path / "huge.blif"
    huge.write_text(_blif_doubling(40))  # 2^39 cells once flattened
    started = time.perf_counter()
    _refused(huge, capsys, "4:9", "--max-total-bits")
    assert time.perf_counter() - started < 2


def test_blif_continued_statement_is_read_in_linear_time(tmp_path: Path) -> None:
    names = " \\\n".join(f"a{i}" for i in range(200_000))
    started = time.perf_counter()
    models = read_blif_models(f".model m\n.inputs {names}\n.outputs y\n.names a0 y\n1 1\n.end\n")
    assert len(models[0].statements[0].words) == 200_000
    assert time.perf_counter() - started < 5  # was quadratic: minutes


# -- .bench ----------------------------------------------------------------------------------

def test_bench_total_nets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "INPUT(a)\nINPUT(b)\nOUTPUT(y)\ny = AND(a, b)\n"
    _pair(tmp_path, capsys, "nets.bench", text, "--max-total-bits", 3, "4:1")


def test_bench_fan_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = [f"x{i}" for i in range(33)]
    text = "".join(f"INPUT({n})\n" for n in names) + f"OUTPUT(y)\ny = AND({', '.join(names)})\n"
    _pair(tmp_path, capsys, "fanin.bench", text, "--max-bus-width", 33, "35:5")


def test_bench_bus_width(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "".join(f"INPUT(a[{i}])\n" for i in range(33)) + "OUTPUT(y)\ny = NOT(a[0])\n"
    _pair(tmp_path, capsys, "bus.bench", text, "--max-bus-width", 33, "1:7")


# -- ONNX ------------------------------------------------------------------------------------

def _onnx(nodes: list, inputs: list, outputs: list, inits: list | None = None) -> bytes:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits or [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def _value(name: str, shape: list | None, elem: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def _if_model(depth: int) -> bytes:
    """An If whose branches nest `depth` levels of subgraphs in all."""
    pair = None
    for k in range(depth):
        made = []
        for side in "te":
            out = f"{side}{k}_o"
            node = (helper.make_node("Relu", ["x"], [out]) if pair is None else
                    helper.make_node("If", ["c"], [out], then_branch=pair[0], else_branch=pair[1]))
            made.append(helper.make_graph([node], f"{side}{k}", [], [_value(out, [1, 4])]))
        pair = made
    top = helper.make_node("If", ["c"], ["y"], name="top_if", then_branch=pair[0], else_branch=pair[1])
    return _onnx([top], [_value("x", [1, 4]), _value("c", [], TensorProto.BOOL)], [_value("y", [1, 4])])


def test_onnx_initializer_elements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = numpy_helper.from_array(np.ones(4, np.float32), "w")
    text = _onnx([helper.make_node("Add", ["x", "w"], ["y"])], [_value("x", [4])], [_value("y", [4])], [w])
    _pair(tmp_path, capsys, "init.onnx", text, "--max-tensor-elements", 4, "1:1")


def test_onnx_inferred_shape_elements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repeats = numpy_helper.from_array(np.array([1, 2], np.int64), "r")
    tile = helper.make_node("Tile", ["x", "r"], ["y"], name="tile")
    text = _onnx([tile], [_value("x", [1, 4])], [_value("y", None)], [repeats])
    _pair(tmp_path, capsys, "tile.onnx", text, "--max-tensor-elements", 8, "1:1")
    assert "node 'tile'" in _refused(tmp_path / "tile.onnx", capsys, "1:1", "--max-tensor-elements",
                                     "--max-tensor-elements", "7")


def test_onnx_reshape_target_of_a_million_per_dimension(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = numpy_helper.from_array(np.array([10**6] * 3, np.int64), "s")
    node = helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")
    path = tmp_path / "reshape.onnx"
    path.write_bytes(_onnx([node], [_value("x", [1, 4])], [_value("y", None)], [target]))
    assert "node 'rs'" in _refused(path, capsys, "1:1", "--max-tensor-elements")


def test_onnx_declared_input_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "declared.onnx"
    path.write_bytes(_onnx([helper.make_node("Relu", ["x"], ["y"])], [_value("x", [10**6] * 3)], [_value("y", None)]))
    assert "value 'x'" in _refused(path, capsys, "1:1", "--max-tensor-elements")


def test_onnx_node_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = [helper.make_node("Relu", [a], [b], name=f"n{k}")
             for k, (a, b) in enumerate([("x", "h1"), ("h1", "h2"), ("h2", "y")])]
    text = _onnx(nodes, [_value("x", [4])], [_value("y", [4])])
    _pair(tmp_path, capsys, "nodes.onnx", text, "--max-nodes", 3, "1:1")


def test_onnx_subgraph_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pair(tmp_path, capsys, "if.onnx", _if_model(2), "--max-depth", 2, "1:1")


def test_onnx_external_data_is_sized_before_it_is_read(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    w = numpy_helper.from_array(np.zeros(4, np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="w.bin")
    path = tmp_path / "ext.onnx"
    path.write_bytes(_onnx([helper.make_node("Add", ["x", "w"], ["y"])], [_value("x", [4])], [_value("y", [4])], [w]))
    (tmp_path / "w.bin").write_bytes(np.ones(4, np.float32).tobytes())
    _loads(path)
    (tmp_path / "w.bin").write_bytes(np.ones(1000, np.float32).tobytes())
    assert "external data holds 4000 bytes" in _refused(path, capsys, "1:1", "initializer 'w'")


# -- IR text ---------------------------------------------------------------------------------

def test_ir_type_width(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "module {\n  hw.graph @t(%a: i33) -> (y: i33) {\n    output %a\n  }\n}\n"
    _pair(tmp_path, capsys, "wide.ir", text, "--max-bus-width", 33, "2:19")


def test_ir_far_too_wide_type_under_the_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.ir"
    path.write_text("module {\n  hw.graph @t(%a: i99999999999) -> (y: i1) {\n    output %a\n  }\n}\n")
    _refused(path, capsys, "2:19", "--max-bus-width")


def test_ir_tensor_type_elements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "module {\n  nn.graph @t(%a: tensor<2x3xf32>) -> (y: tensor<2x3xf32>) {\n    output %a\n  }\n}\n"
    _pair(tmp_path, capsys, "tensor.ir", text, "--max-tensor-elements", 6, "2:19")


def test_ir_op_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("module {\n  hw.graph @t(%a: i1) -> (y: i1) {\n    %b = logic.not %a : i1\n"
            "    %c = logic.not %b : i1\n    output %c\n  }\n}\n")
    _pair(tmp_path, capsys, "ops.ir", text, "--max-nodes", 2, "4:10")


def test_ir_attribute_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "module attributes {k = [[1]]} {\n  hw.graph @t(%a: i1) -> (y: i1) {\n    output %a\n  }\n}\n"
    _pair(tmp_path, capsys, "deep.ir", text, "--max-depth", 3, "1:19")


@pytest.fixture
def network_ir(tmp_path: Path) -> Path:
    """An `.ir` file whose 1000-element weight lies in its `.ir.npz` sidecar."""
    w = numpy_helper.from_array(np.ones(1000, np.float32), "w")
    source = tmp_path / "net.onnx"
    source.write_bytes(_onnx([helper.make_node("Add", ["x", "w"], ["y"])], [_value("x", [1000])],
                             [_value("y", [1000])], [w]))
    path = tmp_path / "net.ir"
    assert main([str(source), "-q", "-o", str(path)]) == 0
    assert path.with_name("net.ir.npz").is_file()
    return path


def test_ir_sidecar_tensor_elements(network_ir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _loads(network_ir, "--max-tensor-elements", "1000")
    _refused(network_ir, capsys, "2:19", "--max-tensor-elements", "--max-tensor-elements", "999")


def test_ir_sidecar_shape_is_checked_before_decompressing(network_ir: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    name = network_ir.read_text().split('dense_resource<"', 1)[1].split('"', 1)[0]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**8,)})
    with zipfile.ZipFile(network_ir.with_name("net.ir.npz"), "w") as side:
        side.writestr(f"{name}.npy", header.getvalue())  # 400 MB declared, no data
    started = time.perf_counter()
    capsys.readouterr()
    assert main([str(network_ir), "-q", "-o", str(network_ir.with_name("again.ir"))]) == 1
    headline = capsys.readouterr().err.splitlines()[0]
    assert f"tensor resource '{name}' is float32[100000000] in the sidecar" in headline
    assert headline.startswith(f"{network_ir}:3:"), headline
    assert time.perf_counter() - started < 1


def test_ir_sidecar_without_the_data_its_header_declares(network_ir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    name = network_ir.read_text().split('dense_resource<"', 1)[1].split('"', 1)[0]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (1000,)})
    with zipfile.ZipFile(network_ir.with_name("net.ir.npz"), "w") as side:
        side.writestr(f"{name}.npy", header.getvalue())
    capsys.readouterr()
    assert main([str(network_ir), "-q", "-o", str(network_ir.with_name("again.ir"))]) == 1
    headline = capsys.readouterr().err.splitlines()[0]
    assert headline.startswith(f"{network_ir.with_name('net.ir.npz')}:1:1: error: cannot read '{name}'"), headline


# -- Verilog ---------------------------------------------------------------------------------

_DEPTH_V = """module leaf(input a, output y);
  assign y = ~a;
endmodule
module mid(input a, output y);
  leaf u(.a(a), .y(y));
endmodule
module top(input a, output y);
  mid u(.a(a), .y(y));
endmodule
"""


def test_verilog_bus_width(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "module m(input [39:0] a, output y);\n  assign y = a[0];\nendmodule\n"
    _pair(tmp_path, capsys, "bus.v", text, "--max-bus-width", 40, "1:23")


def test_verilog_total_bits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "module m(input [7:0] a, output [7:0] y);\n  assign y = ~a;\nendmodule\n"
    _pair(tmp_path, capsys, "bits.v", text, "--max-total-bits", 16, "1:38")


def test_verilog_instance_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pair(tmp_path, capsys, "depth.v", _DEPTH_V, "--max-depth", 2, "5:8")


# -- options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("flag, value", [
    ("--max-bus-width", "31"), ("--max-bus-width", str(1 << 25)), ("--max-total-bits", "0"),
    ("--max-depth", "0"), ("--max-depth", "257"), ("--max-tensor-elements", "-1"), ("--max-nodes", "0"),
])
def test_a_limit_out_of_range_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               flag: str, value: str) -> None:
    path = tmp_path / "m.v"
    path.write_text(_DEPTH_V)
    out = tmp_path / "out.ir"
    assert main([str(path), "-q", "-o", str(out), flag, value]) == 2
    assert not out.exists()
    assert capsys.readouterr().err.strip() == f"error: {flag} must be an integer in " \
        f"{limits.RANGES[flag[2:].replace('-', '_')][0]}..{limits.RANGES[flag[2:].replace('-', '_')][1]}, got {value}"


def test_the_module_defaults_apply_when_no_option_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nets.bench"
    path.write_text("INPUT(a)\nINPUT(b)\nOUTPUT(y)\ny = AND(a, b)\n")
    monkeypatch.setattr(limits, "MAX_TOTAL_BITS", 2)
    _refused(path, capsys, "4:1", "--max-total-bits")
    _loads(path, "--max-total-bits", "3")
    assert limits.Limits.of({"max_total_bits": 3}).max_total_bits == 3
    with pytest.raises(InputError):
        limits.Limits.of({"max_depth": 0})
