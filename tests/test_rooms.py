"""The dependency rule between the rooms, checked on every import statement of the project.

`ir` imports nothing of ours; `runtime` only `ir`; `frontend`, `backends` and `passes` only `ir`
and `runtime`; `axc` ties everything together. Our own modules are imported at the top of a
file, never inside a function. The moves that bring the code in line are under way: the edges
that still break the rule are listed below, and the list may only shrink (an entry that no
longer occurs fails the test too, so it gets deleted).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

ALLOWED: dict[str, set[str]] = {
    "ir": set(),
    "runtime": {"ir"},
    "frontend": {"ir", "runtime"},
    "backends": {"ir", "runtime"},
    "passes": {"ir", "runtime"},
    "axc": {"ir", "runtime", "frontend", "backends", "passes"},
}

KNOWN_CROSSINGS: set[tuple[str, str]] = set()
"""(file, imported module) pairs that still cross the rule (none: keep it so)."""

KNOWN_INSIDE_FUNCTIONS: set[tuple[str, str]] = set()
"""(file, imported module) pairs still imported inside a function (none: keep it so; code that
must load late goes through a registry of "module:name" strings, like passes and formats)."""


def _rooms() -> dict[str, str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return {folder: package for package, folder in config["tool"]["setuptools"]["package-dir"].items()}


def _imports() -> list[tuple[str, str, bool]]:
    """(file, absolute module, inside a function) for every import of one of our modules."""
    rooms = _rooms()
    found = []
    for folder, package in rooms.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            relative = path.relative_to(REPO / folder)
            here = [*package.split("."), *relative.with_suffix("").parts]
            if relative.name == "__init__.py":
                here = here[:-1]
            tree = ast.parse(path.read_text())
            functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            inner = {id(n) for f in functions for n in ast.walk(f)}
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = here[: len(here) - node.level + (1 if relative.name == "__init__.py" else 0)]
                        names = [".".join([*base, *([node.module] if node.module else [])])]
                    else:
                        names = [node.module or ""]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] == "axc":
                        found.append((f"{folder}/{relative.as_posix()}", name, id(node) in inner))
    return found


def _room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED and parts[1] != "axc" else "axc"


@pytest.fixture(scope="module")
def imports() -> list[tuple[str, str, bool]]:
    return _imports()


def test_imports_follow_the_room_rule(imports: list[tuple[str, str, bool]]) -> None:
    crossings = set()
    for file, module, _ in imports:
        room, target = file.split("/")[0], _room_of(module)
        if target != room and target not in ALLOWED[room]:
            crossings.add((file, module))
    assert crossings - KNOWN_CROSSINGS == set(), "new imports against the room rule"
    assert KNOWN_CROSSINGS - crossings == set(), "fixed: delete these from KNOWN_CROSSINGS"


def test_our_modules_are_imported_at_the_top(imports: list[tuple[str, str, bool]]) -> None:
    inside = {(file, module) for file, module, in_function in imports if in_function}
    assert inside - KNOWN_INSIDE_FUNCTIONS == set(), "new imports of our own modules inside functions"
    assert KNOWN_INSIDE_FUNCTIONS - inside == set(), "fixed: delete these from KNOWN_INSIDE_FUNCTIONS"
