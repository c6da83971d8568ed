"""Named multiplier circuits: EvoApproxLib names such as `mul8u_FTA`, found in a search path.

A multiplier spec is an analytic family (`drum{k=6}`, see `spec`), a circuit file, or the name
of a circuit file without its folder and extension. Names are looked up in a search path of
folders (searched recursively for `<name>.v`, `.blif` or `.ir`): the folders the run gives
(`--multiplier-path`, repeatable), then those of the environment variable `AXC_MULTIPLIER_PATH`
(separated like `PATH`). `resolve_spec` turns a name into its file, or fails with one line that
says where it looked and which names come closest.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from axc.ir import InputError

from .spec import CIRCUIT_SUFFIXES, FAMILIES, SPEC_PATTERN, is_circuit_path

__all__ = ["SEARCH_PATH_ENV", "find_named_circuit", "resolve_spec", "search_path"]

SEARCH_PATH_ENV = "AXC_MULTIPLIER_PATH"


def search_path(folders: Sequence[str] = ()) -> list[Path]:
    """The folders searched for named circuits: `folders`, then `$AXC_MULTIPLIER_PATH`."""
    env = [p for p in os.environ.get(SEARCH_PATH_ENV, "").split(os.pathsep) if p]
    return [Path(p) for p in dict.fromkeys([*folders, *env])]


@cache
def _index(folder: str) -> dict[str, Path]:
    """Circuit files below `folder` by stem (the first one found, in sorted order, wins)."""
    found: dict[str, Path] = {}
    root = Path(folder)
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in CIRCUIT_SUFFIXES and path.is_file():
            found.setdefault(path.stem, path)
    return found


def find_named_circuit(name: str, folders: Sequence[Path]) -> Path | None:
    """The circuit file called `name` (any circuit extension) in the first folder that has one;
    case is ignored when no file matches exactly."""
    for folder in folders:
        index = _index(str(folder))
        if name in index:
            return index[name]
        folded = {stem.lower(): path for stem, path in index.items()}
        if name.lower() in folded:
            return folded[name.lower()]
    return None


def resolve_spec(spec: str, folders: Sequence[str] = ()) -> str:
    """`spec` itself when it is an analytic family spec or a circuit file; else the path of the
    circuit it names (see the module docstring). One-line `InputError` when it is neither."""
    match = SPEC_PATTERN.match(spec)
    if is_circuit_path(spec) or match is None or match.group(1).lower() in FAMILIES:
        return spec
    path = search_path(folders)
    found = find_named_circuit(spec.strip(), path) if match.group(2) is None else None
    if found is not None:
        return str(found)
    names = [*FAMILIES, *(stem for folder in path for stem in _index(str(folder)))]
    closest = difflib.get_close_matches(spec.strip(), names, n=3, cutoff=0.6)
    where = (", ".join(str(p) for p in path) if path else
             f"no folders: give --multiplier-path DIR or set {SEARCH_PATH_ENV}")
    hint = f"; closest: {', '.join(closest)}" if closest else ""
    raise InputError(f"unknown multiplier '{spec.strip()}': not a family ({', '.join(FAMILIES)}) and "
                     f"no circuit of that name in the search path ({where}){hint}")
