"""The `axc-opt` command line: exit codes, messages, outputs, report."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from axc.ir import InputError, Module
from axc.passes.infra import registry
from axc.passes.infra.base import ModulePass, PassContext, PassResult
from axc.passes.infra.manager import PassManager
from logic_graphs import ripple_adder

import axc
from axc.cli import main


@dataclass(frozen=True)
class NoopPass(ModulePass):
    """Does nothing, from a plugin."""

    name: ClassVar[str] = "plugin-noop"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        return PassResult(notes=["plugin ran"])


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it (`python -m axc` is the same entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "axc", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def adder_ir(tmp_path: Path) -> Path:
    path = tmp_path / "adder.ir"
    axc.save(ripple_adder(4), path)
    return path


def test_bad_pipeline_is_one_line_with_a_caret_and_exit_2(adder_ir: Path, tmp_path: Path) -> None:
    proc = run_cli(str(adder_ir), "-p", "dce,csee", "-o", "out.ir", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines == [
        "<pipeline>:1:5: error: unknown pass 'csee'; did you mean 'cse'?",
        "  dce,csee",
        "      ^^^^",
    ]
    assert not (tmp_path / "out.ir").exists()


def test_malformed_ir_is_located_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ir"
    bad.write_text("module {\n  hw.graph @t(%a: i1) -> (o: i1) {\n    %x = logic.nand %a, %nope : i1\n    output %x\n  }\n}\n")
    proc = run_cli(str(bad), "-p", "dce", "-o", "out.v", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{bad}:3:")
    assert ": error: " in proc.stderr.splitlines()[0]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ir"]


def test_success_writes_output_and_report(adder_ir: Path, tmp_path: Path) -> None:
    code = main([str(adder_ir), "-p", "cse,dce", "-o", str(tmp_path / "out.ir"), "--report",
                 str(tmp_path / "run.json"), "--seed", "7", "-q"])
    assert code == 0
    assert axc.load(tmp_path / "out.ir").top_graph.name == "add4"
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] == 0 and report["seed"] == 7
    assert report["input"] == str(adder_ir)
    assert [p["name"] for p in report["passes"]] == ["cse", "dce"]
    assert all("seconds" in p and "stats" in p for p in report["passes"])
    assert "numpy" in report["versions"] and "python" in report["versions"]


def test_failing_pass_exits_1_and_reports(adder_ir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.ir"
    axc.save(ripple_adder(3), other)
    code = main([str(adder_ir), "-p", f"dce,check-equiv{{against={other} method=sim}}",
                 "-o", str(tmp_path / "out.ir"), "--report", str(tmp_path / "run.json"), "-q"])
    assert code == 1
    err = capsys.readouterr().err
    assert "in pass 'check-equiv' after ['dce']" in err
    assert not (tmp_path / "out.ir").exists()
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] == 1 and "check-equiv" in report["failure"]
    assert report["passes"][-1]["name"] == "check-equiv" and "failure" in report["passes"][-1]


def test_emit_ir_prints_to_stdout(adder_ir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(adder_ir), "-p", "dce", "--emit", "ir", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("module") and "hw.graph @add4" in out


def test_print_ir_after_all_and_print_ir_pass(adder_ir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(adder_ir), "-p", "dce,print-ir,cse", "--print-ir-after-all", "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("hw.graph @add4") == 1
    assert captured.err.count("// ----- IR after pass") == 3


def test_list_passes_shows_docstrings(tmp_path: Path) -> None:
    proc = run_cli("--list-passes", cwd=tmp_path)
    assert proc.returncode == 0
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()}
    assert "Remove ops whose results nobody reads." in lines["dce"]
    assert "Merge ops that compute the same thing." in lines["cse"]
    assert {"print-ir", "check-equiv"} <= set(lines)


def test_help_pass_shows_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help-pass", "dce"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dce: Remove ops whose results nobody reads.")
    assert "Ops without\nresults are kept" in out
    assert "  keep-named: bool (default false)" in out
    assert "Keep ops whose results carry a name" in out


def test_help_pass_unknown_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help-pass", "dcf"]) == 2
    assert "unknown pass 'dcf'; did you mean 'dce'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "cse{commutative=maybe}"], "expected true or false, got 'maybe'"),
        (["-o", "out.xyz"], "no backend for '.xyz'"),
        (["-p", "dce{keep_named}", "--emit", "nope"], "no backend for '.nope'"),
        (["--report", "/nonexistent-dir/run.json"], "cannot write the report"),
    ],
)
def test_usage_errors_exit_2(adder_ir: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(adder_ir), *args]) == 2
    assert message in capsys.readouterr().err


def test_missing_input_and_bad_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.ir")]) == 1
    assert "nope.ir:1:1: error: cannot read input: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["x.ir", "--seed", "abc"])
    assert info.value.code == 2


def test_global_option_type_mismatch_is_a_usage_error(adder_ir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:  # --calib is a sample count, as its help says
        main([str(adder_ir), "-p", "quantize", "--calib", "lots"])
    assert exit_info.value.code == 2
    assert "argument --calib: invalid int value: 'lots'" in capsys.readouterr().err
    with pytest.raises(InputError, match="--calib does not fit option 'calib' of pass 'quantize': "
                                         "expected an integer, got 'lots'"):
        PassManager.parse("quantize", calib="lots")


def test_malformed_ir_message_names_the_bad_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.ir"
    bad.write_text("module {\n  hw.graph @t(%a: i1) -> (o: i1) {\n    output %nope\n  }\n}\n")
    assert main([str(bad), "-o", str(tmp_path / "out.ir")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:3:") and "nope" in err.splitlines()[0]
    assert "^" in err.splitlines()[-1]


def test_plugin_passes_from_entry_points(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class EntryPoint:
        name = "plugin-noop"

        def load(self) -> type[ModulePass]:
            return NoopPass

    monkeypatch.setattr(registry, "_plugin_entries", lambda: {"plugin-noop": EntryPoint()})
    monkeypatch.delitem(registry._loaded, "plugin-noop", raising=False)
    assert main(["--list-passes"]) == 0
    lines = [line.split(None, 1) for line in capsys.readouterr().out.splitlines()]
    assert ["plugin-noop", "Does nothing, from a plugin."] in lines
    result = axc.PassManager.parse("plugin-noop").run(ripple_adder(2))
    assert result.records[0].notes == ["plugin ran"]
