"""How ops are declared and grouped into dialects.

An op class declares, as class variables:

- `num_operands` / `num_results`: an exact count, or `(min, max)` with `max=None` for unbounded;
- `operand_type` / `result_type`: the `Type` subclass every operand/result must have (or None);
- `attr_defs`: `{name: AttrDef(...)}`, the attributes it accepts, their Python types and whether
  they are required;
- a `verify_()` method for rules that tie widths or shapes together.

```python
class AndOp(Op):
    '''N-ary conjunction of i1 values.'''
    name = "logic.and"
    num_operands = (2, None)
    operand_type = IntType
```

A `Dialect` is a name, a list of op classes and an optional dialect-wide rule. Registering a
dialect makes its ops known to the parser and verifier by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .core import Op
from .diagnostics import VerifyError

__all__ = ["AttrDef", "Dialect", "lookup_op", "register_dialect", "registered_dialects", "verify_declared"]


@dataclass(frozen=True)
class AttrDef:
    """An attribute an op accepts: accepted Python types, required or not, allowed choices."""

    kinds: type | tuple[type, ...]
    required: bool = True
    doc: str = ""
    choices: tuple[Any, ...] | None = None


@dataclass
class Dialect:
    """A named group of op classes with an optional rule applied to each of its ops."""

    name: str
    ops: Sequence[type[Op]]
    doc: str = ""
    rule: Callable[[Op], None] | None = None
    by_name: dict[str, type[Op]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cls in self.ops:
            if not cls.name.startswith(self.name + ".") and self.name != "builtin":
                raise ValueError(f"op {cls.name} does not belong to dialect {self.name}")
            self.by_name[cls.name] = cls


_DIALECTS: dict[str, Dialect] = {}
_OPS: dict[str, type[Op]] = {}


def register_dialect(dialect: Dialect) -> Dialect:
    """Make a dialect's ops known by name (idempotent for the same dialect object)."""
    _DIALECTS[dialect.name] = dialect
    _OPS.update(dialect.by_name)
    return dialect


def registered_dialects() -> dict[str, Dialect]:
    """Every registered dialect by name (the built-in ones register when `axc.ir` is imported)."""
    return dict(_DIALECTS)


def lookup_op(name: str) -> type[Op] | None:
    """The op class named `name` ("dialect.op"), or None."""
    return _OPS.get(name)


def _count_ok(spec: int | tuple[int, int | None], n: int) -> bool:
    if isinstance(spec, int):
        return n == spec
    lo, hi = spec
    return n >= lo and (hi is None or n <= hi)


def _count_text(spec: int | tuple[int, int | None]) -> str:
    if isinstance(spec, int):
        return str(spec)
    lo, hi = spec
    return f"at least {lo}" if hi is None else f"{lo} to {hi}"


def verify_declared(op: Op) -> None:
    """Check `op` against its class declarations, then run its dialect rule and `verify_()`."""
    cls = type(op)
    n_operands = getattr(cls, "num_operands", None)
    if n_operands is not None and not _count_ok(n_operands, len(op.operands)):
        raise op.error(f"expects {_count_text(n_operands)} operands, got {len(op.operands)}")
    n_results = getattr(cls, "num_results", None)
    if n_results is not None and not _count_ok(n_results, len(op.results)):
        raise op.error(f"expects {_count_text(n_results)} results, got {len(op.results)}")
    kind = getattr(cls, "operand_type", None)
    if kind is not None:
        for i, v in enumerate(op.operands):
            if not isinstance(v.type, kind):
                raise op.error(f"operand {i} must be a {kind.__name__}, got {v.type}")
    kind = getattr(cls, "result_type", None)
    if kind is not None:
        for i, v in enumerate(op.results):
            if not isinstance(v.type, kind):
                raise op.error(f"result {i} must be a {kind.__name__}, got {v.type}")
    defs: dict[str, AttrDef] = getattr(cls, "attr_defs", {})
    if not getattr(cls, "open_attributes", False):
        for key in op.attributes:
            if key not in defs:
                known = ", ".join(sorted(defs)) or "none"
                raise op.error(f"has unknown attribute '{key}' (known: {known})")
    for key, d in defs.items():
        if key not in op.attributes:
            if d.required:
                raise op.error(f"requires attribute '{key}'")
            continue
        value = op.attributes[key]
        if not isinstance(value, d.kinds) or (isinstance(value, bool) and bool not in _as_tuple(d.kinds)):
            raise op.error(f"attribute '{key}' has the wrong kind: {type(value).__name__}")
        if d.choices is not None and value not in d.choices:
            raise op.error(f"attribute '{key}' must be one of {', '.join(map(str, d.choices))}, got {value!r}")
    dialect = _DIALECTS.get(op.dialect)
    if dialect is not None and dialect.rule is not None:
        dialect.rule(op)
    try:
        op.verify_()
    except VerifyError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise op.error(str(exc)) from exc


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)
