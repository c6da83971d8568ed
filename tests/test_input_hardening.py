"""Hostile and extreme inputs through the `axc-opt` command line: each one either works or fails
with exit 1 and one located line (exit 2 for a bad option), never an "internal error"."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from axc.frontend.blif import parse_blif
from axc.ir.views import LogicView
from axc.runtime.blif_module import MAX_NAMES_INPUTS
from axc.runtime.blif_text import read_blif_models
from axc.runtime.cost.netlist_io import view_to_blif
from axc.runtime.interp import evaluate

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
