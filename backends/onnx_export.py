"""The ONNX emitter (`-o model.onnx`): the checked model of `axc.runtime.onnx_model`, written out.

Approximate ops are expanded into standard ops on a copy (`axc.runtime.lowering`), so stock
ONNX Runtime runs the file; notes about opset upgrades go to stderr unless quiet.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import onnx
from axc.ir import Module
from axc.runtime.onnx_model import export_model

__all__ = ["save_onnx"]


def save_onnx(module: Module, path: str, options: Mapping[str, Any] | None = None) -> None:
    """Write the module's top graph as an ONNX file (the `onnx` format emitter)."""
    options = dict(options or {})
    result = export_model(module, opset=options.get("opset"))
    if not options.get("quiet"):
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    onnx.save(result.model, path)
