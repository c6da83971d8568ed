"""ONNX frontend: a model file becomes a Module with one `nn` graph.

Nodes of the ops the `nn` dialect knows (Conv, Gemm, ..., QuantizeLinear) become those op
classes with their ONNX attributes copied under the ONNX names; initializers and `Constant`
nodes become `nn.constant`; every other node becomes `nn.opaque{op_type, domain, ...}` so a round
trip through `axc.runtime.onnx_model` loses nothing. Value types come from ONNX shape
inference (symbolic dimensions stay strings). Node names become `NameLoc` locations, tensor names
become value name hints.

Bookkeeping attributes (leading underscore, never ONNX names): `_empty_inputs` / `_empty_outputs`
(positions of ONNX inputs/outputs given as "" in the middle of a node's list), `_captures` (for
nodes with subgraphs: outer values the subgraphs read by name; they are appended to the operands).
Model facts (opset imports, IR version, producer, doc strings, metadata, model-local functions)
live in `module.attributes["onnx"]` so the exporter can restore them.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from axc.ir import (
    DenseArray,
    FileLoc,
    Graph,
    InputError,
    Module,
    NameLoc,
    Op,
    ParseError,
    TensorType,
    Value,
)
from axc.ir.dialects import nn
from google.protobuf.message import DecodeError
from onnx import GraphProto, ModelProto, NodeProto, TensorProto
from onnx.external_data_helper import load_external_data_for_model

from .limits import Limits
from .onnx_sizes import check_model_sizes, shape_problem
from .onnx_values import array_from_tensor, attr_from_onnx, tensor_type_from_proto

__all__ = ["MIN_OPSET", "NN_OP_OF_ONNX", "import_model", "load_onnx", "read_model"]

MIN_OPSET = 7
"""Oldest default-domain opset imported as is; older models are converted up to it."""

NN_OP_OF_ONNX: dict[str, type[Op]] = {
    cls.onnx_type: cls for cls in nn.NN_OPS if cls.onnx_type and cls is not nn.ConstantOp
}
"""ONNX op type (default domain) -> `nn` op class."""

_DEFAULT_DOMAINS = ("", "ai.onnx")


def load_onnx(path: str, options: dict[str, Any] | None = None) -> Module:
    """Read an ONNX model file into a Module (the `onnx` format loader); `options` may set the
    size limits (`max_tensor_elements`, `max_nodes`, `max_depth`: `axc.frontend.limits`)."""
    limits = Limits.of(options)
    return import_model(read_model(path, limits), filename=str(path), limits=limits)


def _invalid(exc: Exception, where: FileLoc) -> ParseError:
    """The one-line error for a model file onnx cannot read."""
    return ParseError(f"not a valid ONNX model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", where)


def read_model(path: str, limits: Limits | None = None) -> ModelProto:
    """Parse an ONNX file; one-line `InputError`/`ParseError` when it is missing, corrupt or over
    a size limit. External data is read only after every declared size is checked (onnx refuses
    locations outside the model's folder and symlinks)."""
    where = FileLoc(str(path), 1, 1)
    p = Path(path)
    if not p.is_file():
        raise InputError(f"cannot read '{path}': no such file", where)
    errors = (DecodeError, RuntimeError, ValueError, OSError, onnx.checker.ValidationError)
    try:
        model = onnx.load(str(p), load_external_data=False)
    except errors as exc:
        raise _invalid(exc, where) from None
    if not model.opset_import and not model.graph.node and not model.graph.output:
        raise ParseError("not a valid ONNX model: no graph and no opset imports", where)
    _check_text(model, where)
    check_model_sizes(model, limits or Limits.of(), where, str(p.parent))
    try:
        load_external_data_for_model(model, str(p.parent))
    except errors as exc:
        raise _invalid(exc, where) from None
    return model


def _check_text(model: ModelProto, where: FileLoc) -> None:
    """A ParseError when a name of the main graph is not UTF-8 text (protobuf then gives bytes)."""
    g = model.graph
    names = [g.name, *(i.domain for i in model.opset_import)]
    names += [vi.name for vi in (*g.input, *g.output, *g.value_info)] + [t.name for t in g.initializer]
    for node in g.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output, *(a.name for a in node.attribute)]
    bad = next((n for n in names if not isinstance(n, str)), None)
    if bad is not None:
        raise ParseError(f"not a valid ONNX model: the name {bad[:40]!r} is not UTF-8 text", where)


