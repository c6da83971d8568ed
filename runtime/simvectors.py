"""Packed input vectors for the logic simulator: exhaustive, seeded random or user-given.

`VectorSet.words[i, w]` holds input bit i (ports in order, LSB first) of vectors 64·w … 64·w+63;
bits past `n_vectors` in the last word are zero. `pack_ints`/`unpack_ints` convert between
integers (two's complement, any width) and such packed rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from axc.ir import InputError
from axc.ir.views import LogicView

from . import simkernels as K

__all__ = ["MAX_EXHAUSTIVE_INPUTS", "VectorSet", "exhaustive_words", "n_words_for", "pack_ints", "signed_objects", "tail_mask",
           "unpack_ints"]

MAX_EXHAUSTIVE_INPUTS = 24
"""`VectorSet.exhaustive` refuses circuits with more input bits than this (2^24 vectors)."""

_PATTERNS = np.array(
    [0xAAAAAAAAAAAAAAAA, 0xCCCCCCCCCCCCCCCC, 0xF0F0F0F0F0F0F0F0,
     0xFF00FF00FF00FF00, 0xFFFF0000FFFF0000, 0xFFFFFFFF00000000], dtype=np.uint64)


def exhaustive_words(n_inputs: int, first_word: int, n_words: int) -> np.ndarray:
    """Words `first_word` … of the exhaustive enumeration of `n_inputs` bits (vector index bit i
    = input bit i), so that 2^24 vectors can be simulated a slice at a time."""
    words = np.zeros((n_inputs, n_words), dtype=np.uint64)
    word_index = np.arange(first_word, first_word + n_words, dtype=np.uint64)
    for i in range(n_inputs):
        if i < 6:
            words[i] = _PATTERNS[i]
        else:
            words[i] = np.where((word_index >> np.uint64(i - 6)) & np.uint64(1),
                                np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))
    return words


def n_words_for(n_vectors: int) -> int:
    return (n_vectors + 63) // 64


def tail_mask(n_vectors: int) -> np.ndarray:
    """Per word, the mask of bits that hold real vectors."""
    mask = np.full(n_words_for(n_vectors), np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    if n_vectors % 64:
        mask[-1] = np.uint64((1 << (n_vectors % 64)) - 1)
    return mask


def pack_ints(values: Sequence[int] | np.ndarray, width: int) -> np.ndarray:
    """Bits of `width`-bit integers as (width × n_words) packed rows (two's complement)."""
    arr = np.asarray(values)
    n = arr.shape[0]
    rows = np.zeros((width, n_words_for(n)), dtype=np.uint64)
    if arr.dtype == object or width > 64:
        mask = (1 << width) - 1
        chunks = [np.array([(int(x) & mask) >> (64 * c) & 0xFFFFFFFFFFFFFFFF for x in arr],
                           dtype=np.uint64) for c in range((width + 63) // 64)]
    else:
        chunks = [arr.astype(np.int64).view(np.uint64) if arr.dtype.kind == "i"
                  else arr.astype(np.uint64)]
    padded = n_words_for(n) * 64
    for i in range(width):
        bits = ((chunks[i // 64] >> np.uint64(i % 64)) & np.uint64(1)).astype(np.uint8)
        if padded != n:
            bits = np.concatenate([bits, np.zeros(padded - n, dtype=np.uint8)])
        rows[i] = np.packbits(bits, bitorder="little").view(np.uint64)
    return rows


def unpack_ints(rows: np.ndarray, n_vectors: int, signed: bool = False) -> np.ndarray:
    """Integers whose bit i is row i: uint64/int64 up to 64 rows, Python ints (object) above."""
    width = rows.shape[0]
    if width <= 64:
        out = K.gather_ints(np.ascontiguousarray(rows), n_vectors)
        if not signed:
            return out
        if width < 64:
            sign = np.uint64(1) << np.uint64(width - 1)
            out = (out ^ sign) - sign
        return out.view(np.int64)
    parts = [K.gather_ints(np.ascontiguousarray(rows[c:c + 64]), n_vectors)
             for c in range(0, width, 64)]
    values = np.zeros(n_vectors, dtype=object)
    for c, part in enumerate(parts):
        values += part.astype(object) * (1 << (64 * c))
    return signed_objects(values, width) if signed else values


def signed_objects(values: np.ndarray, width: int) -> np.ndarray:
    """Python-int (object) words of `width` bits read in two's complement."""
    return np.where(values >= 1 << (width - 1), values - (1 << width), values)


@dataclass(frozen=True)
class VectorSet:
    """Input vectors, packed: `words[i, w]` holds input bit i of vectors 64·w … 64·w+63."""

    words: np.ndarray
    """(n_input_bits × n_words) uint64."""
    n_vectors: int
    source: Literal["exhaustive", "random", "user"]
    """How the vectors were made (reported with every metric)."""
    seed: int | None = None
    """The seed of random vectors."""
    input_ports: tuple[tuple[str, int], ...] = ()

    @property
    def n_words(self) -> int:
        return int(self.words.shape[1])

    def describe(self) -> str:
        if self.source == "random":
            return f"{self.n_vectors} random vectors (seed {self.seed})"
        return f"{self.n_vectors} {self.source} vectors"

    @classmethod
    def exhaustive(cls, view: LogicView) -> VectorSet:
        """All 2^n input patterns; vector index bit i = input bit i (first port in the LSBs)."""
        n_in = view.n_inputs
        if n_in > MAX_EXHAUSTIVE_INPUTS:
            raise InputError(f"{n_in} input bits are too many for exhaustive simulation "
                             f"(at most {MAX_EXHAUSTIVE_INPUTS}); use random vectors")
        n_vectors = 1 << n_in
        words = exhaustive_words(n_in, 0, n_words_for(n_vectors))
        words &= tail_mask(n_vectors)
        return cls(words, n_vectors, "exhaustive", None, tuple(view.input_ports))

    @classmethod
    def random(cls, view: LogicView, n_vectors: int, seed: int = 0) -> VectorSet:
        """`n_vectors` uniformly random input patterns from a seeded generator."""
        if n_vectors <= 0:
            raise InputError(f"the number of vectors must be positive, got {n_vectors}")
        rng = np.random.default_rng(seed)
        words = rng.integers(0, 1 << 64, size=(view.n_inputs, n_words_for(n_vectors)),
                             dtype=np.uint64, endpoint=False)
        words &= tail_mask(n_vectors)
        return cls(words, n_vectors, "random", seed, tuple(view.input_ports))

    @classmethod
    def auto(cls, view: LogicView, n_random: int = 10_000, seed: int = 0) -> VectorSet:
        """Exhaustive when 2^inputs ≤ max(n_random, 2^16), else `n_random` random vectors."""
        if view.n_inputs <= MAX_EXHAUSTIVE_INPUTS and 1 << view.n_inputs <= max(n_random, 1 << 16):
            return cls.exhaustive(view)
        return cls.random(view, n_random, seed)

    @classmethod
    def from_ports(cls, view: LogicView, values: Mapping[str, Sequence[int] | np.ndarray]) -> VectorSet:
        """User vectors: one integer array per input port (all the same length)."""
        missing = [name for name, _ in view.input_ports if name not in values]
        extra = sorted(set(values) - {name for name, _ in view.input_ports})
        if missing or extra:
            raise InputError(f"vectors must give every input port: missing {missing}, unknown {extra}")
        lengths = {len(values[name]) for name, _ in view.input_ports}
        if len(lengths) > 1:
            raise InputError(f"input ports have different vector counts: {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        if n == 0:
            raise InputError("no vectors given")
        rows = [pack_ints(values[name], width) for name, width in view.input_ports]
        words = np.concatenate(rows) if rows else np.zeros((0, n_words_for(n)), dtype=np.uint64)
        return cls(words, n, "user", None, tuple(view.input_ports))

    @classmethod
    def from_words(cls, words: np.ndarray, n_vectors: int, source: str = "user",
                   seed: int | None = None) -> VectorSet:
        """Vectors already packed (e.g. signal rows of another simulation)."""
        words = np.ascontiguousarray(words, dtype=np.uint64).copy()
        words &= tail_mask(n_vectors)
        return cls(words, n_vectors, source, seed)  # type: ignore[arg-type]

    def port_values(self, name: str, signed: bool = False) -> np.ndarray:
        """The integer applied to input port `name` in each vector."""
        lo = 0
        for port, width in self.input_ports:
            if port == name:
                return unpack_ints(self.words[lo:lo + width], self.n_vectors, signed)
            lo += width
        raise InputError(f"no input port '{name}'")
