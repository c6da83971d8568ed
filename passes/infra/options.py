"""Pass options: what a pass dataclass accepts, and turning spec text into typed values.

`pass_options(cls)` lists the options of a pass class (name, type, default, docstring; the
docstring is the string literal placed under the field, read from the class source with `ast`).
`coerce(text, hint)` converts what the pipeline parser produced (a string, or a list of strings
for `[x,y]`) into a value of the option's type. Supported types: `int`, `float`, `bool`
(`true/false/1/0/yes/no/on/off`), `str`, `Literal[...]`, `X | None` (`none`/`null`), unions,
and `tuple[X, ...]`.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

__all__ = [
    "MISSING",
    "OptionError",
    "OptionInfo",
    "Quoted",
    "coerce",
    "conform",
    "format_type",
    "format_value",
    "pass_options",
]

MISSING = dataclasses.MISSING

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_NONE = {"none", "null"}


class Quoted(str):
    """Spec text that was written in quotes: always a string, never `none`, `true` or a number."""

    __slots__ = ()


class OptionError(ValueError):
    """A spec value that does not fit an option's type (the caller adds the location)."""


@dataclass(frozen=True)
class OptionInfo:
    """One option of a pass: field name, resolved type hint, default and docstring."""

    name: str
    hint: Any
    default: Any
    doc: str

    @property
    def key(self) -> str:
        """The option as written in pipelines and help text (kebab-case)."""
        return self.name.replace("_", "-")

    @property
    def required(self) -> bool:
        return self.default is MISSING

    @property
    def type_text(self) -> str:
        return format_type(self.hint)


@cache
def pass_options(cls: type) -> tuple[OptionInfo, ...]:
    """The options of pass class `cls`, in declaration order (base classes first)."""
    hints = typing.get_type_hints(cls)
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        docs.update(_attribute_docs(klass))
    infos = []
    for f in dataclasses.fields(cls):
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = MISSING
        infos.append(OptionInfo(f.name, hints.get(f.name, Any), default, docs.get(f.name, "")))
    return tuple(infos)


def _attribute_docs(klass: type) -> dict[str, str]:
    """Field docstrings: a string literal statement right after an annotated assignment."""
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    body = node.body
    for stmt, following in zip(body, body[1:]):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[stmt.target.id] = inspect.cleandoc(following.value.value)
    return docs


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def format_type(hint: Any) -> str:
    """A short human-readable form of a type hint (`int`, `float | None`, `tuple[str, ...]`)."""
    if hint is type(None):
        return "None"
    if _is_union(hint):
        return " | ".join(format_type(a) for a in typing.get_args(hint))
    origin = typing.get_origin(hint)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(hint))
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{format_type(args[0])}, ...]"
        return f"tuple[{', '.join(format_type(a) for a in args)}]"
    return getattr(hint, "__name__", str(hint))


def coerce(raw: str | list[str] | tuple[str, ...], hint: Any) -> Any:
    """Convert spec text (`raw`) to a value of type `hint`; raise `OptionError` if it cannot."""
    if hint is Any:
        return tuple(map(str, raw)) if isinstance(raw, list | tuple) else str(raw)
    if _is_union(hint):
        return _coerce_union(raw, typing.get_args(hint))
    origin = typing.get_origin(hint)
    if origin is tuple:
        return _coerce_tuple(raw, typing.get_args(hint))
    if isinstance(raw, list | tuple):
        raise OptionError(f"expected a single {format_type(hint)}, got a list")
    if origin is Literal:
        return _coerce_literal(raw, typing.get_args(hint))
    if hint is type(None):
        if raw.lower() in _NONE and not isinstance(raw, Quoted):
            return None
        raise OptionError(f"expected none, got '{raw}'")
    if hint is bool:
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise OptionError(f"expected true or false, got '{raw}'")
    if hint is int:
        try:
            return int(raw, 0) if raw.lower().startswith(("0x", "0b", "0o")) else int(raw)
        except ValueError:
            raise OptionError(f"expected an integer, got '{raw}'") from None
    if hint is float:
        try:
            return float(raw)
        except ValueError:
            raise OptionError(f"expected a number, got '{raw}'") from None
    if hint is str:
        return str(raw)
    raise OptionError(f"options of type {format_type(hint)} are not supported")


def _coerce_union(raw: str | list[str] | tuple[str, ...], members: tuple[Any, ...]) -> Any:
    if isinstance(raw, Quoted) and (str in members or Any in members):
        return str(raw)
    if isinstance(raw, str) and raw.lower() in _NONE and type(None) in members:
        return None
    problems = []
    # Try the strict types first so that "3" becomes an int in `int | str`.
    ordered = sorted(
        (m for m in members if m is not type(None)), key=lambda m: m is str or m is Any
    )
    for member in ordered:
        try:
            return coerce(raw, member)
        except OptionError as exc:
            problems.append(str(exc))
    if len(problems) == 1:
        raise OptionError(problems[0])
    raise OptionError(f"expected {format_type(typing.Union[members])}, got '{raw}'")  # noqa: UP007


def _coerce_tuple(raw: str | list[str] | tuple[str, ...], args: tuple[Any, ...]) -> tuple:
    items = [raw] if isinstance(raw, str) else list(raw)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(coerce(item, args[0]) for item in items)
    if not args:
        return tuple(items)
    if len(items) != len(args):
        raise OptionError(f"expected {len(args)} values, got {len(items)}")
    return tuple(coerce(item, a) for item, a in zip(items, args))


def _coerce_literal(raw: str, choices: tuple[Any, ...]) -> Any:
    for choice in choices:
        if isinstance(choice, bool):
            if raw.lower() in (_TRUE if choice else _FALSE):
                return choice
        elif str(choice) == raw or (isinstance(choice, str) and choice.lower() == raw.lower()):
            return choice
    allowed = ", ".join(str(c) for c in choices)
    raise OptionError(f"expected one of {allowed}, got '{raw}'")


def conform(value: Any, hint: Any) -> Any:
    """Fit an already-typed value (a global CLI option) to `hint`; strings are coerced."""
    if isinstance(value, str | list):
        return coerce(value, hint)
    if isinstance(value, tuple):
        return coerce([format_value(v) for v in value], hint)
    return coerce(format_value(value), hint)


def format_value(value: Any) -> str:
    """Spec text for a typed value (the inverse of `coerce` for plain values, unquoted)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
