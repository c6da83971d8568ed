"""The public Python API: `axc.load`, `axc.save`, `axc.PassManager`, `axc.Pipeline`."""

from __future__ import annotations

from pathlib import Path

import axc.ir.printer as printer
import pytest
from axc.ir import InputError, ParseError
from axc.ir.printer import print_module
from logic_graphs import ripple_adder

import axc


def test_public_names() -> None:
    assert set(axc.__all__) >= {"load", "save", "PassManager", "Pipeline", "verify", "__version__"}
    assert axc.__version__
    for name in axc.__all__:
        assert getattr(axc, name) is not None


def test_save_load_round_trip_and_run(tmp_path: Path) -> None:
    module = ripple_adder(4)
    path = tmp_path / "adder.ir"
    axc.save(module, path)
    loaded = axc.load(path)
    assert print_module(loaded) == print_module(module)
    result = axc.PassManager.parse("cse,dce", seed=5).run(loaded)
    assert result.module is loaded
    assert result.report["seed"] == 5
    assert set(result.stats) == {"cse", "dce"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adder.ir"]


def test_pipeline_object_is_canonical() -> None:
    pipeline = axc.Pipeline.parse("dce{keep_named=1} , cse")
    assert str(pipeline) == "dce{keep-named=true},cse"
    assert axc.Pipeline.parse(str(pipeline)) == pipeline


def test_save_is_atomic_when_the_backend_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(module: object, path: str, options: object = None) -> None:
        Path(path).write_text("half a file")
        raise InputError("backend gave up")

    monkeypatch.setattr(printer, "save_ir", broken)
    target = tmp_path / "out.ir"
    with pytest.raises(InputError, match="backend gave up"):
        axc.save(ripple_adder(2), target)
    assert list(tmp_path.iterdir()) == []


def test_save_keeps_the_old_file_when_the_backend_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.ir"
    axc.save(ripple_adder(2), target)
    before = target.read_text()

    def broken(module: object, path: str, options: object = None) -> None:
        raise RuntimeError("crash")

    monkeypatch.setattr(printer, "save_ir", broken)
    with pytest.raises(RuntimeError):
        axc.save(ripple_adder(3), target)
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.ir"]


def test_load_errors_are_located(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as info:
        axc.load(tmp_path / "missing.ir")
    assert str(info.value.loc).endswith("missing.ir:1:1")
    bad = tmp_path / "bad.ir"
    bad.write_text("module {\n  oops\n}\n")
    with pytest.raises(ParseError) as parse_info:
        axc.load(bad)
    assert parse_info.value.loc.line == 2  # type: ignore[union-attr]
    with pytest.raises(InputError, match="no frontend for '.xyz'"):
        axc.load(bad.rename(tmp_path / "bad.xyz"))


def test_unknown_output_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no backend for '.xyz'"):
        axc.save(ripple_adder(2), tmp_path / "out.xyz")
    assert list(tmp_path.iterdir()) == []
