"""Pipeline specs: `dce,truncate{bits=4 select=word.mul},quantize{bits=8,layers=[conv1,conv2]}`.

```
pipeline ::= (element ("," element)*)?
element  ::= NAME options?
options  ::= "{" (option (("," | " ") option)*)? "}"
option   ::= KEY ("=" value)?            -- a bare KEY means true
value    ::= scalar | "[" (scalar ("," scalar)*)? "]"
scalar   ::= "quoted \\" string" | 'single quoted' | bare text
```

Bare text runs up to a `,`, `}`, `]` or a space; braces and brackets inside it are kept when
balanced, so `multiplier=drum{k=6}` gives the string `drum{k=6}`. `-` and `_` are interchangeable
in pass names and keys. `Pipeline.parse` checks every name against the pass registry, converts
every value to its option's type, and reports mistakes as a `ParseError` pointing into the spec
with a "did you mean" suggestion. `str(pipeline)` is one canonical form: `parse(str(p)) == p`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from axc.ir import FileLoc, ParseError

from .base import ModulePass
from .options import OptionError, OptionInfo, Quoted, coerce, format_value, pass_options
from .registry import all_pass_names, get_pass

__all__ = ["PassSpec", "Pipeline", "RawElement", "RawOption", "parse_spec"]

SPEC_FILE = "<pipeline>"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_STOP = ",}] \t\n\r"
_OPEN = {"{": "}", "[": "]"}


@dataclass(frozen=True)
class RawOption:
    """An option as written: `value` is None for a bare key, a tuple for a `[...]` list."""

    key: str
    value: str | tuple[str, ...] | None
    pos: int
    value_pos: int
    value_len: int


@dataclass(frozen=True)
class RawElement:
    """A pass as written in the spec, with its position (0-based offset)."""

    name: str
    pos: int
    options: tuple[RawOption, ...]


def _error(text: str, pos: int, message: str, span: int = 1) -> ParseError:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return ParseError(message, FileLoc(SPEC_FILE, line, col), source=text, span=span)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_space(self) -> None:
        while self.peek() and self.peek() in " \t\n\r":
            self.pos += 1

    def fail(self, message: str, pos: int | None = None, span: int = 1) -> ParseError:
        return _error(self.text, self.pos if pos is None else pos, message, span)

    def name(self, what: str) -> str:
        m = _NAME.match(self.text, self.pos)
        if m is None:
            found = f"'{self.peek()}'" if self.peek() else "the end"
            raise self.fail(f"expected {what}, found {found}")
        self.pos = m.end()
        return m.group()

    def elements(self) -> list[RawElement]:
        out: list[RawElement] = []
        self.skip_space()
        if not self.peek():
            return out
        while True:
            self.skip_space()
            start = self.pos
            name = self.name("a pass name")
            self.skip_space()
            options: tuple[RawOption, ...] = ()
            if self.peek() == "{":
                options = self.options()
            out.append(RawElement(name, start, options))
            self.skip_space()
            if not self.peek():
                return out
            if self.peek() != ",":
                raise self.fail(f"expected ',' between passes, found '{self.peek()}'")
            self.pos += 1

    def options(self) -> tuple[RawOption, ...]:
        open_pos = self.pos
        self.pos += 1
        out: list[RawOption] = []
        while True:
            self.skip_space()
            ch = self.peek()
            if ch == "}":
                self.pos += 1
                return tuple(out)
            if not ch:
                raise self.fail("unclosed '{' of pass options", open_pos)
            if out:
                if ch == ",":
                    self.pos += 1
                    self.skip_space()
                elif self.text[self.pos - 1] not in " \t\n\r":
                    raise self.fail(f"expected ',', ' ' or '}}' after an option, found '{ch}'")
            key_pos = self.pos
            key = self.name("an option name")
            self.skip_space()
            if self.peek() != "=":
                out.append(RawOption(key, None, key_pos, key_pos, len(key)))
                continue
            self.pos += 1
            self.skip_space()
            value_pos = self.pos
            value = self.list_value() if self.peek() == "[" else self.scalar()
            out.append(RawOption(key, value, key_pos, value_pos, self.pos - value_pos))

    def list_value(self) -> tuple[str, ...]:
        open_pos = self.pos
        self.pos += 1
        items: list[str] = []
        while True:
            self.skip_space()
            if self.peek() == "]":
                self.pos += 1
                return tuple(items)
            if items:
                if self.peek() != ",":
                    if not self.peek():
                        raise self.fail("unclosed '['", open_pos)
                    raise self.fail(f"expected ',' or ']' in a list, found '{self.peek()}'")
                self.pos += 1
                self.skip_space()
            items.append(self.scalar())

    def scalar(self) -> str:
        ch = self.peek()
        if ch in ("'", '"'):
            return self.quoted(ch)
        start = self.pos
        depth: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in _OPEN:
                depth.append(_OPEN[ch])
            elif depth and ch == depth[-1]:
                depth.pop()
            elif depth and ch in ("'", '"'):
                self.quoted(ch)
                continue
            elif not depth and ch in _STOP:
                break
            self.pos += 1
        if depth:
            raise self.fail(f"unbalanced brackets in value (missing '{depth[-1]}')", start)
        if self.pos == start:
            found = f"'{self.peek()}'" if self.peek() else "the end"
            raise self.fail(f"expected a value, found {found}")
        return self.text[start : self.pos]

    def quoted(self, quote: str) -> Quoted:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("unterminated string", start)
            self.pos += 1
            if ch == quote:
                return Quoted("".join(chars))
            if ch == "\\" and self.peek():
                ch = self.peek()
                self.pos += 1
            chars.append(ch)


def parse_spec(text: str) -> list[RawElement]:
    """The syntax of a pipeline spec, without looking names up (raises `ParseError`)."""
    return _Scanner(text).elements()


def _suggest(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else ""


def _format_scalar(value: Any, hint: Any) -> str:
    text = format_value(value)
    if isinstance(value, str):
        try:
            scanner = _Scanner(text)
            bare = scanner.scalar()
            round_trips = scanner.pos == len(text) and coerce(bare, hint) == value
        except (ParseError, OptionError):
            round_trips = False
        if not round_trips or text == "":
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}"'
    return text


def _item_hint(hint: Any) -> Any:
    import typing

    for candidate in (hint, *typing.get_args(hint)):
        if typing.get_origin(candidate) is tuple:
            args = typing.get_args(candidate)
            return args[0] if args else Any
    return hint


@dataclass(frozen=True)
class PassSpec:
    """One pass of a pipeline: its name and the options set explicitly, typed."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()
    cls: type[ModulePass] | None = field(default=None, compare=False, repr=False)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.options)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        hints = {o.name: o.hint for o in pass_options(self.cls)} if self.cls else {}
        parts = []
        for key, value in self.options:
            hint = hints.get(key, Any)
            if isinstance(value, tuple):
                item = _item_hint(hint)
                text = "[" + ",".join(_format_scalar(v, item) for v in value) + "]"
            else:
                text = _format_scalar(value, hint)
            parts.append(f"{key.replace('_', '-')}={text}")
        return f"{self.name}{{{' '.join(parts)}}}"

    def instantiate(self, **extra: Any) -> ModulePass:
        """The pass object, with `extra` options (e.g. filled globals) under the explicit ones."""
        if self.cls is None:
            raise ValueError(f"pass spec '{self.name}' has no pass class")
        return self.cls(**{**extra, **self.kwargs})


