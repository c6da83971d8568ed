"""The `hw` dialect: circuit structure.

A circuit graph (`kind="hw"`) has bit-vector inputs and outputs (its ports). A bit-level netlist
reaches its port bits with `hw.split` (an `iN` into N `i1`, result 0 is bit 0) and builds output
ports with `hw.join` (N `i1` into an `iN`, operand 0 is bit 0). `hw.instance` calls another graph
of the module (before flattening).
"""

from __future__ import annotations

from typing import ClassVar

from ..core import Op
from ..dialect import AttrDef, Dialect
from ..types import IntType

__all__ = ["HW", "InstanceOp", "JoinOp", "SplitOp"]


class SplitOp(Op):
    """The bits of a bit-vector: result i is bit i (LSB first)."""

    name = "hw.split"
    num_operands = 1
    num_results = (1, None)
    operand_type = IntType
    result_type = IntType

    def verify_(self) -> None:
        w = self.operand(0).type.width
        if len(self.results) != w or any(r.type.width != 1 for r in self.results):
            raise self.error(f"must split an i{w} into {w} i1 results")


class JoinOp(Op):
    """A bit-vector from bits: operand i becomes bit i (LSB first)."""

    name = "hw.join"
    num_operands = (1, None)
    num_results = 1
    operand_type = IntType
    result_type = IntType

    def verify_(self) -> None:
        if any(v.type.width != 1 for v in self.operands):
            raise self.error("operands must be i1")
        if self.result.type.width != len(self.operands):
            raise self.error(f"result must be i{len(self.operands)}")


class InstanceOp(Op):
    """An instance of graph `@callee`: operands are its inputs, results its outputs, in order."""

    name = "hw.instance"
    num_operands = (0, None)
    num_results = (0, None)
    attr_defs: ClassVar = {
        "callee": AttrDef(str, doc="name of the instantiated graph"),
        "instance": AttrDef(str, required=False, doc="instance name"),
    }

    def verify_(self) -> None:
        graph = self.graph
        module = graph.module if graph is not None else None
        if module is None:
            return
        callee = self.attr("callee")
        if callee not in module.graphs:
            raise self.error(f"instantiates unknown graph @{callee}")
        target = module.graphs[callee]
        if [v.type for v in self.operands] != [v.type for v in target.inputs]:
            raise self.error(f"operand types do not match the inputs of @{callee}")
        if [v.type for v in self.results] != [v.type for v in target.outputs]:
            raise self.error(f"result types do not match the outputs of @{callee}")


HW = Dialect("hw", [SplitOp, JoinOp, InstanceOp], doc="Circuit structure: ports, instances.")
