"""A reference interpreter for circuit graphs: `word`, `logic` and `hw` ops on integers.

Slow but obviously right, it is the yardstick for frontends and lowering passes. Each input
port takes a Python int or a numpy vector of ints (one entry per test vector); outputs come
back the same way (Python ints when every input was an int). Values are unsigned: bit i of an
`iN` value is bit i of the integer, signed ops reinterpret them. Vectors use `uint64` while every
width in the graph is at most 64 bits, and numpy object arrays of Python ints beyond that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from axc.ir import Graph, InputError, IntType, Op, Value
from axc.ir.dialects.logic import GATE_OP_BY_NAME, gate_value

__all__ = ["evaluate", "word_op_value"]


def _mask(width: int) -> int:
    return (1 << width) - 1


def _signed(x: Any, width: int) -> Any:
    """Two's-complement reading of unsigned `x` (Python ints only)."""
    return x - ((x >> (width - 1)) & 1) * (1 << width)


def word_op_value(name: str, args: Sequence[int], widths: Sequence[int], width: int,
                  attrs: Mapping[str, Any]) -> int:
    """The value of one word op on Python ints (used for constant folding too)."""
    return int(_apply(name, list(args), list(widths), width, attrs, scalar=True))


def _apply(name: str, a: list, widths: list[int], width: int, attrs: Mapping[str, Any],
           scalar: bool) -> Any:
    m = _mask(width)
    if name == "word.const":
        return attrs["value"]
    if name == "word.add":
        return (a[0] + a[1]) & m
    if name == "word.sub":
        return (a[0] - a[1] + (1 << width)) & m if scalar else (a[0] + ((~a[1] + 1) & m)) & m
    if name == "word.neg":
        return ((~a[0]) + 1) & m
    if name == "word.and":
        out = a[0]
        for x in a[1:]:
            out = out & x
        return out
    if name == "word.or":
        out = a[0]
        for x in a[1:]:
            out = out | x
        return out
    if name == "word.xor":
        out = a[0]
        for x in a[1:]:
            out = out ^ x
        return out
    if name == "word.not":
        return (~a[0]) & m
    if name == "word.mul":
        x, y = a
        if attrs.get("signed"):
            x = _sext(x, widths[0], max(width, widths[0]), scalar)
            y = _sext(y, widths[1], max(width, widths[1]), scalar)
        return (x * y) & m
    if name in ("word.shl", "word.shr"):
        x, amount = a
        return _shift(name == "word.shl", bool(attrs.get("arith")), x, amount, width, scalar)
    if name == "word.cmp":
        return _compare(attrs["pred"], a[0], a[1], widths[0], scalar)
    if name == "word.concat":
        out, at = a[0] & _mask(widths[0]), widths[0]
        for x, w in zip(a[1:], widths[1:]):
            out = out | (x << at)
            at += w
        return out
    if name == "word.extract":
        return (a[0] >> attrs["lo"]) & m
    if name == "word.mux":
        s, t, f = a
        return (t if s else f) if scalar else np.where(s.astype(bool), t, f)
    if name == "word.zext":
        return a[0]
    if name == "word.sext":
        return _sext(a[0], widths[0], width, scalar)
    if name == "word.reduce_and":
        return _as_bit(a[0] == _mask(widths[0]), scalar, a[0])
    if name == "word.reduce_or":
        return _as_bit(a[0] != 0, scalar, a[0])
    if name == "word.reduce_xor":
        return _parity(a[0], widths[0], scalar)
    raise InputError(f"the interpreter does not know '{name}'")


def _as_bit(cond: Any, scalar: bool, like: Any) -> Any:
    if scalar:
        return int(bool(cond))
    return cond.astype(like.dtype)


def _sext(x: Any, from_width: int, to_width: int, scalar: bool) -> Any:
    if to_width <= from_width:
        return x & _mask(to_width)
    sign = (x >> (from_width - 1)) & 1
    fill = _mask(to_width) ^ _mask(from_width)
    if scalar:
        return x | fill if sign else x
    return np.where(sign.astype(bool), x | _cast(fill, x), x)


def _cast(value: int, like: Any) -> Any:
    return like.dtype.type(value) if like.dtype != object else value


def _full(value: int, like: Any) -> Any:
    return np.full(like.shape, value, dtype=like.dtype)


