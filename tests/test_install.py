"""The install users get: a complete wheel, optional extras, caches outside the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from axc.runtime.caches import cache_root, kernel_cache_dir
from logic_graphs import ripple_adder

import axc

DATA_SUFFIXES = {".lark", ".genlib", ".lib", ".ini", ".json", ".v"}


def _rooms(repo: Path) -> dict[str, str]:
    config = tomllib.loads((repo / "pyproject.toml").read_text())
    return config["tool"]["setuptools"]["package-dir"]


def _tree_files(repo: Path) -> set[str]:
    """Every module and data file of the rooms, as the wheel should name it."""
    expected = set()
    for package, folder in _rooms(repo).items():
        base = repo / folder
        for path in base.rglob("*"):
            relative = path.relative_to(base)
            if path.is_file() and "__pycache__" not in relative.parts and (
                    path.suffix == ".py" or path.suffix in DATA_SUFFIXES):
                expected.add("/".join((*package.split("."), *relative.parts)))
    return expected


def test_the_wheel_holds_every_module_and_data_file_of_the_tree(repo_root: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(repo_root / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in _rooms(repo_root).values():
        shutil.copytree(repo_root / folder, source / folder, ignore=ignore)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "dist").glob("axc_opt-*.whl")
    names = {n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n}
    expected = _tree_files(repo_root)
    assert "axc/passes/prune/search.py" in expected
    assert "axc/frontend/verilog/grammar.lark" in expected
    assert names == expected


def _cli_without(blocked: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a process where importing `blocked` fails, as in an install without it."""
    code = (f"import sys; sys.modules[{blocked!r}] = None; from axc.cli import main; "
            "raise SystemExit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def adder_ir(tmp_path: Path) -> Path:
    path = tmp_path / "adder.ir"
    axc.save(ripple_adder(4), path)
    return path


@pytest.mark.parametrize(("blocked", "extra", "args"), [
    ("torch", "torch", ["-o", "out.pt"]),
    ("torch", "torch", ["-p", "retrain", "--data", "x.npz", "-o", "out.onnx"]),
    ("graphviz", "graphviz", ["-o", "out.svg"]),
    ("distributed", "dask", ["-p", "bmf", "--scheduler", "tcp://127.0.0.1:1", "-o", "out.v"]),
    ("matplotlib", "plot", ["-p", "bmf{plot=front.png}", "-o", "out.v"]),
])
def test_a_missing_extra_is_one_line_naming_it_exit_1_and_no_output(
        adder_ir: Path, tmp_path: Path, blocked: str, extra: str, args: list[str]) -> None:
    proc = _cli_without(blocked, str(adder_ir), *args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert f"pip install 'axc-opt[{extra}]'" in proc.stderr
    assert not list(tmp_path.glob("out.*")) and not (tmp_path / "front.png").exists()


def _mnist8(corpora: Path) -> tuple[Path, Path]:
    folder = corpora / "onnx" / "mnist8"
    return folder / "model.onnx", folder


def test_approximate_networks_reach_onnx_without_torch(corpora: Path, tmp_path: Path) -> None:
    model, data = _mnist8(corpora)
    circuit = corpora / "evoapprox" / "lite_master" / "8x8_unsigned" / "mul8u_FTA.v"
    for pipeline in (f"quantize,approx-mul{{circuit={circuit}}}", "quantize,htp"):
        proc = _cli_without("torch", str(model), "-p", pipeline, "--data", str(data), "-q",
                            "-o", "out.onnx", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        ort.InferenceSession(str(tmp_path / "out.onnx"))


def test_the_same_ir_gives_the_same_pt_in_a_fresh_process(corpora: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    model, data = _mnist8(corpora)
    circuit = corpora / "evoapprox" / "lite_master" / "8x8_unsigned" / "mul8u_FTA.v"
    steps = [
        [str(model), "-p", f"quantize,approx-mul{{circuit={circuit}}}", "--data", str(data), "-o", "m.ir"],
        ["m.ir", "-o", "m.pt"],
        ["m.ir", "-o", "m.onnx"],
    ]
    for args in steps:  # each in its own process: no pass runs before the .pt is written
        proc = subprocess.run([sys.executable, "-m", "axc", "-q", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    net = torch.load(tmp_path / "m.pt", weights_only=False)
    assert sum(type(m).__name__ == "ApproxLayerModule" for m in net.modules()) == 3
    images = np.random.default_rng(0).random((8, 1, 1, 28, 28), dtype=np.float32)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    with torch.no_grad():
        ours = np.stack([net(torch.from_numpy(x)).numpy() for x in images])
    reference = np.stack([session.run(None, {session.get_inputs()[0].name: x})[0] for x in images])
    assert np.allclose(ours, reference, rtol=1e-4, atol=1e-3 * float(np.abs(reference).max()))


def test_caches_follow_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AXC_CACHE", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "axc-opt"
    assert kernel_cache_dir() == tmp_path / "xdg" / "axc-opt" / "numba"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert kernel_cache_dir() == tmp_path / "numba"
    monkeypatch.setenv("AXC_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def test_a_cold_cache_is_compiled_once_into_the_user_cache(adder_ir: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "AXC_CACHE")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    started = time.time()
    runs = [subprocess.run([sys.executable, "-m", "axc", str(adder_ir), "-p", "check-equiv{method=sim}",
                            "-o", "out.ir"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600) for _ in range(2)]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
    said = [proc.stderr.count("compiling numba kernels") for proc in runs]
    assert said == [1, 0]
    cached = list((tmp_path / "xdg" / "axc-opt" / "numba").rglob("*.nbi"))
    assert cached, "numba's index files belong in the user cache"
    package = Path(axc.__file__).resolve().parents[1]
    written = [p for p in package.rglob("*.nb[ic]") if p.stat().st_mtime >= started]
    assert not written, "no numba cache inside the package tree"
