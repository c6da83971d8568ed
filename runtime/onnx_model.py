"""The ONNX model of a Module: the top `nn` graph as a checked `ModelProto`.

The ONNX emitter writes it (`axc.backends.onnx_export`) and the ONNX Runtime runner runs it
(`axc.runtime.onnx_run`); approx ops are expanded first, on a copy (`axc.runtime.lowering`).

`nn.constant` ops become initializers, other `nn` ops nodes of their `onnx_type`, `nn.opaque`
nodes of their recorded `op_type`/`domain`; attributes are typed by the op schema where the IR
value is ambiguous. Model facts saved by the importer (`module.attributes["onnx"]`: opset
imports, IR version, producer, doc strings, metadata, functions) are restored, so an unmodified
round trip gives the same graph and ONNX Runtime's outputs bit for bit.

Opset: the module's own opset is kept unless a feature needs a newer one (QuantizeLinear needs
10, a per-channel `axis` 13, 4-bit and 16-bit QDQ types 21, 2-bit types 25); then the model is
built at the old opset with those nodes parked in a private domain, raised with
`onnx.version_converter`, the nodes put back, and a note says so. The model must pass
`onnx.checker.check_model(full_check=True)`, else `InputError`.
"""

from __future__ import annotations

import base64
import functools
import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import onnx
from axc.ir import Graph, InputError, Module, NameLoc, Op, TensorType, Value
from axc.ir.dialects import nn
from axc.ir.dtypes import ONNX_OF_DTYPE
from onnx import FunctionProto, ModelProto, NodeProto, helper

from .lowering import has_approx_ops, lower_approx
from .onnx_encode import attr_to_onnx, tensor_from_array

__all__ = ["DEFAULT_OPSET", "RUNTIME_IR_VERSION", "ExportResult", "export_model", "required_opset"]

DEFAULT_OPSET = 17
"""Opset of modules that did not come from ONNX."""

RUNTIME_IR_VERSION = 10
"""Newer IR versions are lowered to this (or the least the opsets need) so that ONNX Runtime
1.18 and later load the model; the IR versions past 10 add nothing the exporter writes."""

_PARKED_DOMAIN = "axc.parked"
_BOOKKEEPING = ("_empty_inputs", "_empty_outputs", "_captures")


def _schema_attributes(op_type: str, domain: str, opset: int) -> set[str] | None:
    """Attribute names the standard op schema declares (None for custom domains/unknown ops).

    IR-only attributes on standard ops (such as the `quant` integer view of quantized layers)
    are not ONNX attributes and are left out of the model.
    """
    if domain not in ("", "ai.onnx"):
        return None
    try:
        return set(onnx.defs.get_schema(op_type, opset, "").attributes)
    except Exception:  # an op this onnx version does not know: write everything
        return None


@dataclass
class ExportResult:
    """The model and what the exporter changed on the way (opset upgrades)."""

    model: ModelProto
    notes: list[str] = field(default_factory=list)


def _tensor_value_info(name: str, t: Any) -> onnx.ValueInfoProto:
    if not isinstance(t, TensorType):
        raise InputError(f"value '{name}' has type {t}, not a tensor")
    dims = [None if d == "?" else d for d in t.shape]
    return helper.make_tensor_value_info(name, ONNX_OF_DTYPE[t.dtype], dims)


def _qdq_opset(op: Op) -> tuple[int, str]:
    """The opset a QuantizeLinear/DequantizeLinear op needs and why."""
    qtype = op.result.type if isinstance(op, nn.QuantizeOp) else op.operand(0).type
    if len(op.operands) > 2:
        qtype = op.operand(2).type
    dtype = qtype.dtype if isinstance(qtype, TensorType) else "u8"
    if dtype in ("i2", "u2"):
        return 25, f"2-bit {op.onnx_type}"
    if dtype in ("i4", "u4", "i16", "u16") or "block_size" in op.attributes or "output_dtype" in op.attributes:
        return 21, f"{dtype} {op.onnx_type}"
    scale = op.operand(1).type
    per_channel = isinstance(scale, TensorType) and scale.rank > 0 and scale.numel != 1
    if "axis" in op.attributes or per_channel:
        return 13, f"per-channel {op.onnx_type} (axis)"
    return 10, op.onnx_type


@functools.cache
def _first_opset(op_type: str) -> int:
    """The default-domain opset that introduced `op_type` (1 when unknown)."""
    versions = [s.since_version for s in onnx.defs.get_all_schemas_with_history()
                if s.name == op_type and s.domain == ""]
    return min(versions, default=1)


