"""Attribute values carried by ops.

Plain immutable Python values serve as attributes: `int`, `float`, `bool`, `str`, `bytes`, `None`,
tuples (lists) and `FrozenDict` (dicts) of them, and IR `Type`s. Two wrappers add what Python
lacks: `TruthTable` (an n-input Boolean function) and `DenseArray` (a numpy array, kept
read-only). `canonical_attr` turns user-given lists/dicts into that immutable form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from .types import Type

__all__ = [
    "AttrValue",
    "DenseArray",
    "FrozenDict",
    "TruthTable",
    "attr_key",
    "canonical_attr",
    "full_mask",
    "literal_mask",
]


class FrozenDict(Mapping[str, Any]):
    """An immutable, hashable, insertion-ordered mapping (a dict attribute)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None, **kw: Any) -> None:
        merged = dict(data or {})
        merged.update(kw)
        self._data = {str(k): canonical_attr(v) for k, v in merged.items()}
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple((k, attr_key(v)) for k, v in self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)


@cache
def literal_mask(n: int, i: int) -> int:
    """The truth table of input `i` among `n` inputs."""
    block = ((1 << (1 << i)) - 1) << (1 << i)
    period = 1 << (i + 1)
    mask = 0
    for start in range(0, 1 << n, period):
        mask |= block << start
    return mask


@cache
def full_mask(n: int) -> int:
    """The truth table of the constant 1 over `n` inputs (2^n ones)."""
    return (1 << (1 << n)) - 1


@dataclass(frozen=True, slots=True)
class TruthTable:
    """A Boolean function of `n_inputs` inputs; bit `i` of `bits` is f at input pattern `i`.

    Input 0 is the least significant bit of the pattern index.
    """

    n_inputs: int
    bits: int

    def __post_init__(self) -> None:
        if not 0 <= self.n_inputs <= 24:
            raise ValueError(f"truth table with {self.n_inputs} inputs (0..24 supported)")
        if self.bits < 0 or self.bits >> (1 << self.n_inputs):
            raise ValueError(f"truth table bits wider than 2^{self.n_inputs}")

    def value(self, pattern: int) -> int:
        return (self.bits >> pattern) & 1

    def to_array(self) -> np.ndarray:
        """The table as a uint8 array of length 2**n_inputs."""
        n = 1 << self.n_inputs
        raw = self.bits.to_bytes((n + 7) // 8, "little")
        return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:n]

    @classmethod
    def from_array(cls, values: np.ndarray | list[int]) -> TruthTable:
        arr = np.asarray(values, dtype=np.uint8).ravel()
        n = int(arr.size).bit_length() - 1
        if arr.size != 1 << n:
            raise ValueError("truth table length must be a power of two")
        packed = np.packbits(arr.astype(bool), bitorder="little").tobytes()
        return cls(n, int.from_bytes(packed, "little"))

    def __str__(self) -> str:
        digits = max(1, ((1 << self.n_inputs) + 3) // 4)
        return f"tt<{self.n_inputs}, 0x{self.bits:0{digits}x}>"


class DenseArray:
    """A read-only numpy array attribute (weights, lookup tables, index arrays)."""

    __slots__ = ("_array", "_digest")

    def __init__(self, array: np.ndarray | list | tuple) -> None:
        arr = np.array(array, copy=True)
        if arr.dtype == np.float64 and not isinstance(array, np.ndarray):
            arr = arr.astype(np.float32)
        arr.setflags(write=False)
        self._array = arr
        self._digest: str | None = None

    @property
    def array(self) -> np.ndarray:
        return self._array

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def size(self) -> int:
        return int(self._array.size)

    def digest(self) -> str:
        """A content hash (dtype, shape and bytes)."""
        if self._digest is None:
            h = hashlib.blake2b(digest_size=12)
            h.update(str(self._array.dtype).encode())
            h.update(str(self._array.shape).encode())
            h.update(np.ascontiguousarray(self._array).tobytes())
            self._digest = h.hexdigest()
        return self._digest

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DenseArray):
            return NotImplemented
        return self.digest() == other.digest()

    def __hash__(self) -> int:
        return hash(self.digest())

    def __repr__(self) -> str:
        return f"DenseArray({self._array.dtype}, shape={self.shape})"


AttrValue = (
    int | float | bool | str | bytes | None | tuple | FrozenDict | TruthTable | DenseArray | Type
)


def canonical_attr(value: Any) -> Any:
    """Convert a user-given attribute value into its immutable canonical form."""
    if isinstance(value, bool | int | float | str | bytes | TruthTable | DenseArray | Type) or value is None:
        return value
    if isinstance(value, FrozenDict):
        return value
    if isinstance(value, np.ndarray):
        return DenseArray(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return tuple(canonical_attr(v) for v in value)
    if isinstance(value, Mapping):
        return FrozenDict(value)
    raise TypeError(f"unsupported attribute value {value!r} of type {type(value).__name__}")


def attr_key(value: Any) -> Any:
    """A hashable key that distinguishes attribute values exactly (1 vs 1.0 vs True)."""
    if isinstance(value, tuple):
        return ("t", tuple(attr_key(v) for v in value))
    if isinstance(value, FrozenDict):
        return ("d", tuple((k, attr_key(v)) for k, v in value.items()))
    if isinstance(value, DenseArray):
        return ("a", value.digest())
    return (type(value).__name__, value)