def _default_opset(model: ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in _DEFAULT_DOMAINS:
            return int(imp.version)
    return 1


def _b64(message: Any) -> str:
    return base64.b64encode(message.SerializeToString()).decode("ascii")


def _model_facts(model: ModelProto) -> dict[str, Any]:
    return {
        "ir_version": int(model.ir_version),
        "opset_import": {imp.domain: int(imp.version) for imp in model.opset_import},
        "producer_name": model.producer_name,
        "producer_version": model.producer_version,
        "domain": model.domain,
        "model_version": int(model.model_version),
        "doc_string": model.doc_string,
        "metadata_props": {p.key: p.value for p in model.metadata_props},
        "graph_name": model.graph.name,
        "graph_doc_string": model.graph.doc_string,
        "functions": tuple(_b64(f) for f in model.functions),
    }


def _symbol(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned if cleaned and not cleaned[0].isdigit() else "main"


def _infer_types(model: ModelProto, limits: Limits) -> tuple[dict[str, TensorType], dict[str, str]]:
    """The inferred type of each value, and why a value has none (a negative dimension, more
    elements than `max_tensor_elements`, ...)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception:  # inference is advisory: an op it cannot type keeps the fallback type
        inferred = model
    types: dict[str, TensorType] = {}
    impossible: dict[str, str] = {}
    g = inferred.graph
    for vi in [*g.value_info, *g.input, *g.output]:
        try:
            t = tensor_type_from_proto(vi.type)
        except ValueError as exc:
            impossible[vi.name] = str(exc)
            continue
        problem = None if t is None else shape_problem(t.shape, limits)
        if problem is not None:
            impossible[vi.name] = problem
        elif t is not None:
            types[vi.name] = t
    return types, impossible


def _subgraphs(node: NodeProto) -> list[GraphProto]:
    found: list[GraphProto] = []
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            found.append(a.g)
        elif a.type == onnx.AttributeProto.GRAPHS:
            found.extend(a.graphs)
    return found


def _free_names(graph: GraphProto) -> list[str]:
    """Names a subgraph reads from enclosing scopes."""
    defined = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    defined |= {s.values.name for s in graph.sparse_initializer}
    free: dict[str, None] = {}
    for node in graph.node:
        reads = [x for x in node.input if x]
        for sub in _subgraphs(node):
            reads.extend(_free_names(sub))
        for x in reads:
            if x not in defined:
                free[x] = None
        defined.update(o for o in node.output if o)
    for o in graph.output:
        if o.name not in defined:
            free[o.name] = None
    return list(free)


def _constant_value(node: NodeProto, base_dir: str | None) -> tuple[np.ndarray, str]:
    if len(node.attribute) != 1:
        raise ValueError("a Constant node needs exactly one value attribute")
    a = node.attribute[0]
    if a.name == "value":
        return array_from_tensor(a.t, base_dir)
    if a.name == "sparse_value":
        values, dtype = array_from_tensor(a.sparse_tensor.values, base_dir)
        indices, _ = array_from_tensor(a.sparse_tensor.indices, base_dir)
        dense = np.zeros(tuple(a.sparse_tensor.dims), dtype=values.dtype)
        flat_index = indices if indices.ndim == 1 else np.ravel_multi_index(indices.T, dense.shape)
        dense.reshape(-1)[flat_index] = values
        return dense, dtype
    simple = {
        "value_float": (lambda: np.float32(a.f), "f32"),
        "value_floats": (lambda: np.array(a.floats, np.float32), "f32"),
        "value_int": (lambda: np.int64(a.i), "i64"),
        "value_ints": (lambda: np.array(a.ints, np.int64), "i64"),
        "value_string": (lambda: np.str_(a.s.decode()), "str"),
        "value_strings": (lambda: np.array([s.decode() for s in a.strings], np.str_), "str"),
    }
    if a.name not in simple:
        raise ValueError(f"unknown Constant attribute '{a.name}'")
    make, dtype = simple[a.name]
    return np.asarray(make()), dtype


class _Importer:
    def __init__(self, model: ModelProto, filename: str, limits: Limits) -> None:
        self.model = model
        self.filename = filename
        self.base_dir = str(Path(filename).parent) if filename else None
        self.types, self.impossible = _infer_types(model, limits)
        self.env: dict[str, Value] = {}

    def where(self) -> FileLoc:
        return FileLoc(self.filename, 1, 1)

    def run(self) -> Module:
        g_proto = self.model.graph
        module = Module({"onnx": _model_facts(self.model)})
        graph = Graph(_symbol(g_proto.name), kind="nn")
        module.add_graph(graph, top=True)
        init_names = {t.name for t in g_proto.initializer} | {s.values.name for s in g_proto.sparse_initializer}
        for vi in g_proto.input:
            if vi.name in init_names:
                continue
            if vi.name in self.impossible:
                raise InputError(f"graph input '{vi.name}': {self.impossible[vi.name]}", self.where())
            t = tensor_type_from_proto(vi.type)
            if t is None:
                raise InputError(f"graph input '{vi.name}' is not a tensor with a known element type", self.where())
            self.env[vi.name] = graph.add_input(vi.name, t)
        if not graph.inputs:
            raise InputError("the model has no inputs (every graph input is an initializer)", self.where())
        for tensor in g_proto.initializer:
            self.add_constant(graph, tensor.name, *self.array(tensor), NameLoc(tensor.name))
        for sparse in g_proto.sparse_initializer:
            node = onnx.helper.make_node("Constant", [], [sparse.values.name], sparse_value=sparse)
            self.add_constant(graph, sparse.values.name, *self.array_of_constant(node), NameLoc(sparse.values.name))
        for node in g_proto.node:
            self.add_node(graph, node)
        outputs = []
        names = [vi.name for vi in g_proto.output]
        for name in names:
            if names.count(name) > 1:
                raise ParseError(f"graph output '{name}' is listed twice", self.where())
        for vi in g_proto.output:
            if vi.name not in self.env:
                raise ParseError(f"graph output '{vi.name}' is produced by no node", self.where())
            outputs.append(self.env[vi.name])
        graph.set_outputs(outputs, [vi.name for vi in g_proto.output])
        return module

    def array(self, tensor: TensorProto) -> tuple[np.ndarray, str]:
        try:
            return array_from_tensor(tensor, self.base_dir)
        except (ValueError, OSError, onnx.checker.ValidationError) as exc:
            raise InputError(f"tensor '{tensor.name}': {str(exc).strip()}", self.where()) from None

    def array_of_constant(self, node: NodeProto) -> tuple[np.ndarray, str]:
        try:
            return _constant_value(node, self.base_dir)
        except (ValueError, OSError, onnx.checker.ValidationError) as exc:
            raise InputError(f"Constant node '{node.name}': {str(exc).strip()}", self.where()) from None

    def add_constant(self, graph: Graph, name: str, array: np.ndarray, dtype: str, loc: NameLoc | None) -> None:
        t = TensorType(tuple(int(d) for d in array.shape), dtype)
        op = graph.create(nn.ConstantOp, [], [t], {"value": DenseArray(array)}, loc=loc, names=[name])
        self.env[name] = op.result

    def result_type(self, name: str) -> TensorType:
        return self.types.get(name) or TensorType(("?",), "f32")

    def add_node(self, graph: Graph, node: NodeProto) -> None:
        loc = NameLoc(node.name) if node.name else None
        default_domain = node.domain in _DEFAULT_DOMAINS
        if default_domain and node.op_type == "Constant":
            self.add_constant(graph, node.output[0], *self.array_of_constant(node), loc)
            return
        inputs = list(node.input)
        while inputs and not inputs[-1]:
            inputs.pop()
        outputs = list(node.output)
        while outputs and not outputs[-1]:
            outputs.pop()
        for x in outputs:
            if x in self.impossible:
                raise InputError(f"node '{node.name or node.op_type}': output '{x}' gets {self.impossible[x]} "
                                 "(do its attributes, such as kernel_shape or pads, fit its inputs?)", self.where())
        empty_in = tuple(i for i, x in enumerate(inputs) if not x)
        empty_out = tuple(i for i, x in enumerate(outputs) if not x)
        subgraphs = _subgraphs(node)
        captures = [x for sg in subgraphs for x in _free_names(sg)]
        captures = [x for x in dict.fromkeys(captures) if x in self.env]
        attrs: dict[str, Any] = {a.name: attr_from_onnx(a) for a in node.attribute}
        op_class = NN_OP_OF_ONNX.get(node.op_type) if default_domain else None
        if op_class is not None and (empty_in or len(outputs) != 1 or subgraphs):
            op_class = None
        if op_class is None:
            op_class = nn.OpaqueOp
            attrs = {"op_type": node.op_type, "domain": node.domain, **attrs}
            if empty_in:
                attrs["_empty_inputs"] = empty_in
            if empty_out:
                attrs["_empty_outputs"] = empty_out
            if captures:
                attrs["_captures"] = tuple(captures)
        operands = []
        for x in [*[x for x in inputs if x], *captures]:
            if x not in self.env:
                raise ParseError(f"node '{node.name or node.op_type}' reads '{x}', which nothing defines before it", self.where())
            operands.append(self.env[x])
        names = [x or None for x in outputs]
        op = graph.create(op_class, operands, [self.result_type(x) for x in outputs], attrs, loc=loc, names=names)
        for x, r in zip(outputs, op.results):
            if x:
                self.env[x] = r


def import_model(model: ModelProto, filename: str = "<model>", limits: Limits | None = None) -> Module:
    """Translate an in-memory ONNX model (see the module docstring) within `limits` (default:
    `Limits.of()`)."""
    where = FileLoc(filename, 1, 1)
    limits = limits or Limits.of()
    check_model_sizes(model, limits, where)
    if not model.opset_import:
        raise ParseError("the model imports no opset", where)
    opset = _default_opset(model)
    if opset > onnx.defs.onnx_opset_version():
        raise InputError(f"opset {opset} is newer than the newest this onnx package knows "
                         f"({onnx.defs.onnx_opset_version()})", where)
    if opset < MIN_OPSET:
        try:
            model = onnx.version_converter.convert_version(model, MIN_OPSET)
        except Exception as exc:
            raise InputError(f"opset {opset} is older than {MIN_OPSET} and could not be converted: {exc}", where) from None
    return _Importer(model, filename, limits).run()
