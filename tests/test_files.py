"""Files written whole or not at all, through temporary files nobody can redirect."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from axc.ir import InputError, ParseError
from axc.passes.circuit.als_report import write_csv
from axc.runtime.files import write_atomically

import axc


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


def test_outputs_go_through_symlinks_and_refuse_what_is_not_a_regular_file(tmp_path: Path) -> None:
    adder = Path(__file__).resolve().parents[1] / "examples" / "adder.v"
    module = axc.load(adder)
    real = tmp_path / "real.v"
    real.write_text("old")
    (tmp_path / "link.v").symlink_to(real)
    axc.save(module, tmp_path / "link.v")
    assert (tmp_path / "link.v").is_symlink() and "module" in real.read_text()
    fifo = tmp_path / "pipe.v"
    os.mkfifo(fifo)
    (tmp_path / "to_fifo.v").symlink_to(fifo)
    for target in (fifo, tmp_path / "to_fifo.v", tmp_path):
        with pytest.raises(InputError, match="is not a regular file"):
            axc.save(module, target)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(InputError, match="is not a regular file"):
        write_atomically(fifo, lambda fh: fh.write("x"))


def test_huge_widths_are_refused_before_anything_is_allocated(tmp_path: Path) -> None:
    wide = tmp_path / "w.v"
    wide.write_text("module t #(parameter W = 1000000000) (input [W-1:0] a, output [W-1:0] y);\n"
                    "  assign y = a;\nendmodule\n")
    with pytest.raises(InputError, match="1000000000 bits wide: above the limit") as exc:
        axc.load(wide)
    assert (exc.value.loc.line, exc.value.loc.col) == (1, 53)
    text = tmp_path / "big.ir"
    text.write_text("module @t {\n  hw.graph @t(%a: i99999999999) -> (y: i99999999999) {\n    hw.output %a\n  }\n}\n")
    with pytest.raises(ParseError, match="width 99999999999 is above the limit") as exc:
        axc.load(text)
    assert exc.value.loc.line == 2


def test_a_sidecar_is_checked_before_it_is_decompressed(tmp_path: Path) -> None:
    """A small .npz whose header declares 2.4 GB is refused from its headers alone."""
    (tmp_path / "bomb.ir").write_text("module @t {\n}\n")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (600_000_000,)})
    with (zipfile.ZipFile(tmp_path / "bomb.ir.npz", "w", zipfile.ZIP_DEFLATED) as archive,
          archive.open("x.npy", "w", force_zip64=True) as member):
        member.write(header.getvalue() + b"\0" * (1 << 16))
    assert (tmp_path / "bomb.ir.npz").stat().st_size < 10_000
    with pytest.raises(InputError, match="its tensors would take 2400000000 bytes"):
        axc.load(tmp_path / "bomb.ir")
