"""The `lower-approx` pass: expand `approx.*` ops of networks into plain `nn` ops for emission.

The lowerings themselves are how standard executors run approximate ops, so they live in the
runtime (`axc.runtime.lowering`, one function per approx op kind); the ONNX writer and the
ONNX Runtime runner apply them to a copy when a module still holds approx ops, so running this
pass earlier in a pipeline is only needed to see or keep the expanded form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from axc.ir import Module
from axc.runtime.lowering import lower_approx

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["LowerApproxPass"]


@dataclass(frozen=True)
class LowerApproxPass(ModulePass):
    """Expand approx ops (approximate multipliers, HTP forms, SnaPEA masks) into plain nn ops.

    The result runs in stock ONNX Runtime and in the PyTorch backend. Circuit graphs are left
    alone.
    """

    name: ClassVar[str] = "lower-approx"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        counts = lower_approx(module)
        if counts:
            ctx.log(f"lower-approx: {sum(counts.values())} approximate op(s) expanded into nn ops")
        return PassResult(modified=bool(counts), stats={"layers": sum(counts.values()),
                                                        **{f"lowered {k}": v for k, v in counts.items()}})
