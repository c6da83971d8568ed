"""Staging files of killed runs: clearly named, removed by the next run that writes the same file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from axc.runtime.files import STAGING_MARK, write_text_atomically

from axc.api import load, save

ROOT = Path(__file__).resolve().parents[1]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    out = tmp_path / "out.v"
    dead = _dead_pid()
    left_folder = tmp_path / f".out.v.{STAGING_MARK}-{dead}-abc.tmp"
    left_folder.mkdir()
    (left_folder / "out.v").write_text("partial")
    left_file = tmp_path / f".out.v.{STAGING_MARK}-{dead}-xyz.tmp"
    left_file.write_text("partial")
    running = tmp_path / f".out.v.{STAGING_MARK}-{1}-live.tmp"  # pid 1 runs: not ours to remove
    running.write_text("busy")
    save(load(str(ROOT / "examples" / "adder.v")), out)
    assert out.is_file() and not left_folder.exists() and not left_file.exists() and running.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, running.name])


def test_atomic_text_writes_use_the_same_names(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    stale = tmp_path / f".r.json.{STAGING_MARK}-{_dead_pid()}-q.tmp"
    stale.write_text("{")
    write_text_atomically(report, "{}")
    assert report.read_text() == "{}" and not stale.exists()
