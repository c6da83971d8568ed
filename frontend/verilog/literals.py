"""Verilog number literals: sized, unsized, based, signed, with x/z/? digits.

A literal wider than `limits.current().max_bus_width` bits (by its size or by its digits) is refused.
"""

from __future__ import annotations

import math

from axc.frontend import limits
from axc.ir import FileLoc, ParseError

from . import ast

__all__ = ["parse_number"]

_DIGIT_BITS = {"b": 1, "o": 3, "h": 4}
_BITS_PER_DECIMAL_DIGIT = math.log2(10)
_DECIMAL_CHUNK = 1000
_HEX_DIGITS = "0123456789abcdef"


def _decimal(digits: str) -> int:
    """The value of a decimal digit string of any length (Python's `int` refuses long ones)."""
    value = 0
    for k in range(0, len(digits), _DECIMAL_CHUNK):
        chunk = digits[k:k + _DECIMAL_CHUNK]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def _marks(digits: str, chars: str, replacement: str) -> str:
    """`digits` with each of `chars` replaced by the one character `replacement`."""
    return digits.translate(str.maketrans(chars, replacement * len(chars)))


def _check_width(bits: float, text: str, loc: FileLoc) -> None:
    widest = limits.current().max_bus_width
    if bits > widest:
        shown = text if len(text) <= 40 else text[:20] + "..." + text[-8:]
        raise ParseError(f"literal '{shown}' is wider than the limit of {widest} bits (--max-bus-width)", loc)


def parse_number(text: str, line: int = 0, col: int = 0, file: str = "<string>") -> ast.Number:
    """A Verilog literal (`12`, `8'hFF`, `'b1`, `4'sd3`, `4'b1?z0`) as a `Number` node."""
    clean = "".join(text.split()).replace("_", "")
    loc = FileLoc(file, line, col)
    if "'" not in clean:
        _check_width((len(clean) - 1) * _BITS_PER_DECIMAL_DIGIT, text, loc)
        return ast.Number(line, col, None, _decimal(clean), True, text=text)
    size_text, rest = clean.split("'", 1)
    signed = rest[0] in "sS"
    if signed:
        rest = rest[1:]
    base, digits = rest[0].lower(), rest[1:].lower()
    if len(size_text.lstrip("0")) > 12:
        _check_width(math.inf, text, loc)
    width = int(size_text) if size_text else None
    _check_width(width or 0, text, loc)
    _check_width(_DIGIT_BITS.get(base, _BITS_PER_DECIMAL_DIGIT) * (len(digits) - 1), text, loc)
    if width == 0:
        raise ParseError(f"zero-width literal '{text}'", FileLoc(file, line, col))
    value = unknown = wild = 0
    if base == "d":
        if digits in ("x", "z", "?"):
            nbits = width or 32
            unknown = (1 << nbits) - 1
            wild = unknown if digits != "x" else 0
        elif not digits.isdigit():
            raise ParseError(f"bad decimal literal '{text}'", FileLoc(file, line, col))
        else:
            value = _decimal(digits)
        nbits = max(value.bit_length(), 1)
    else:
        step = _DIGIT_BITS[base]
        radix, top = 1 << step, format((1 << step) - 1, "x")
        for ch in digits:
            if ch not in "xz?" and (ch not in _HEX_DIGITS or int(ch, 16) >= radix):
                raise ParseError(f"digit '{ch}' is not valid in base '{base}' literal '{text}'", loc)
        value = int(_marks(digits, "xz?", "0"), radix)
        unknown = int(_marks(_marks(digits, _HEX_DIGITS, "0"), "xz?", top), radix)
        wild = int(_marks(_marks(digits, _HEX_DIGITS + "x", "0"), "z?", top), radix)
        nbits = step * len(digits)
    final = width if width is not None else max(32, nbits)
    if nbits < final and unknown >> (nbits - 1) & 1:
        extra = ((1 << final) - 1) ^ ((1 << nbits) - 1)
        unknown |= extra
        if wild >> (nbits - 1) & 1:
            wild |= extra
    mask = (1 << final) - 1
    return ast.Number(line, col, width, value & mask, signed, unknown & mask, wild & mask, text)
