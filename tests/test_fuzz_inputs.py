"""A seeded mutation fuzzer over one file of each input format (Verilog, BLIF, .bench, ONNX,
text IR), through the CLI's `main` in this process.

Each mutant must give exit 0 or 1; on exit 1 a one-line located error (the headline, then only
the source line with its caret and notes), never a traceback or an "internal error", and no
output file. The fast tier runs a few hundred mutants; `-m slow` runs many more.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from axc.cli import main

BLIF = """.model top
.inputs a b c
.outputs y z
.names a b t
11 1
.names t c y
1- 1
-1 1
.names a c z
10 0
.end
"""

BENCH = """# tiny
INPUT(a)
INPUT(b)
INPUT(c)
OUTPUT(y)
t = NAND(a, b)
y = XOR(t, c)
"""

IR = """module @m {
  hw.graph @m(%a: i4, %b: i4) -> (y: i4, c: i1) attributes {note = [1, "x", {k = 2}]} {
    %s = word.add %a, %b : i4
    %c = word.cmp %a, %b {pred = "ult"} : i1
    output %s, %c
  }
}
"""

SNIPPETS = ["(", ")", "[", "]", "{", "}", ";", ",", "=", "\n", "\x00", '"', "'", "\\", "-",
            "9" * 30, "1e9", "0x", "-1", "4'hz", "[31:0]", "{100{a}}", ".names", "OUTPUT(", "%", "@",
            "module", "endmodule", "assign", "\u00e9", " " * 3, "#"]


def _onnx_bytes() -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="mm"), helper.make_node("Relu", ["m"], ["y"], name="r")]
    graph = helper.make_graph(nodes, "g", [x], [y], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def _seeds(repo_root: Path) -> dict[str, bytes]:
    return {
        "v": (repo_root / "examples" / "adder.v").read_bytes(),
        "blif": BLIF.encode(),
        "bench": BENCH.encode(),
        "ir": IR.encode(),
        "onnx": _onnx_bytes(),
    }


def mutate(data: bytes, r: random.Random) -> bytes:
    """One to three random edits: flip, delete or duplicate a span, insert a snippet, swap lines."""
    for _ in range(r.randint(1, 3)):
        if not data:
            return r.choice(SNIPPETS).encode()
        i = r.randrange(len(data))
        k = r.random()
        if k < 0.2:
            data = data[:i] + bytes([data[i] ^ (1 << r.randrange(8))]) + data[i + 1:]
        elif k < 0.4:
            data = data[:i] + data[i + r.randint(1, 16):]
        elif k < 0.55:
            j = min(len(data), i + r.randint(1, 40))
            data = data[:j] + data[i:j] * r.randint(1, 4) + data[j:]
        elif k < 0.85:
            data = data[:i] + r.choice(SNIPPETS).encode() * r.choice([1, 1, 2, 50]) + data[i:]
        else:
            lines = data.split(b"\n")
            a, b = r.randrange(len(lines)), r.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            data = b"\n".join(lines)
    return data


def _check_mutant(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> int:
    status = main([str(path), "-q", "-o", str(out)])
    err = capsys.readouterr().err
    shown = f"{path.name} mutant: {err[:500]!r}"
    assert status in (0, 1), shown
    assert "Traceback" not in err and "internal error" not in err, shown
    if status == 1:
        headline, *rest = err.rstrip("\n").split("\n")
        assert "error: " in headline, shown
        assert all(line.startswith(("  ", "note: ")) for line in rest), shown
        assert not out.exists(), shown
        assert sorted(p.name for p in out.parent.iterdir()) == [path.name], shown
    else:
        out.unlink()
        for side in out.parent.glob(out.name + ".*"):
            side.unlink()
    return status


def _fuzz(tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str], per_format: int, seed: int) -> None:
    r = random.Random(seed)
    counts = {}
    for fmt, original in _seeds(repo_root).items():
        folder = tmp_path / fmt
        folder.mkdir()
        ok = 0
        for k in range(per_format):
            path = folder / f"m{k}.{fmt}"
            path.write_bytes(mutate(original, r))
            out = folder / "out.ir"
            ok += _check_mutant(path, out, capsys) == 0
            path.unlink()
        counts[fmt] = ok
    assert sum(counts.values()) > 0  # some mutants still read: the fuzzer does not only break files


def test_fuzz_every_format(tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fuzz(tmp_path, repo_root, capsys, per_format=200, seed=2024)


@pytest.mark.slow
def test_fuzz_every_format_long(tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fuzz(tmp_path, repo_root, capsys, per_format=1000, seed=7)
