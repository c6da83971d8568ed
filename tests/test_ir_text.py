"""Textual IR: print/parse round trips on every dialect, sidecars, located parse errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from axc.ir import DenseArray, Graph, Module, ParseError, TensorType, verify
from axc.ir.dialects import nn
from axc.ir.parser import load_ir, parse_module
from axc.ir.printer import print_module, save_ir, sidecar_path
from hypothesis import HealthCheck, given, settings
from ir_strategies import modules


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_print_parse_print_is_identity(module: Module) -> None:
    verify(module)
    for debuginfo in (False, True):
        resources: dict[str, np.ndarray] = {}
        text = print_module(module, debuginfo=debuginfo, resources=resources, inline_limit=4)
        again = parse_module(text, "gen.ir", resources)
        verify(again)
        assert print_module(again, debuginfo=debuginfo, resources={}, inline_limit=4) == text


@settings(max_examples=30, deadline=None)
@given(modules())
def test_round_trip_keeps_semantics(module: Module) -> None:
    again = parse_module(print_module(module, debuginfo=True), "gen.ir")
    for name, g in module.graphs.items():
        h = again.graphs[name]
        assert [op.name for op in g.topo_order()] == [op.name for op in h.topo_order()]
        assert [op.attributes for op in g.topo_order()] == [op.attributes for op in h.topo_order()]
        assert [op.loc for op in g.topo_order()] == [op.loc for op in h.topo_order()]
        assert h.output_names == g.output_names
    assert again.top == module.top


def _net_with_weights(n: int) -> Module:
    m = Module()
    g = Graph("net", "nn")
    x = g.add_input("x", TensorType((1, n), "f32"))
    w = np.linspace(-1, 1, n * 3, dtype=np.float32).reshape(n, 3)
    c = g.create(nn.ConstantOp, [], [TensorType((n, 3))], {"value": DenseArray(w)})
    y = g.create(nn.MatMulOp, [x, c.result], [TensorType((1, 3))])
    g.set_outputs([y.result], ["y"])
    m.add_graph(g)
    return m


def test_large_tensors_go_to_the_sidecar(tmp_path: Path) -> None:
    m = _net_with_weights(40)
    path = tmp_path / "net.ir"
    save_ir(m, str(path))
    text = path.read_text()
    assert "dense_resource<" in text and sidecar_path(path).exists()
    back = load_ir(str(path))
    arr = next(back.top_graph.ops).attr("value").array
    np.testing.assert_array_equal(arr, np.linspace(-1, 1, 120, dtype=np.float32).reshape(40, 3))
    small = _net_with_weights(2)
    save_ir(small, str(path))
    assert "dense<f32" in path.read_text() and not sidecar_path(path).exists()


def test_missing_sidecar_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "net.ir"
    save_ir(_net_with_weights(40), str(path))
    sidecar_path(path).unlink()
    with pytest.raises(ParseError) as info:
        load_ir(str(path))
    assert info.value.headline().startswith(f"{path}:3:")
    assert "sidecar" in info.value.message


BAD = [
    ("%0 = logic.and %a, %b : i1", "use of undefined value %b", 24),
    ("%0 = logic.andd %a, %a : i1", "unknown op 'logic.andd'", 10),
    ("%0 = logic.and %a, %a : i1 $", "unexpected character '$'", 32),
    ("%0 = logic.and %a, %a {x = 1, x = 2} : i1", "duplicate attribute 'x'", 27),
    ("%0 = logic.and %a, %a : i1, i1", "has 1 results but 2 types", 5),
    ("%0 = logic.lut %a {table = tt<1, 0x7>} : i1", "truth table bits wider", 38),
    ("%0 = word.const {value = dense<f32, [2], [1.0]>} : i1", "needs 2 values, got 1", 36),
]


@pytest.mark.parametrize(("line", "message", "col"), BAD)
def test_parse_errors_point_at_the_source(line: str, message: str, col: int) -> None:
    text = f"module {{\n  hw.graph @t(%a: i1) -> (y: i1) {{\n    {line}\n    output %0\n  }}\n}}\n"
    with pytest.raises(ParseError) as info:
        parse_module(text, "bad.ir")
    err = info.value
    assert message in err.message
    assert str(err.loc) == f"bad.ir:3:{col}"
    rendered = err.render().splitlines()
    assert rendered[0].startswith(f"bad.ir:3:{col}: error:")
    assert rendered[1].strip() == line
    assert rendered[2].index("^") == rendered[1].index(rendered[1].strip()) + col - 5


def test_truncated_file_reports_end_of_input() -> None:
    with pytest.raises(ParseError) as info:
        parse_module("module {\n  hw.graph @t(%a: i1) -> (y: i1) {\n", "cut.ir")
    assert "end of input" in info.value.message and info.value.loc.line == 2


def test_forward_references_are_accepted() -> None:
    text = """module {
  hw.graph @t(%a: i1) -> (y: i1) {
    output %y
    %y = logic.not %x : i1
    %x = logic.buf %a : i1
  }
}
"""
    m = parse_module(text)
    verify(m)
    assert [op.name for op in m.top_graph.topo_order()] == ["logic.buf", "logic.not"]
