"""A small VCD (Value Change Dump) reader: per-cycle values of chosen ports, one trace.

`read_vcd(path, ports, clock)` returns one integer array (cycles,) per port. Variables are
matched to ports by their reference name (the scope is ignored; where several scopes declare the
name, the outermost is used, e.g. a testbench's `a` rather than its instance's). A port is one
vector variable of its width or single-bit variables `name [i]` covering its bits.

Sampling: with a variable named `clock`, one cycle per rising edge (0 → 1) of it, with the
values held just before the edge (changes in the edge's own time step count for the next cycle,
as for a flip-flop); without one, one cycle per `#time` step, with the values after the step.
`x` and `z` bits read as 0. Anything malformed is an `InputError` with the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from axc.ir import FileLoc, InputError

__all__ = ["read_vcd"]

_REF = re.compile(r"^(?P<name>[^\[\s]+)\s*(?:\[\s*(?P<msb>-?\d+)\s*(?::\s*(?P<lsb>-?\d+)\s*)?\])?$")
_SKIPPED = {"$date", "$version", "$timescale", "$comment"}
_BODY_KEYWORDS = {"$dumpvars", "$dumpall", "$dumpon", "$dumpoff", "$end"}
_KEYWORDS = _SKIPPED | _BODY_KEYWORDS | {"$var", "$scope", "$upscope", "$enddefinitions"}
_SCALAR = set("01xXzZ")
_TO_BINARY = str.maketrans("xXzZ", "0000")


@dataclass
class _Var:
    code: str
    width: int
    name: str
    depth: int
    index: int | None
    """The bit index of a single-bit `name [i]` variable."""
    line: int


class _Tokens:
    """Whitespace-separated tokens with their line numbers."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._it: Iterator[tuple[int, str]] = ((n, tok) for n, line in enumerate(text.splitlines(), 1)
                                               for tok in line.split())
        self.line = 0

    def next(self) -> str | None:
        item = next(self._it, None)
        if item is None:
            return None
        self.line = item[0]
        return item[1]

    def error(self, message: str, line: int | None = None) -> InputError:
        return InputError(f"malformed VCD: {message}", FileLoc(str(self.path), line or self.line, 1))

    def until_end(self, keyword: str) -> list[str]:
        """The tokens of a `$keyword ... $end` section (the keyword already read)."""
        start, body = self.line, []
        while (tok := self.next()) != "$end":
            if tok is None or (tok in _KEYWORDS and keyword not in _SKIPPED):
                raise self.error(f"{keyword} without $end", start)
            body.append(tok)
        return body


