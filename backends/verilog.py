"""The structural Verilog emitter (`-o out.v`): the text of `axc.runtime.verilog_text`, written out.

The Verilog text itself is built in the runtime because Yosys (the cost model, the formal
equivalence check) reads circuits as Verilog too: one writer for the file and for the tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axc.ir import Module
from axc.runtime.verilog_text import emit_verilog, legal_identifier

__all__ = ["emit_verilog", "legal_identifier", "save_verilog"]


def save_verilog(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write `module` as structural Verilog to `path`."""
    Path(path).write_text(emit_verilog(module, options))
