"""File formats: which loader reads and which emitter writes each file extension.

Loaders take `(path, options)` and return a `Module`; savers take `(module, path, options)` and
write the file (the caller makes the write atomic). Entries are "module:function" strings,
imported on first use, so start-up stays fast. `options` is the dict of CLI options (`genlib`,
`frontend`, ...). When a frontend or backend lands, add its line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from axc.ir import InputError, Module, check_extra

__all__ = [
    "EMITTERS", "EMITTER_EXTRAS", "LOADERS", "QUALITY_REPORTS", "format_of", "get_loader",
    "get_quality_report", "get_saver",
]

LOADERS: dict[str, str] = {
    "ir": "axc.ir.parser:load_ir",
    "onnx": "axc.frontend.onnx_import:load_onnx",
    "v": "axc.frontend.verilog:load_verilog",
    "blif": "axc.frontend.blif:load_blif",
    "bench": "axc.frontend.bench:load_bench",
}

EMITTERS: dict[str, str] = {
    "ir": "axc.ir.printer:save_ir",
    "v": "axc.backends.verilog:save_verilog",
    "blif": "axc.backends.blif:save_blif",
    "bench": "axc.backends.bench:save_bench",
    "onnx": "axc.backends.onnx_export:save_onnx",
    "pt": "axc.backends.torch_module:save_pt",
    "dot": "axc.backends.graphviz:save_dot",
    "svg": "axc.backends.graphviz:save_svg",
    "png": "axc.backends.graphviz:save_png",
    "sim": "axc.backends.accel_sim:save_sim",
    "html": "axc.backends.accel_sim:save_sim",
    "json": "axc.backends.accel_sim:save_sim",
}

EMITTER_EXTRAS: dict[str, str] = {"pt": "torch", "svg": "graphviz", "png": "graphviz"}
"""Formats whose emitter needs an optional package (see `axc.ir.extras`)."""

QUALITY_REPORTS: dict[str, str] = {"nn": "axc.runtime.nn_eval:report_network_quality"}
"""Per graph kind, what measures a run's result on `--data` after the pipeline (a network's
accuracy and agreement with the original); imported on first use, since it loads ONNX Runtime."""


def format_of(path: str | Path) -> str:
    """The format name of a path, from its extension (`.ir`, `.v`, `.onnx`, ...)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"verilog": "v", "sv": "v"}.get(suffix, suffix)


def _resolve(table: dict[str, str], fmt: str, what: str) -> Callable[..., Any]:
    target = table.get(fmt)
    if target is None:
        known = ", ".join(f".{k}" for k in sorted(table))
        raise InputError(f"no {what} for '.{fmt}' files (known: {known})")
    module_name, fn = target.split(":")
    return getattr(importlib.import_module(module_name), fn)


def get_loader(fmt: str) -> Callable[[str, dict[str, Any]], Module]:
    return _resolve(LOADERS, fmt, "frontend")


def get_saver(fmt: str) -> Callable[[Module, str, dict[str, Any]], None]:
    """The emitter of `fmt`; `MissingExtra` when it needs a package that is not installed."""
    if fmt in EMITTER_EXTRAS:
        check_extra(EMITTER_EXTRAS[fmt], f"writing .{fmt} files")
    return _resolve(EMITTERS, fmt, "backend")


def get_quality_report(kind: str) -> Callable[..., None] | None:
    """The quality measurement of graphs of `kind` (`QUALITY_REPORTS`), or None."""
    return _resolve(QUALITY_REPORTS, kind, "quality report") if kind in QUALITY_REPORTS else None
