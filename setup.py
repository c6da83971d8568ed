"""Package discovery for setuptools: every folder under a room of `package-dir` is a package.

The rooms (`axc/`, `ir/`, `frontend/`, `passes/`, `backends/`, `runtime/`) are mapped into the one
`axc` namespace by `[tool.setuptools] package-dir` in `pyproject.toml`; this file reads that
mapping and lists every folder below each room that holds Python files, so a new sub-package
can never be left out of the wheel. Everything else is declared in `pyproject.toml`.
"""

import tomllib
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent


def _packages(rooms: dict[str, str]) -> list[str]:
    found = []
    for package, folder in rooms.items():
        base = ROOT / folder
        for init in sorted(base.rglob("*.py")):
            relative = init.parent.relative_to(base)
            if "__pycache__" in relative.parts:
                continue
            found.append(".".join((package, *relative.parts)))
    return sorted(set(found))


_rooms = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
setup(packages=_packages(_rooms))