def read_vcd(path: str | Path, ports: Sequence[tuple[str, int]], clock: str | None) -> dict[str, np.ndarray]:
    """Per-cycle values of `ports` ((name, width) pairs) from the VCD at `path` (module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read VCD '{path}': {exc.strerror or exc}") from None
    toks = _Tokens(path, text)
    variables = _header(toks)
    slots = _bind(toks, variables, ports)
    clock_code = _clock_code(toks, variables, clock)
    samples = _body(toks, slots, clock_code, {v.code for v in variables})
    if not samples:
        raise InputError(f"{path}: the VCD has no " + ("rising edge of the clock" if clock_code
                                                       else "value changes"))
    out: dict[str, np.ndarray] = {}
    for k, (name, width) in enumerate(ports):
        column = [s[k] for s in samples]
        out[name] = np.array(column, dtype=np.uint64 if width <= 64 else object)
    return out


def _header(toks: _Tokens) -> list[_Var]:
    variables: list[_Var] = []
    depth = 0
    while True:
        tok = toks.next()
        if tok is None:
            raise toks.error("no $enddefinitions")
        line = toks.line
        if tok == "$enddefinitions":
            toks.until_end(tok)
            return variables
        if tok == "$scope":
            toks.until_end(tok)
            depth += 1
        elif tok == "$upscope":
            toks.until_end(tok)
            depth -= 1
        elif tok == "$var":
            body = toks.until_end(tok)
            if len(body) < 4:
                raise toks.error("$var needs a type, a size, an identifier code and a name", line)
            if not body[1].isdigit() or int(body[1]) == 0:
                raise toks.error(f"$var size '{body[1]}' is not a positive number", line)
            m = _REF.match(" ".join(body[3:]))
            if m is None:
                raise toks.error(f"bad $var reference '{' '.join(body[3:])}'", line)
            width = int(body[1])
            index = int(m["msb"]) if m["msb"] is not None and m["lsb"] is None and width == 1 else None
            variables.append(_Var(body[2], width, m["name"], depth, index, line))
        elif tok in _SKIPPED or (tok.startswith("$") and tok != "$end"):
            toks.until_end(tok)
        else:
            raise toks.error(f"unexpected '{tok}' in the header")


def _bind(toks: _Tokens, variables: list[_Var], ports: Sequence[tuple[str, int]]
          ) -> dict[str, list[tuple[int, int, int]]]:
    """Per identifier code, the (port index, bit offset, width) places its value goes to."""
    slots: dict[str, list[tuple[int, int, int]]] = {}
    for k, (name, width) in enumerate(ports):
        found = [v for v in variables if v.name == name]
        if not found:
            raise InputError(f"{toks.path}: the VCD has no variable for input port '{name}'")
        top = min(v.depth for v in found)
        found = [v for v in found if v.depth == top]
        whole = [v for v in found if v.index is None]
        if whole:
            var = whole[0]
            if var.width != width:
                raise InputError(f"{toks.path}:{var.line}: VCD variable '{name}' has {var.width} bits, "
                                 f"input port '{name}' has {width}")
            slots.setdefault(var.code, []).append((k, 0, width))
            continue
        indices = sorted({v.index for v in found})
        low = indices[0]
        if indices != list(range(low, low + width)):
            raise InputError(f"{toks.path}: the VCD's single-bit variables '{name} [i]' do not cover the "
                             f"{width} bits of input port '{name}'")
        seen: set[int] = set()
        for v in found:
            if v.index not in seen:
                seen.add(v.index)
                slots.setdefault(v.code, []).append((k, v.index - low, 1))
    return slots


def _clock_code(toks: _Tokens, variables: list[_Var], clock: str | None) -> str | None:
    found = [v for v in variables if clock is not None and v.name == clock]
    if not found:
        return None
    var = min(found, key=lambda v: v.depth)
    if var.width != 1:
        raise InputError(f"{toks.path}:{var.line}: the clock '{clock}' has {var.width} bits in the VCD")
    return var.code


def _body(toks: _Tokens, slots: dict[str, list[tuple[int, int, int]]], clock_code: str | None,
          declared: set[str]) -> list[tuple[int, ...]]:
    """The sampled port values, one tuple per cycle."""
    n_ports = 1 + max((k for places in slots.values() for k, _, _ in places), default=-1)
    current = [0] * n_ports
    held = list(current)
    samples: list[tuple[int, ...]] = []
    clock = "x"
    time: int | None = None
    started = False
    while (tok := toks.next()) is not None:
        if tok[0] == "#":
            if not tok[1:].isdigit():
                raise toks.error(f"bad time '{tok}'")
            t = int(tok[1:])
            if time is not None and t < time:
                raise toks.error(f"time goes backwards (#{t} after #{time})")
            if t != time:
                if started and clock_code is None:
                    samples.append(tuple(current))
                held = list(current)
                time, started = t, True
            continue
        if tok in _BODY_KEYWORDS:
            continue
        if tok == "$comment":
            toks.until_end(tok)
            continue
        kind = tok[0]
        if kind in _SCALAR:
            code, bits = tok[1:], kind
            if not code:
                raise toks.error(f"value change '{tok}' has no identifier code")
        elif kind in "bBrR":
            code = toks.next()
            if code is None:
                raise toks.error(f"value change '{tok}' has no identifier code")
            bits = tok[1:]
            if kind in "rR":
                if code in slots:
                    raise toks.error("real-valued variables cannot drive an input port")
                continue
            if not bits or set(bits) - _SCALAR:
                raise toks.error(f"bad binary value '{tok}'")
        else:
            raise toks.error(f"unexpected '{tok}'")
        if code not in declared:
            raise toks.error(f"value change of undeclared identifier code '{code}'")
        started = True
        if code == clock_code:
            new = bits[-1].lower()
            if clock == "0" and new == "1":
                samples.append(tuple(held))
            clock = new
        places = slots.get(code, ())
        if places:
            value = int(bits.translate(_TO_BINARY), 2)
            for k, offset, width in places:
                if len(bits) > width:
                    raise toks.error(f"value '{tok}' has more than the variable's {width} bits")
                current[k] = _place(current[k], value, offset, width)
    if started and clock_code is None:
        samples.append(tuple(current))
    return samples


def _place(old: int, value: int, offset: int, width: int) -> int:
    """`old` with bits offset … offset+width−1 replaced by `value`."""
    mask = ((1 << width) - 1) << offset
    return (old & ~mask) | ((value << offset) & mask)
