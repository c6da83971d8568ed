"""Value types of the IR: bit-vectors (`iN`) and tensors (`tensor<1x3x28x28xf32>`).

Types are frozen, hashable dataclasses; two types are equal when they print the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = ["DTYPES", "IntType", "TensorType", "Type", "i1", "parse_type_text"]

DTYPES: tuple[str, ...] = (
    "f16", "bf16", "f32", "f64",
    "i2", "i4", "i8", "i16", "i32", "i64",
    "u2", "u4", "u8", "u16", "u32", "u64",
    "bool", "str",
)
"""Element types a tensor may hold (ONNX's, spelled the short way)."""


class Type:
    """Base class of every value type."""

    __slots__ = ()

    def __str__(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class IntType(Type):
    """A bit-vector of `width` bits (at most `MAX_WIDTH`); `i1` is one wire."""

    width: int

    MAX_WIDTH: ClassVar[int] = 1 << 24
    """The widest bit-vector (16,777,216 bits): wider ones are refused before anything is
    allocated for them."""

    def __post_init__(self) -> None:
        if not isinstance(self.width, int) or self.width < 1:
            raise ValueError(f"bit-vector width must be a positive integer, got {self.width!r}")
        if self.width > self.MAX_WIDTH:
            raise ValueError(f"bit-vector width {self.width} is above the limit of {self.MAX_WIDTH} bits")

    def __str__(self) -> str:
        return f"i{self.width}"


Dim = int | str
"""A tensor dimension: a size, or a symbolic name such as `N` (`?` when unknown)."""


@dataclass(frozen=True, slots=True)
class TensorType(Type):
    """A tensor with a shape (sizes or symbolic names) and an element type."""

    shape: tuple[Dim, ...]
    dtype: str = "f32"

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown tensor element type '{self.dtype}'")
        for d in self.shape:
            if isinstance(d, bool) or not isinstance(d, int | str) or (
                isinstance(d, int) and d < 0
            ):
                raise ValueError(f"bad tensor dimension {d!r}")

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def is_static(self) -> bool:
        return all(isinstance(d, int) for d in self.shape)

    @property
    def numel(self) -> int | None:
        if not self.is_static:
            return None
        n = 1
        for d in self.shape:
            n *= int(d)
        return n

    def __str__(self) -> str:
        dims = "".join(f"{_dim_text(d)}x" for d in self.shape)
        return f"tensor<{dims}{self.dtype}>"


def _dim_text(d: Dim) -> str:
    return str(d) if isinstance(d, int) else ("?" if d == "?" else f"'{d}'")


i1 = IntType(1)


def parse_type_text(text: str) -> Type:
    """Parse a type as printed (`i8`, `tensor<1x?x'N'xf32>`)."""
    text = text.strip()
    if text.startswith("i") and text[1:].isdigit():
        return IntType(int(text[1:]))
    if text.startswith("tensor<") and text.endswith(">"):
        body = text[len("tensor<") : -1]
        parts = _split_dims(body)
        dtype = parts[-1]
        dims: list[Dim] = []
        for p in parts[:-1]:
            if p.isdigit():
                dims.append(int(p))
            elif p == "?":
                dims.append("?")
            elif p.startswith("'") and p.endswith("'"):
                dims.append(p[1:-1])
            else:
                raise ValueError(f"bad tensor dimension '{p}'")
        return TensorType(tuple(dims), dtype)
    raise ValueError(f"unknown type '{text}'")


def _split_dims(body: str) -> list[str]:
    parts: list[str] = []
    cur = ""
    quoted = False
    for ch in body:
        if ch == "'":
            quoted = not quoted
        if ch == "x" and not quoted and cur and (cur[-1].isdigit() or cur in ("?",) or cur.endswith("'")):
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return parts
