"""Cell libraries for the cost model and the netlist readers: genlib (ABC's format) or Liberty.

`load_library(path)` reads either (Liberty when the name ends in `.lib`/`.liberty` or the text
opens a `library (...)` group) into a `CellLibrary`; see `genlib` and `liberty` for what each
format gives. `default_genlib()` is the NanGate-45 X1 genlib shipped with the project.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from axc.ir import InputError

from .cells import POWER_NANGATE45, Cell, CellLibrary
from .genlib import parse_genlib
from .liberty import parse_liberty

__all__ = ["POWER_NANGATE45", "Cell", "CellLibrary", "default_genlib", "load_library"]


@cache
def _load(path: str, mtime: float) -> CellLibrary:
    text = Path(path).read_text(errors="replace")
    if path.endswith((".lib", ".liberty")) or re.search(r"^\s*library\s*\(", text, re.M):
        return parse_liberty(text, path)
    return parse_genlib(text, path)


def load_library(path: str | Path) -> CellLibrary:
    """Read a genlib or Liberty file (cached per path and modification time)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot read cell library '{path}': no such file")
    return _load(str(p.resolve()), p.stat().st_mtime)


def default_genlib() -> Path:
    """The NanGate-45 X1 genlib shipped with the project."""
    return Path(__file__).with_name("nangate45.genlib")
