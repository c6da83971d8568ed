"""Verilog number literals: sized, unsized, based, signed, with x/z/? digits."""

from __future__ import annotations

from axc.ir import FileLoc, ParseError

from . import ast

__all__ = ["parse_number"]

_DIGIT_BITS = {"b": 1, "o": 3, "h": 4}


def parse_number(text: str, line: int = 0, col: int = 0, file: str = "<string>") -> ast.Number:
    """A Verilog literal (`12`, `8'hFF`, `'b1`, `4'sd3`, `4'b1?z0`) as a `Number` node."""
    clean = "".join(text.split()).replace("_", "")
    if "'" not in clean:
        return ast.Number(line, col, None, int(clean), True, text=text)
    size_text, rest = clean.split("'", 1)
    signed = rest[0] in "sS"
    if signed:
        rest = rest[1:]
    base, digits = rest[0].lower(), rest[1:].lower()
    width = int(size_text) if size_text else None
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
            value = int(digits)
        nbits = max(value.bit_length(), 1)
    else:
        step = _DIGIT_BITS[base]
        for ch in digits:
            value <<= step
            unknown <<= step
            wild <<= step
            full = (1 << step) - 1
            if ch in "xz?":
                unknown |= full
                if ch != "x":
                    wild |= full
            else:
                digit = int(ch, 16)
                if digit > full:
                    raise ParseError(f"digit '{ch}' is not valid in base '{base}' literal '{text}'",
                                     FileLoc(file, line, col))
                value |= digit
        nbits = step * len(digits)
    final = width if width is not None else max(32, nbits)
    if nbits < final and unknown >> (nbits - 1) & 1:
        extra = ((1 << final) - 1) ^ ((1 << nbits) - 1)
        unknown |= extra
        if wild >> (nbits - 1) & 1:
            wild |= extra
    mask = (1 << final) - 1
    return ast.Number(line, col, width, value & mask, signed, unknown & mask, wild & mask, text)