def required_opset(module: Module) -> tuple[int, str]:
    """The lowest default-domain opset the module's features need, and the feature."""
    need, why = 1, ""
    for op in module.top_graph.ops:
        if isinstance(op, nn.QuantizeOp | nn.DequantizeOp):
            n, reason = _qdq_opset(op)
        elif isinstance(op, nn.OpaqueOp) and op.attr("domain", "") in ("", "ai.onnx"):
            n, reason = _first_opset(str(op.attr("op_type"))), str(op.attr("op_type"))
        else:
            continue
        if n > need:
            need, why = n, reason
    return need, why


class _Names:
    def __init__(self) -> None:
        self.used: set[str] = set()
        self.of: dict[Value, str] = {}

    def claim(self, value: Value, base: str | None) -> str:
        if value in self.of:
            return self.of[value]
        base = base or "t"
        name, i = base, 1
        while name in self.used:
            name, i = f"{base}_{i}", i + 1
        self.used.add(name)
        self.of[value] = name
        return name

    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self.used:
            name, i = f"{base}_{i}", i + 1
        self.used.add(name)
        return name


class _Exporter:
    def __init__(self, module: Module, opset: int) -> None:
        self.module = module
        self.graph = module.top_graph
        self.opset = opset
        self.names = _Names()
        self.nodes: list[NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def name_values(self, order: list[Op]) -> None:
        g = self.graph
        for v in g.inputs:
            self.names.claim(v, v.name)
        for op in order:
            captures = op.attr("_captures", ())
            for name, v in zip(captures, op.operands[len(op.operands) - len(captures) :]):
                self.names.claim(v, name)
        for name, v in zip(g.output_names, g.outputs):
            if v.owner is not None and name not in self.names.used:
                self.names.claim(v, name)
        for op in order:
            for r in op.results:
                self.names.claim(r, r.name or f"{op.name.split('.')[-1]}_out")

    def attributes(self, op: Op, op_type: str, domain: str) -> list[onnx.AttributeProto]:
        skip = {"op_type", "domain"} if isinstance(op, nn.OpaqueOp) else set()
        known = _schema_attributes(op_type, domain, self.opset)
        out = []
        for key, value in op.attributes.items():
            if key in skip or key in _BOOKKEEPING or (known is not None and key not in known):
                continue
            try:
                out.append(attr_to_onnx(key, value, op_type, domain, self.opset if domain in ("", "ai.onnx") else None))
            except (TypeError, ValueError) as exc:
                raise InputError(f"attribute '{key}' of '{op.name}' cannot be written to ONNX: {exc}", op.loc) from None
        return out

    def emit_op(self, op: Op) -> None:
        if isinstance(op, nn.ConstantOp):
            t = op.result.type
            self.initializers.append(tensor_from_array(op.attr("value").array, t.dtype, self.names.of[op.result]))
            return
        if isinstance(op, nn.OpaqueOp):
            op_type, domain = op.attr("op_type"), op.attr("domain", "")
        elif op.dialect == "nn" and getattr(op, "onnx_type", ""):
            op_type, domain = op.onnx_type, ""
        else:
            raise InputError(f"'{op.name}' has no ONNX form; lower it before writing ONNX", op.loc)
        n_captured = len(op.attr("_captures", ()))
        inputs = [self.names.of[v] for v in op.operands[: len(op.operands) - n_captured]]
        for i in op.attr("_empty_inputs", ()):
            inputs.insert(i, "")
        outputs = [self.names.of[r] for r in op.results]
        for i in op.attr("_empty_outputs", ()):
            outputs[i] = ""
        for name, v in zip(op.attr("_captures", ()), op.operands[len(op.operands) - n_captured :]):
            if self.names.of[v] != name:
                self.nodes.append(helper.make_node("Identity", [self.names.of[v]], [name]))
        node = helper.make_node(
            op_type, inputs, outputs, name=op.loc.name if isinstance(op.loc, NameLoc) else "", domain=domain
        )
        node.attribute.extend(self.attributes(op, op_type, domain))
        self.nodes.append(node)

    def build(self, facts: Mapping[str, Any], opset_import: dict[str, int], ir_version: int) -> ModelProto:
        order = _insertion_topo_order(self.graph)
        self.name_values(order)
        for op in order:
            self.emit_op(op)
        inputs = [_tensor_value_info(self.names.of[v], v.type) for v in self.graph.inputs]
        outputs = []
        for name, v in zip(self.graph.output_names, self.graph.outputs):
            if self.names.of[v] != name:
                if name in self.names.used:
                    name = self.names.fresh(name)
                self.nodes.append(helper.make_node("Identity", [self.names.of[v]], [name]))
            outputs.append(_tensor_value_info(name, v.type))
        if ir_version < 4:
            consts = {self.names.of[op.result]: op.result.type for op in order if isinstance(op, nn.ConstantOp)}
            inputs += [_tensor_value_info(n, t) for n, t in consts.items()]
        graph = helper.make_graph(
            self.nodes, facts.get("graph_name") or self.graph.name, inputs, outputs, self.initializers,
            doc_string=facts.get("graph_doc_string") or None,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid(d, v) for d, v in opset_import.items()],
            producer_name=facts.get("producer_name") or "axc-opt",
            producer_version=facts.get("producer_version", ""),
            domain=facts.get("domain", ""),
            model_version=int(facts.get("model_version", 0)),
            doc_string=facts.get("doc_string", ""),
        )
        model.ir_version = ir_version
        for key, value in dict(facts.get("metadata_props", {})).items():
            model.metadata_props.add(key=key, value=value)
        for text in facts.get("functions", ()):
            fn = FunctionProto()
            fn.ParseFromString(base64.b64decode(text))
            model.functions.append(fn)
        return model


