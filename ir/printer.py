"""The IR printer: one generic, MLIR-like text form for every dialect (grammar: `syntax.lark`).

```
module @adder {
  hw.graph @adder(%a: i8, %b: i8) -> (y: i9) {
    %0 = word.add %a, %b : i9
    output %0
  }
}
```

Ops print in dependency order with deterministic names: a value keeps its name hint when that
is free, gets `hint_1`, `hint_2`, ... when it is taken, and a number when it has none. Tensors of
more than `inline_limit` elements go to a resource table (`dense_resource<"r0", f32, [..]>`),
saved beside the text as a `.npz` sidecar by `save_ir`. Locations print with `debuginfo=True`.
Printing, parsing and printing again gives identical text.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .attributes import DenseArray, FrozenDict, TruthTable
from .core import Graph, Module, Op, Value
from .diagnostics import FileLoc, Location, NameLoc
from .types import Type

__all__ = ["NUMPY_TO_DTYPE", "print_module", "save_ir", "sidecar_path"]

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_$.\-]+\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = {"true", "false", "none", "tt", "dense", "dense_resource", "bytes", "type", "loc",
             "attributes", "module", "output"}

NUMPY_TO_DTYPE: dict[str, str] = {
    "float16": "f16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64", "bool": "bool",
}


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _ident(text: str, sigil: str) -> str:
    return f"{sigil}{text}" if _PLAIN_NAME.match(text) else f"{sigil}{_quote(text)}"


def _key(text: str) -> str:
    return text if _PLAIN_KEY.match(text) and text not in _KEYWORDS else _quote(text)


def format_float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = repr(float(x))
    return text if ("." in text or "e" in text) else text + ".0"


def _format_scalar(x: Any, kind: str) -> str:
    if kind == "b":
        return "true" if x else "false"
    if kind == "f":
        text = str(x)
        if text in ("nan", "inf", "-inf"):
            return text
        return text if ("." in text or "e" in text) else text + ".0"
    return str(int(x))


class _Printer:
    def __init__(self, debuginfo: bool, resources: dict[str, np.ndarray] | None, inline_limit: int):
        self.debuginfo = debuginfo
        self.resources = resources
        self.inline_limit = inline_limit
        self.resource_names: dict[str, str] = {}

    # -- attributes -----------------------------------------------------------------------
    def attr(self, v: Any) -> str:
        if v is None:
            return "none"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v) if abs(v) < 1 << 64 else hex(v)
        if isinstance(v, float):
            return format_float(v)
        if isinstance(v, str):
            return _quote(v)
        if isinstance(v, bytes):
            return f"bytes<{_quote(base64.b64encode(v).decode())}>"
        if isinstance(v, tuple):
            return "[" + ", ".join(self.attr(x) for x in v) + "]"
        if isinstance(v, FrozenDict):
            return self.dict(v)
        if isinstance(v, TruthTable):
            return str(v)
        if isinstance(v, DenseArray):
            return self.dense(v)
        if isinstance(v, Type):
            return f"type<{v}>"
        raise TypeError(f"cannot print attribute {v!r}")

    def dict(self, d: Any) -> str:
        return "{" + ", ".join(f"{_key(k)} = {self.attr(x)}" for k, x in d.items()) + "}"

    def dense(self, d: DenseArray) -> str:
        arr = d.array
        dtype = NUMPY_TO_DTYPE.get(str(arr.dtype))
        if dtype is None:
            raise TypeError(f"cannot print a tensor of numpy dtype {arr.dtype}")
        shape = "[" + ", ".join(str(s) for s in arr.shape) + "]"
        if self.resources is not None and arr.size > self.inline_limit:
            name = self.resource_names.get(d.digest())
            if name is None:
                name = f"r{len(self.resource_names)}"
                self.resource_names[d.digest()] = name
                self.resources[name] = np.asarray(arr)
            return f"dense_resource<{_quote(name)}, {dtype}, {shape}>"
        kind = arr.dtype.kind
        flat = arr.ravel() if kind == "f" else arr.ravel().tolist()
        body = ", ".join(_format_scalar(x, kind) for x in flat)
        return f"dense<{dtype}, {shape}, [{body}]>"

    def loc(self, loc: Location | None) -> str:
        if not self.debuginfo or loc is None:
            return ""
        if isinstance(loc, FileLoc):
            return f" loc({_quote(loc.file)}:{loc.line}:{loc.col})"
        if isinstance(loc, NameLoc):
            return f" loc({_quote(loc.name)})"
        return ""

    # -- graphs ---------------------------------------------------------------------------
    def graph(self, g: Graph) -> list[str]:
        names: dict[Value, str] = {}
        used: set[str] = set()
        counter = [0]

        def name(v: Value) -> str:
            if v in names:
                return names[v]
            hint = v.name
            if hint:
                cand, i = hint, 1
                while cand in used:
                    cand = f"{hint}_{i}"
                    i += 1
            else:
                cand = str(counter[0])
                while cand in used:
                    counter[0] += 1
                    cand = str(counter[0])
                counter[0] += 1
            used.add(cand)
            names[v] = cand
            return cand

        args = ", ".join(f"{_ident(name(v), '%')}: {v.type}" for v in g.inputs)
        outs = ", ".join(
            f"{_key(n)}: {v.type}" for n, v in zip(g.output_names, g.outputs)
        )
        attrs = f" attributes {self.dict(g.attributes)}" if g.attributes else ""
        head = f"  {g.kind}.graph {_ident(g.name, '@')}({args}) -> ({outs}){attrs}{self.loc(g.loc)} {{"
        lines = [head]
        for op in [*g.topo_order(), g.output_op]:
            lines.append("    " + self.op(op, name))
        lines.append("  }")
        return lines

    def op(self, op: Op, name: Any) -> str:
        parts = []
        if op.results:
            parts.append(", ".join(_ident(name(r), "%") for r in op.results) + " = ")
        parts.append(op.name)
        if op.operands:
            parts.append(" " + ", ".join(_ident(name(v), "%") for v in op.operands))
        attrs = op.attributes
        if op.name == "output":
            attrs = {k: v for k, v in attrs.items() if k != "names"}
        if attrs:
            parts.append(" " + self.dict(attrs))
        if op.results:
            parts.append(" : " + ", ".join(str(r.type) for r in op.results))
        parts.append(self.loc(op.loc))
        return "".join(parts)

    def module(self, m: Module) -> str:
        top = f" {_ident(m.top, '@')}" if m.top is not None else ""
        attrs = f" attributes {self.dict(m.attributes)}" if m.attributes else ""
        if not m.graphs:
            return f"module{top}{attrs} {{\n}}\n"
        lines = [f"module{top}{attrs} {{"]
        for g in m.graphs.values():
            lines.extend(self.graph(g))
        lines.append("}")
        return "\n".join(lines) + "\n"


def print_module(
    module: Module,
    *,
    debuginfo: bool = False,
    resources: dict[str, np.ndarray] | None = None,
    inline_limit: int = 16,
) -> str:
    """The text of `module`.

    Tensors larger than `inline_limit` elements go into `resources` (name -> array) when a dict
    is given; without one every tensor prints inline.
    """
    return _Printer(debuginfo, resources, inline_limit).module(module)


def sidecar_path(path: str | Path) -> Path:
    """Where the tensors of an `.ir` file live: `<path>.npz`."""
    return Path(str(path) + ".npz")


def save_ir(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write `module` as text to `path`, large tensors to the `.npz` sidecar beside it."""
    options = options or {}
    resources: dict[str, np.ndarray] = {}
    text = print_module(module, debuginfo=bool(options.get("print_debuginfo")), resources=resources)
    Path(path).write_text(text)
    side = sidecar_path(path)
    if resources:  # staged under an unpredictable name: a planted symlink cannot capture it
        fd, tmp = tempfile.mkstemp(prefix=f".{side.name}.", suffix=".tmp", dir=side.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **resources)
            os.replace(tmp, side)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    elif side.exists():
        side.unlink()
