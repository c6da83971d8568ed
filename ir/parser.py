"""The IR parser: text (grammar `syntax.lark`) back into a `Module`.

Ops may appear in any order inside a graph (it is a dataflow region); every use must name a
value defined somewhere in the same graph. Errors are `ParseError`s located at `file:line:col`
with the source line and a caret. Attribute values nest at most `MAX_ATTR_DEPTH` lists or
dictionaries deep; integers are decimal or hexadecimal (`0x...`, as the printer writes large ones).

Size limits come as loader options (`load_ir(path, {"max_bus_width": ...})`, filled in by
`axc.load` from `axc.frontend.limits`): `max_bus_width` (widest `iN` type; else
`IntType.MAX_WIDTH`), `max_depth` (attribute nesting; else `MAX_ATTR_DEPTH`),
`max_tensor_elements` (elements of a tensor type, dense or sidecar tensor) and `max_nodes` (ops);
each refusal is located at the token. A sidecar's arrays are checked (no objects, at most
`MAX_SIDECAR_BYTES` in all, then dtype and shape against the `dense_resource` that names them)
before any is decompressed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedInput,
    v_args,
)
from lark.exceptions import VisitError

from .attributes import DenseArray, FrozenDict, TruthTable
from .core import Graph, Module, Value
from .diagnostics import AxcError, FileLoc, NameLoc, ParseError
from .dialect import lookup_op
from .parse_errors import bad_value, syntax_error, too_deep
from .printer import sidecar_path
from .sidecar import Tensors, check_sidecar, member_reader, tensor_elements
from .types import IntType, TensorType, parse_type_text

__all__ = ["MAX_ATTR_DEPTH", "Tensors", "load_ir", "parse_module"]

MAX_ATTR_DEPTH = 64
"""The deepest nesting of lists and dictionaries in one attribute value."""

_LIMIT_OPTIONS = frozenset({"max_bus_width", "max_depth", "max_tensor_elements", "max_nodes"})
"""The loader options `load_ir` passes on as size limits."""

_MAX_DECIMAL_DIGITS = 4000
"""Longest decimal integer read (Python refuses longer ones); larger values are written in hex."""

_DTYPE_TO_NUMPY = {
    "f16": np.float16, "f32": np.float32, "f64": np.float64,
    "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
    "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64, "bool": np.bool_,
}


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "syntax.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True)


def _unquote(text: str) -> str:
    return json.loads(text)


def _nesting(value: Any, limit: int) -> int:
    """How deep lists and dictionaries nest in an attribute value, counted up to `limit`."""
    if limit <= 0 or not isinstance(value, tuple | FrozenDict):
        return 0
    children = value.values() if isinstance(value, FrozenDict) else value
    return 1 + max((_nesting(c, limit - 1) for c in children), default=0)


def _name_of(tok: Token) -> str:
    text = str(tok)[1:]
    return _unquote(text) if text.startswith('"') else text


class _Build(Transformer):
    """Turns the parse tree into plain records; `_Assembler` builds the IR from them."""

    def __init__(self, filename: str, source: str, resources: Tensors, limits: Mapping[str, int]):
        super().__init__()
        self.filename = filename
        self.source = source
        self.resources = resources
        self.max_width = limits.get("max_bus_width", IntType.MAX_WIDTH)
        self.max_depth = limits.get("max_depth", MAX_ATTR_DEPTH)
        self.max_elements = limits.get("max_tensor_elements")
        self.max_ops = limits.get("max_nodes")
        self.ops = 0

    def _loc(self, tok: Any) -> FileLoc:
        return FileLoc(self.filename, getattr(tok, "line", 1) or 1, getattr(tok, "column", 1) or 1)

    def _fail(self, message: str, tok: Any) -> None:
        raise ParseError(message, self._loc(tok), source=self.source, span=len(str(tok)))

    # -- leaves ----------------------------------------------------------------------------
    def value(self, items: list[Token]) -> tuple[str, FileLoc]:
        return _name_of(items[0]), self._loc(items[0])

    def symbol(self, items: list[Token]) -> str:
        return _name_of(items[0])

    def name(self, items: list[Token]) -> str:
        tok = items[0]
        return _unquote(str(tok)) if tok.type == "STRING" else str(tok)

    def type(self, items: list[Token]) -> Any:
        text = str(items[0])
        if text.startswith("i") and text[1:].isdigit() and int(text[1:]) > self.max_width:
            self._fail(f"bit-vector width {text[1:]} is above the limit of {self.max_width} bits "
                       "(--max-bus-width)", items[0])
        try:
            found = parse_type_text(text)
        except ValueError as exc:
            self._fail(str(exc), items[0])
        if isinstance(found, TensorType):
            self._checktensor_elements(found.shape, items[0])
        return found

    def _checktensor_elements(self, shape: Any, tok: Any) -> None:
        """A ParseError at `tok` for a shape of more than `max_tensor_elements` elements."""
        count = tensor_elements(shape)
        if self.max_elements is not None and count > self.max_elements:
            self._fail(f"a tensor of {count} elements: above the limit of {self.max_elements} "
                       "(--max-tensor-elements)", tok)

    def shape(self, items: list[Token | None]) -> tuple[int, ...]:
        return tuple(int(t) for t in items if t is not None)

    def int_attr(self, items: list[Token]) -> int:
        text = str(items[0])
        if "x" in text:
            return int(text, 16)
        if len(text.lstrip("-")) > _MAX_DECIMAL_DIGITS:
            self._fail(f"decimal integer of {len(text.lstrip('-'))} digits: write integers longer than "
                       f"{_MAX_DECIMAL_DIGITS} digits in hexadecimal (0x...)", items[0])
        return int(text)

    def float_attr(self, items: list[Token]) -> float:
        return float(items[0])

    def str_attr(self, items: list[Token]) -> str:
        return _unquote(str(items[0]))

    def true_attr(self, _: list) -> bool:
        return True

    def false_attr(self, _: list) -> bool:
        return False

    def none_attr(self, _: list) -> None:
        return None

    @v_args(meta=True)
    def list_attr(self, meta: Any, items: list) -> tuple:
        return self._shallow(tuple(items), meta)

    def _shallow(self, value: Any, meta: Any) -> Any:
        """`value`, or a ParseError at `meta` when it nests deeper than `max_depth`."""
        if _nesting(value, self.max_depth + 1) > self.max_depth:
            raise ParseError(f"attribute values nest more than {self.max_depth} lists or dictionaries deep "
                             "(--max-depth)", FileLoc(self.filename, meta.line, meta.column), source=self.source)
        return value

    def empty_list(self, _: list) -> tuple:
        return ()

    @v_args(meta=True)
    def dict(self, meta: Any, items: list) -> FrozenDict:
        entries = [e for e in items if e is not None]
        keys = [k for k, _ in entries]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise ParseError(f"duplicate attribute '{dup}'", FileLoc(self.filename, meta.line, meta.column),
                             source=self.source)
        return self._shallow(FrozenDict(dict(entries)), meta)

    def entry(self, items: list) -> tuple[str, Any]:
        return items[0], items[1]

    def tt_attr(self, items: list[Token]) -> TruthTable:
        try:
            return TruthTable(int(items[0]), int(str(items[1]), 16))
        except ValueError as exc:
            self._fail(str(exc), items[1])

    def dense_attr(self, items: list) -> DenseArray:
        dtype_tok, shape, *values = items
        dtype = _DTYPE_TO_NUMPY.get(str(dtype_tok))
        if dtype is None:
            self._fail(f"unknown tensor element type '{dtype_tok}'", dtype_tok)
        self._checktensor_elements(shape, dtype_tok)
        values = [v for v in values if v is not None]
        count = tensor_elements(shape)
        if len(values) != count:
            self._fail(f"dense tensor of shape {list(shape)} needs {count} values, got {len(values)}", dtype_tok)
        return DenseArray(np.array(values, dtype=dtype).reshape(shape))

    def resource_attr(self, items: list) -> DenseArray:
        name_tok, dtype_tok, shape = items
        name = _unquote(str(name_tok))
        self._checktensor_elements(shape, name_tok)
        if name not in self.resources.headers:
            self._fail(f"tensor resource '{name}' is not in the sidecar .npz", name_tok)
        found_shape, found_dtype = self.resources.headers[name]
        want = _DTYPE_TO_NUMPY.get(str(dtype_tok))
        if want is None or found_dtype != np.dtype(want) or tuple(found_shape) != tuple(shape):
            self._fail(f"tensor resource '{name}' is {found_dtype}{list(found_shape)} in the sidecar", name_tok)
        return DenseArray(np.asarray(self.resources.read(name)))

    def bytes_attr(self, items: list[Token]) -> bytes:
        return base64.b64decode(_unquote(str(items[0])))

    def type_attr(self, items: list) -> Any:
        return items[0]

    def file_loc(self, items: list[Token]) -> FileLoc:
        return FileLoc(_unquote(str(items[0])), int(items[1]), int(items[2]))

    def name_loc(self, items: list[Token]) -> NameLoc:
        return NameLoc(_unquote(str(items[0])))

    def attr_block(self, items: list) -> FrozenDict:
        return items[0]

    # -- structure -------------------------------------------------------------------------
    def arg(self, items: list) -> tuple:
        return items[0], items[1]

    def outport(self, items: list) -> tuple:
        return items[0], items[1]

    def count_op(self, tok: Token) -> None:
        """Count an op (not `output`); a ParseError at it past `max_nodes`."""
        if str(tok) != "output":
            self.ops += 1
            if self.max_ops is not None and self.ops > self.max_ops:
                self._fail(f"more than {self.max_ops} ops (--max-nodes)", tok)

    @v_args(meta=True)
    def op(self, meta: Any, items: list) -> dict:
        results: list = []
        rest = list(items)
        while rest and isinstance(rest[0], tuple | type(None)) and not isinstance(rest[0], Token):
            results.append(rest.pop(0))
        op_tok = rest.pop(0)
        self.count_op(op_tok)
        operands, attrs, types, loc = [], None, [], None
        for item in rest:
            if isinstance(item, tuple):
                operands.append(item)
            elif isinstance(item, FrozenDict):
                attrs = item
            elif isinstance(item, FileLoc | NameLoc):
                loc = item
            elif item is not None:
                types.append(item)
        return {
            "results": [r for r in results if r is not None],
            "name": str(op_tok),
            "tok": op_tok,
            "operands": operands,
            "attrs": attrs or FrozenDict(),
            "types": types,
            "loc": loc,
            "where": FileLoc(self.filename, meta.line, meta.column),
        }

    def graph(self, items: list) -> dict:
        kind_tok, name, *rest = items
        args = [x for x in rest if isinstance(x, tuple) and isinstance(x[0], tuple)]
        outs = [x for x in rest if isinstance(x, tuple) and isinstance(x[0], str)]
        attrs = next((x for x in rest if isinstance(x, FrozenDict)), FrozenDict())
        loc = next((x for x in rest if isinstance(x, FileLoc | NameLoc)), None)
        ops = [x for x in rest if isinstance(x, dict)]
        return {"kind": str(kind_tok)[: -len(".graph")], "name": name, "args": args, "outs": outs,
                "attrs": attrs, "loc": loc, "ops": ops, "tok": kind_tok}

    def module(self, items: list) -> dict:
        top = items[0] if isinstance(items[0], str) else None
        attrs = next((x for x in items if isinstance(x, FrozenDict)), FrozenDict())
        graphs = [x for x in items if isinstance(x, dict)]
        return {"top": top, "attrs": attrs, "graphs": graphs}

    def start(self, items: list) -> dict:
        return items[0]


class _Assembler:
    def __init__(self, filename: str, source: str):
        self.filename = filename
        self.source = source

    def fail(self, message: str, where: FileLoc, span: int = 1) -> ParseError:
        return ParseError(message, where, source=self.source, span=span)

    def module(self, rec: dict) -> Module:
        m = Module(rec["attrs"])
        for g in rec["graphs"]:
            if g["name"] in m.graphs:
                raise self.fail(f"duplicate graph @{g['name']}", self._where(g["tok"]))
            m.add_graph(self.graph(g))
        if rec["top"] is not None:
            if rec["top"] not in m.graphs:
                raise self.fail(f"top graph @{rec['top']} is not defined", FileLoc(self.filename, 1, 1))
            m.top = rec["top"]
        return m

    def _where(self, tok: Any) -> FileLoc:
        return FileLoc(self.filename, getattr(tok, "line", 1), getattr(tok, "column", 1))

    def graph(self, rec: dict) -> Graph:
        g = Graph(rec["name"], rec["kind"], rec["attrs"])
        g.loc = rec["loc"]
        env: dict[str, Value] = {}
        for (name, where), typ in rec["args"]:
            if name in env:
                raise self.fail(f"redefinition of %{name}", where, len(name) + 1)
            env[name] = g.add_input(name, typ)
        pending = [o for o in rec["ops"] if o["name"] != "output"]
        outputs = [o for o in rec["ops"] if o["name"] == "output"]
        if len(outputs) != 1:
            where = outputs[1]["where"] if len(outputs) > 1 else self._where(rec["tok"])
            raise self.fail(f"graph @{rec['name']} needs exactly one 'output' op", where)
        defined_by: dict[str, dict] = {}
        for o in pending:
            for name, where in o["results"]:
                if name in env or name in defined_by:
                    raise self.fail(f"redefinition of %{name}", where, len(name) + 1)
                defined_by[name] = o
        while pending:
            progress = []
            for o in pending:
                if all(n in env for n, _ in o["operands"]):
                    self.op(g, o, env)
                else:
                    progress.append(o)
            if len(progress) == len(pending):
                o = progress[0]
                name, where = next((n, w) for n, w in o["operands"] if n not in env)
                if name in defined_by:
                    raise self.fail(f"cyclic use of %{name}", where, len(name) + 1)
                raise self.fail(f"use of undefined value %{name}", where, len(name) + 1)
            pending = progress
        out = outputs[0]
        for name, where in out["operands"]:
            if name not in env:
                raise self.fail(f"use of undefined value %{name}", where, len(name) + 1)
        if len(out["operands"]) != len(rec["outs"]):
            raise self.fail(
                f"'output' has {len(out['operands'])} operands but the graph declares {len(rec['outs'])} outputs",
                out["where"],
            )
        values = [env[n] for n, _ in out["operands"]]
        for (port, typ), v in zip(rec["outs"], values):
            if v.type != typ:
                raise self.fail(f"output '{port}' is declared {typ} but %{v.name} is {v.type}", out["where"])
        g.set_outputs(values, [p for p, _ in rec["outs"]])
        g.output_op.loc = out["loc"]
        extra = {k: v for k, v in out["attrs"].items()}
        for k, v in extra.items():
            g.output_op.set_attr(k, v)
        return g

    def op(self, g: Graph, o: dict, env: dict[str, Value]) -> None:
        cls = lookup_op(o["name"])
        if cls is None:
            raise self.fail(f"unknown op '{o['name']}'", self._where(o["tok"]), len(o["name"]))
        if len(o["types"]) != len(o["results"]):
            raise self.fail(
                f"'{o['name']}' has {len(o['results'])} results but {len(o['types'])} types",
                o["where"],
            )
        op = g.create(
            cls,
            [env[n] for n, _ in o["operands"]],
            o["types"],
            o["attrs"].to_dict(),
            o["loc"],
            [n for n, _ in o["results"]],
        )
        for (n, _), r in zip(o["results"], op.results):
            env[n] = r


def parse_module(
    text: str, filename: str = "<string>", resources: Mapping[str, np.ndarray] | Tensors | None = None,
    limits: Mapping[str, int] | None = None,
) -> Module:
    """Parse IR text into a Module (tensors named by `dense_resource` come from `resources`),
    within the size `limits` (see the module docstring)."""
    limits = limits or {}
    if not isinstance(resources, Tensors):
        resources = Tensors.of_arrays(resources or {})
    try:
        tree = _parser().parse(text)
        rec = _Build(filename, text, resources, limits).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, AxcError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, ValueError):
            raise bad_value(exc, text, filename) from None
        raise
    except UnexpectedInput as exc:
        raise syntax_error(exc, text, filename, _parser().terminals) from None
    except RecursionError:
        raise too_deep(filename, text, limits.get("max_depth", MAX_ATTR_DEPTH)) from None
    return _Assembler(filename, text).module(rec)


def load_ir(path: str, options: dict[str, Any] | None = None) -> Module:
    """Read an `.ir` file and its `.npz` sidecar (if any)."""
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read IR file: {exc}", FileLoc(path, 1, 1)) from None
    limits = {k: v for k, v in (options or {}).items() if k in _LIMIT_OPTIONS and v is not None}
    side = sidecar_path(path)
    if not side.exists():
        return parse_module(text, path, None, limits)
    headers = check_sidecar(side)
    with np.load(side, allow_pickle=False) as data:
        return parse_module(text, path, Tensors(headers, member_reader(data, side)), limits)


