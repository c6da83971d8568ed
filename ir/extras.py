"""Optional third-party packages: which extra of axc-opt installs each, and the error without it.

The base install reads and writes netlists and ONNX models. PyTorch (`.pt` output, retraining),
Dask (`--scheduler`), matplotlib (plots) and the graphviz package (pictures) come with extras:
`pip install 'axc-opt[torch]'`, `[dask]`, `[plot]`, `[graphviz]`, or `[all]`. A feature whose
package is missing stops the run with one line that names the extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .diagnostics import InputError

__all__ = ["EXTRAS", "MissingExtra", "check_extra", "import_extra"]

EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "PyTorch"),
    "distributed": ("dask", "Dask distributed"),
    "matplotlib": ("plot", "matplotlib"),
    "graphviz": ("graphviz", "the graphviz Python package"),
}
"""Import name -> (extra of axc-opt that installs it, what to call it in messages)."""


class MissingExtra(InputError):
    """A feature needs an optional package that is not installed."""


def check_extra(module: str, feature: str) -> None:
    """Raise `MissingExtra` if `module` (a key of `EXTRAS`) is not installed; nothing is imported."""
    extra, what = EXTRAS[module]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingExtra(f"{feature} needs {what}, which is not installed: "
                           f"pip install 'axc-opt[{extra}]'")


def import_extra(module: str, feature: str) -> ModuleType:
    """Import the optional package `module`, or raise `MissingExtra` naming its extra."""
    check_extra(module, feature)
    return importlib.import_module(module)
