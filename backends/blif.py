"""BLIF emitter: a bit-level circuit graph as `.names` covers (see `axc.runtime.blif_module`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axc.ir import Module
from axc.runtime.blif_module import MAX_NAMES_INPUTS, module_blif

__all__ = ["MAX_NAMES_INPUTS", "emit_blif", "save_blif"]


def emit_blif(module: Module, options: dict[str, Any] | None = None) -> str:
    """The BLIF text of the top graph of `module` (flattened, bit-level)."""
    return module_blif(module)


def save_blif(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write the top graph of `module` as BLIF to `path`."""
    Path(path).write_text(emit_blif(module, options))