def _insertion_topo_order(graph: Graph) -> list[Op]:
    """A dependency order that keeps insertion order wherever it is already valid.

    ONNX Runtime's fusions can depend on node order, so an untouched graph is written in the
    order it was read to keep its outputs bit-identical.
    """
    position = {op: i for i, op in enumerate(graph.ops)}
    waiting = {op: sum(1 for v in op.operands if v.owner in position) for op in position}
    ready = [(i, op) for op, i in position.items() if waiting[op] == 0]
    heapq.heapify(ready)
    order: list[Op] = []
    while ready:
        _, op = heapq.heappop(ready)
        order.append(op)
        for r in op.results:
            for use in r.uses:
                if use.op in waiting:
                    waiting[use.op] -= 1
                    if waiting[use.op] == 0:
                        heapq.heappush(ready, (position[use.op], use.op))
    if len(order) != len(position):
        return graph.topo_order()
    return order


def _drop_initializer_inputs(model: ModelProto) -> None:
    """IR version 4 and later do not list initializers as inputs (listed ones are overridable)."""
    if model.ir_version < 4:
        return
    constant = {t.name for t in model.graph.initializer}
    keep = [vi for vi in model.graph.input if vi.name not in constant]
    del model.graph.input[:]
    model.graph.input.extend(keep)


def _min_ir_version(opset_import: dict[str, int]) -> int:
    ids = [helper.make_opsetid(d, v) for d, v in opset_import.items() if d in ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.training")]
    return helper.find_min_ir_version_for(ids, ignore_unknown=True)


def _upgrade(model: ModelProto, target: int) -> ModelProto:
    """Raise the default-domain opset, converting nodes parked in a private domain afterwards."""
    current = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    parked = [n for n in model.graph.node if n.domain in ("", "ai.onnx") and (
        n.op_type in ("QuantizeLinear", "DequantizeLinear") or _first_opset(n.op_type) > current)]
    for n in parked:
        n.domain = _PARKED_DOMAIN
    model.opset_import.append(helper.make_opsetid(_PARKED_DOMAIN, 1))
    converted = onnx.version_converter.convert_version(model, target)
    for n in converted.graph.node:
        if n.domain == _PARKED_DOMAIN:
            n.domain = ""
    keep = [o for o in converted.opset_import if o.domain != _PARKED_DOMAIN]
    del converted.opset_import[:]
    converted.opset_import.extend(keep)
    return converted


def export_model(module: Module, opset: int | None = None) -> ExportResult:
    """Build and check the ONNX model of `module` (see the module docstring)."""
    if module.top is None or module.top_graph.kind != "nn":
        raise InputError("only a network ('nn' graph) can be written as ONNX")
    if has_approx_ops(module):
        module = module.clone()
        lower_approx(module)
    facts: Mapping[str, Any] = module.attributes.get("onnx") or {}
    opset_import = {d: int(v) for d, v in dict(facts.get("opset_import", {})).items()}
    default_key = next((d for d in opset_import if d in ("", "ai.onnx")), "")
    current = opset_import.get(default_key, DEFAULT_OPSET)
    opset_import[default_key] = current
    need, why = required_opset(module)
    target = max(current, need, opset or 0)
    notes: list[str] = []
    ir_version = int(facts.get("ir_version", 0)) or _min_ir_version(opset_import)
    if ir_version > RUNTIME_IR_VERSION:
        ir_version = max(RUNTIME_IR_VERSION, _min_ir_version(opset_import))
    model = _Exporter(module, current).build(facts, opset_import, ir_version)
    if target > current:
        try:
            model = _upgrade(model, target)
        except Exception as exc:
            raise InputError(f"cannot upgrade the model from opset {current} to {target}: {str(exc).splitlines()[0]}") from None
        notes.append(f"opset upgraded {current} -> {target} with onnx.version_converter" + (f" ({why} needs opset {need})" if need == target else ""))
        final_opsets = {o.domain: o.version for o in model.opset_import}
        model.ir_version = max(int(model.ir_version), _min_ir_version(final_opsets))
        _drop_initializer_inputs(model)
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise InputError(f"the emitted ONNX model is invalid: {str(exc).splitlines()[0]}") from None
    return ExportResult(model, notes)