def _shift(left: bool, arith: bool, x: Any, amount: Any, width: int, scalar: bool) -> Any:
    m = _mask(width)
    if scalar:
        if amount >= width:
            return (m if arith and (x >> (width - 1)) & 1 else 0) if not left else 0
        if left:
            return (x << amount) & m
        if arith:
            return (_signed(x, width) >> amount) & m
        return x >> amount
    big = amount >= width
    safe = np.where(big, 0, amount).astype(amount.dtype)
    if left:
        out = (x << safe) & _cast(m, x)
        return np.where(big, _full(0, x), out)
    out = x >> safe
    if arith:
        sign = ((x >> _cast(width - 1, x)) & _cast(1, x)).astype(bool)
        fill = _cast(m, x) ^ (_cast(m, x) >> safe)
        out = np.where(sign, out | fill, out)
        return np.where(big, np.where(sign, _full(m, x), _full(0, x)), out)
    return np.where(big, _full(0, x), out)


def _compare(pred: str, x: Any, y: Any, width: int, scalar: bool) -> Any:
    if pred.startswith("s"):
        flip = 1 << (width - 1)
        x = x ^ (flip if scalar else _cast(flip, x))
        y = y ^ (flip if scalar else _cast(flip, y))
        pred = "u" + pred[1:]
    result = {
        "eq": lambda: x == y, "ne": lambda: x != y, "ult": lambda: x < y,
        "ule": lambda: x <= y, "ugt": lambda: x > y, "uge": lambda: x >= y,
    }[pred]()
    return _as_bit(result, scalar, x)


def _parity(x: Any, width: int, scalar: bool) -> Any:
    if scalar:
        return bin(x).count("1") & 1
    out = x & _cast(0, x)
    for i in range(width):
        out = out ^ ((x >> _cast(i, x)) & _cast(1, x))
    return out


def evaluate(graph: Graph, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate `graph` on `inputs` (port name -> int or vector); outputs by port name."""
    scalar = all(isinstance(v, int | np.integer) for v in inputs.values())
    wide = any(isinstance(v.type, IntType) and v.type.width > 64 for v in _all_values(graph))
    dtype: Any = object if wide else np.uint64
    env: dict[Value, Any] = {}
    for v in graph.inputs:
        if v.name not in inputs:
            raise InputError(f"no value given for input port '{v.name}'")
        raw = inputs[v.name]
        width = v.type.width
        if scalar:
            env[v] = int(raw) & _mask(width)
        else:
            arr = np.asarray(raw)
            arr = arr.astype(object) if dtype is object else arr.astype(np.int64).astype(np.uint64)
            env[v] = arr & (_mask(width) if dtype is object else np.uint64(_mask(width)))
    for op in graph.topo_order():
        _run(op, env, scalar, dtype)
    return {name: env[v] for name, v in zip(graph.output_names, graph.outputs)}


def _all_values(graph: Graph) -> list[Value]:
    values = list(graph.inputs)
    for op in graph.ops:
        values.extend(op.results)
    return values


def _run(op: Op, env: dict[Value, Any], scalar: bool, dtype: Any) -> None:
    args = [env[v] for v in op.operands]
    name = op.name
    one = 1 if scalar or dtype is object else np.uint64(1)

    def const(value: int) -> Any:
        if scalar:
            return value
        n = len(next(iter(env.values()))) if env else 1
        return np.full(n, value, dtype=dtype if dtype is not object else object)

    if name == "hw.split":
        for i, r in enumerate(op.results):
            env[r] = (args[0] >> (i if scalar or dtype is object else np.uint64(i))) & one
        return
    if name == "hw.join":
        out = args[0]
        for i, b in enumerate(args[1:], start=1):
            out = out | (b << (i if scalar or dtype is object else np.uint64(i)))
        env[op.result] = out
        return
    if name == "hw.instance":
        callee = op.graph.module.lookup(op.attr("callee"))
        outs = evaluate(callee, {v.name: a for v, a in zip(callee.inputs, args)})
        for r, key in zip(op.results, callee.output_names):
            env[r] = outs[key]
        return
    if name == "logic.const" or name == "word.const":
        env[op.result] = const(int(op.attr("value")))
        return
    if name in GATE_OP_BY_NAME and name != "logic.lut":
        env[op.result] = gate_value(name, args, 1) if scalar else gate_value(name, args, one) & one
        return
    if name == "logic.lut":
        table = op.attr("table").to_array()
        index = 0 if scalar else np.zeros(len(args[0]) if args else 1, dtype=np.int64)
        for i, b in enumerate(args):
            index = index + (int(b) << i if scalar else np.asarray(b).astype(np.int64) << i)
        env[op.result] = int(table[index]) if scalar else table[index].astype(dtype)
        return
    if name.startswith("word."):
        widths = [v.type.width for v in op.operands]
        value = _apply(name, args, widths, op.result.type.width, op.attributes, scalar)
        if not scalar and not isinstance(value, np.ndarray):
            value = const(int(value))
        env[op.result] = value
        return
    raise InputError(f"the interpreter does not know '{name}'", op.loc)
