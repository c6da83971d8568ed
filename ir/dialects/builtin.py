"""The `builtin` dialect: the graph terminator `output`."""

from __future__ import annotations

from typing import ClassVar

from ..core import Graph, Op
from ..dialect import AttrDef, Dialect

__all__ = ["BUILTIN", "OutputOp"]


class OutputOp(Op):
    """The outputs of a graph, in order; `names` gives each output its port/tensor name."""

    name = "output"
    num_operands = (0, None)
    num_results = 0
    attr_defs: ClassVar = {"names": AttrDef(tuple, required=False, doc="output names")}

    def verify_(self) -> None:
        names = self.attr("names", ())
        if len(names) != len(self.operands):
            raise self.error(f"has {len(self.operands)} operands but {len(names)} names")
        if len(set(names)) != len(names):
            raise self.error("has duplicate output names")


BUILTIN = Dialect("builtin", [OutputOp], doc="Graph structure.")
Graph.terminator = OutputOp

