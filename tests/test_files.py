"""Files written whole or not at all, through temporary files nobody can redirect."""

from __future__ import annotations

from pathlib import Path

import pytest
from axc.passes.circuit.als_report import write_csv
from axc.runtime.files import write_atomically


def test_a_planted_symlink_at_the_old_temporary_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    for name in ("front.csv.tmp", ".front.csv.tmp", "front.tmp.csv"):
        (tmp_path / name).symlink_to(victim)
    write_csv(str(tmp_path / "front.csv"), [{"error": 0.01, "area_ratio": 0.5}])
    assert victim.read_text() == "keep me"
    assert (tmp_path / "front.csv").read_text().splitlines() == ["error,area_ratio", "0.01,0.5"]


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def fail(fh) -> None:  # noqa: ANN001
        fh.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