@dataclass(frozen=True)
class Pipeline:
    """A parsed, typed pipeline. `str()` prints the canonical spec."""

    passes: tuple[PassSpec, ...] = ()

    @classmethod
    def parse(
        cls, text: str, passes: Mapping[str, type[ModulePass]] | None = None
    ) -> Pipeline:
        """Parse `text`, checking names against `passes` (default: the pass registry)."""
        specs = [_resolve(text, element, passes) for element in parse_spec(text)]
        return cls(tuple(specs))

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.passes]

    def __str__(self) -> str:
        return ",".join(str(p) for p in self.passes)

    def __len__(self) -> int:
        return len(self.passes)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.passes)


def _lookup(name: str, passes: Mapping[str, type[ModulePass]] | None) -> type[ModulePass] | None:
    if passes is None:
        return get_pass(name)
    return passes.get(name)


def _resolve(
    text: str, element: RawElement, passes: Mapping[str, type[ModulePass]] | None
) -> PassSpec:
    name = element.name.replace("_", "-")
    pass_cls = _lookup(name, passes)
    if pass_cls is None:
        known = sorted(passes) if passes is not None else all_pass_names()
        hint = _suggest(name, known)
        raise _error(text, element.pos, f"unknown pass '{element.name}'{hint}", len(element.name))
    infos: dict[str, OptionInfo] = {o.name: o for o in pass_options(pass_cls)}
    given: dict[str, Any] = {}
    for option in element.options:
        key = option.key.replace("-", "_")
        info = infos.get(key)
        if info is None:
            choices = [o.key for o in infos.values()]
            hint = _suggest(option.key.replace("_", "-"), choices)
            if not hint:
                hint = f" (options: {', '.join(choices)})" if choices else " (it takes no options)"
            message = f"pass '{name}' has no option '{option.key}'{hint}"
            raise _error(text, option.pos, message, len(option.key))
        if key in given:
            raise _error(text, option.pos, f"option '{option.key}' given twice", len(option.key))
        raw = option.value
        if raw is None:
            raw = "true"
            if not _accepts_bool(info.hint):
                message = f"option '{option.key}' of pass '{name}' needs a value ({info.type_text})"
                raise _error(text, option.pos, message, len(option.key))
        try:
            given[key] = coerce(list(raw) if isinstance(raw, tuple) else raw, info.hint)
        except OptionError as exc:
            message = f"option '{option.key}' of pass '{name}': {exc}"
            raise _error(text, option.value_pos, message, max(1, option.value_len)) from None
    order = list(infos)
    options = tuple(sorted(given.items(), key=lambda kv: order.index(kv[0])))
    return PassSpec(name, options, pass_cls)


def _accepts_bool(hint: Any) -> bool:
    try:
        return coerce("true", hint) is True
    except OptionError:
        return False
