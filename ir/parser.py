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
import re
import zipfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    v_args,
)
from lark.exceptions import VisitError

from .attributes import DenseArray, FrozenDict, TruthTable
from .core import Graph, Module, Value
from .diagnostics import AxcError, FileLoc, InputError, NameLoc, ParseError
from .dialect import lookup_op
from .printer import sidecar_path
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


def _too_deep(filename: str, text: str, limit: int = MAX_ATTR_DEPTH) -> ParseError:
    """The error for attributes nested deeper than `limit`, at the bracket that goes too deep."""
    depth = 0
    pos = 0
    for m in re.finditer(r'"(?:\\.|[^"\\])*"|[\[\]{}]', text):
        mark = m.group()
        depth += 1 if mark in "[{" else -1 if mark in "]}" else 0
        if depth > limit:
            pos = m.start()
            break
    line = text.count("\n", 0, pos) + 1
    col = pos - text.rfind("\n", 0, pos)
    return ParseError(f"attribute values nest more than {limit} lists or dictionaries deep (--max-depth)",
                      FileLoc(filename, line, col), source=text)


class Tensors:
    """The tensors `dense_resource` attributes name: each one's shape and dtype known up front,
    its data read (for a sidecar: decompressed) only when an attribute that matches it asks."""

    def __init__(self, headers: Mapping[str, tuple[tuple[int, ...], np.dtype]],
                 read: Callable[[str], np.ndarray]) -> None:
        self.headers = dict(headers)
        self.read = read

    @classmethod
    def of_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Tensors:
        """Tensors already in memory."""
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        return cls({k: (tuple(a.shape), a.dtype) for k, a in arrays.items()}, arrays.__getitem__)


def _elements(shape: Any) -> int:
    """Elements of a shape (symbolic dimensions count as 1)."""
    count = 1
    for d in shape:
        count *= d if isinstance(d, int) and d > 0 else 1
    return count


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
            self._check_elements(found.shape, items[0])
        return found

    def _check_elements(self, shape: Any, tok: Any) -> None:
        """A ParseError at `tok` for a shape of more than `max_tensor_elements` elements."""
        count = _elements(shape)
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
        self._check_elements(shape, dtype_tok)
        values = [v for v in values if v is not None]
        count = _elements(shape)
        if len(values) != count:
            self._fail(f"dense tensor of shape {list(shape)} needs {count} values, got {len(values)}", dtype_tok)
        return DenseArray(np.array(values, dtype=dtype).reshape(shape))

    def resource_attr(self, items: list) -> DenseArray:
        name_tok, dtype_tok, shape = items
        name = _unquote(str(name_tok))
        self._check_elements(shape, name_tok)
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
            raise _bad_value(exc, text, filename) from None
        raise
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, filename) from None
    except RecursionError:
        raise _too_deep(filename, text, limits.get("max_depth", MAX_ATTR_DEPTH)) from None
    return _Assembler(filename, text).module(rec)


def _bad_value(exc: VisitError, text: str, filename: str) -> ParseError:
    """A located error for a token the grammar accepts but Python cannot read (a quoted name
    with a raw control character, ...)."""
    where = exc.obj
    meta = getattr(where, "meta", where)
    line, col = getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1
    problem = str(exc.orig_exc).splitlines()[0]
    if isinstance(exc.orig_exc, json.JSONDecodeError):
        problem = exc.orig_exc.msg.lower()
        if "control character" in problem:
            problem = "a raw control character (such as a newline); escape it (\\n)"
        problem = f"quoted text with {problem}"
    what = {"value": "%value name", "symbol": "@symbol name", "str_attr": "string"}.get(
        str(exc.rule), str(exc.rule).replace("_attr", " attribute").replace("_", " "))
    return ParseError(f"malformed {what}: {problem}", FileLoc(filename, line, col), source=text)


def _one_line(token: str, limit: int = 40) -> str:
    """A token quoted for a one-line message: control characters escaped, long ones cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in token)
    return f"'{text}'" if len(text) <= limit else f"'{text[:limit]}...'"


def _syntax_error(exc: UnexpectedInput, text: str, filename: str) -> ParseError:
    line, col = exc.line or 1, exc.column or 1
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        first_line = str(tok).split("\n")[0]
        shown = "end of input" if tok.type == "$END" else _one_line(str(tok))
        expected = sorted({_readable(t) for t in exc.expected})[:6]
        msg = f"unexpected {shown}" + (f" (expected {', '.join(expected)})" if expected else "")
        span = max(1, len(first_line)) if tok.type != "$END" else 1
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
    elif isinstance(exc, UnexpectedCharacters):
        msg = f"unexpected character {text[exc.pos_in_stream]!r}"
        span = 1
    else:
        msg, span = "unexpected end of input", 1
    return ParseError(msg, FileLoc(filename, line, col), source=text, span=span)


_FRIENDLY = {
    "OP_NAME": "an op name", "VALUE_ID": "a %value", "VALUE_QUOTED": "a %value",
    "SYMBOL_ID": "an @symbol", "SYMBOL_QUOTED": "an @symbol", "IDENT": "a name",
    "STRING": "a string", "INT": "an integer", "FLOAT": "a number", "HEX": "a hex number",
    "INT_TYPE": "a type", "TENSOR_TYPE": "a type", "GRAPH_KIND": "a graph", "$END": "end of input",
}


def _readable(terminal: str) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    for t in _parser().terminals:
        if t.name == terminal and t.pattern.type == "str":
            return f"'{t.pattern.value}'"
    return terminal.lower()


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
    headers = _check_sidecar(side)
    with np.load(side, allow_pickle=False) as data:
        return parse_module(text, path, Tensors(headers, _member_reader(data, side)), limits)


def _member_reader(data: Any, side: Path) -> Callable[[str], np.ndarray]:
    """Reads one array of an open `.npz`; a located InputError when its data is broken."""
    def read(name: str) -> np.ndarray:
        try:
            return data[name]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot read '{name}' from the sidecar {side}: {str(exc).splitlines()[0]}",
                             FileLoc(str(side), 1, 1)) from None
    return read


MAX_SIDECAR_BYTES = 1 << 30
"""The most the tensors of one `.npz` sidecar may take in memory (1 GiB)."""


def _check_sidecar(side: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Read every array header of the sidecar and refuse it, before decompressing anything, when
    it is not a plain `.npz`, holds objects, or would take more than `MAX_SIDECAR_BYTES`; the
    (shape, dtype) of each array, by name."""
    where = FileLoc(str(side), 1, 1)
    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    total = 0
    try:
        with zipfile.ZipFile(side) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(member)
                if dtype.hasobject:
                    raise InputError(f"sidecar {side}: array '{info.filename}' holds Python objects", where)
                total += _elements(shape) * dtype.itemsize
                headers[info.filename.removesuffix(".npy")] = (tuple(shape), dtype)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read the sidecar {side}: {str(exc).splitlines()[0]}", where) from None
    if total > MAX_SIDECAR_BYTES:
        raise InputError(f"sidecar {side}: its tensors would take {total} bytes (limit {MAX_SIDECAR_BYTES})", where)
    return headers
