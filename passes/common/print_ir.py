"""The `print-ir` pass: print the module's textual IR."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar, Literal

from axc.ir import Module
from axc.ir.printer import print_module

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["PrintIRPass"]


@dataclass(frozen=True)
class PrintIRPass(ModulePass):
    """Print the module as textual IR, then go on unchanged.

    Put it anywhere in a pipeline to look at the IR at that point, e.g.
    `-p 'dce,print-ir,cse'`. The text is the same as `--emit ir` writes.
    """

    name: ClassVar[str] = "print-ir"

    debuginfo: bool = False
    """Also print source locations (`loc(...)`)."""

    stream: Literal["stdout", "stderr"] = "stdout"
    """Where to print."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        text = print_module(module, debuginfo=self.debuginfo)
        out = sys.stdout if self.stream == "stdout" else sys.stderr
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()
        return PassResult(modified=False)
