"""Sum-of-products covers of truth tables (Minato-Morreale irredundant SOP).

A cube is a string with one character per input: `1` (input true), `0` (false), `-` (free),
input 0 first, as in BLIF covers. Tables follow the `TruthTable` convention (bit p = value at
input pattern p, input i = bit i of p).
"""

from __future__ import annotations

from collections.abc import Sequence

from axc.ir.attributes import full_mask, literal_mask

__all__ = ["cover_table", "cube_table", "isop", "smallest_cover"]


def _cofactors(table: int, n: int, var: int) -> tuple[int, int]:
    """Both cofactors on `var`, each as an n-input table that does not depend on `var`."""
    pos = literal_mask(n, var)
    shift = 1 << var
    hi = table & pos
    lo = table & ~pos & full_mask(n)
    return lo | (lo << shift), hi | (hi >> shift)


def _isop(lower: int, upper: int, n: int, top: int) -> tuple[list[dict[int, int]], int]:
    if lower == 0:
        return [], 0
    if upper == full_mask(n):
        return [{}], full_mask(n)
    var = top
    while var >= 0:
        l0, l1 = _cofactors(lower, n, var)
        u0, u1 = _cofactors(upper, n, var)
        if l0 != l1 or u0 != u1:
            break
        var -= 1
    pos = literal_mask(n, var)
    neg = full_mask(n) & ~pos
    c0, f0 = _isop(l0 & ~u1, u0, n, var - 1)
    c1, f1 = _isop(l1 & ~u0, u1, n, var - 1)
    rest_lower = (l0 & ~f0) | (l1 & ~f1)
    cs, fs = _isop(rest_lower & full_mask(n), u0 & u1, n, var - 1)
    cubes = [{**c, var: 0} for c in c0] + [{**c, var: 1} for c in c1] + cs
    return cubes, (f0 & neg) | (f1 & pos) | fs


def isop(table: int, n: int) -> list[str]:
    """An irredundant sum-of-products cover of `table` over `n` inputs."""
    cubes, _ = _isop(table, table, n, n - 1)
    return ["".join(str(c[i]) if i in c else "-" for i in range(n)) for c in cubes]


def smallest_cover(table: int, n: int) -> tuple[list[str], bool]:
    """The smaller of the ON-set and OFF-set covers: (cubes, True for ON-set).

    A constant-1 function keeps its ON-set cover: an empty cover means constant 0 in BLIF,
    whichever output value its (absent) rows would have had.
    """
    on = isop(table, n)
    off = isop(full_mask(n) ^ table, n)
    return (on, True) if len(on) <= len(off) or not off else (off, False)


def cube_table(n: int, cube: str) -> int:
    """Minterms of one cube (`0`, `1`, `-` per input) as a truth table."""
    mask = full_mask(n)
    for i, c in enumerate(cube):
        if c == "1":
            mask &= literal_mask(n, i)
        elif c == "0":
            mask &= ~literal_mask(n, i)
    return mask


def cover_table(n: int, cubes: Sequence[str]) -> int:
    """The union of the cubes' minterms: the truth table of an ON-set cover."""
    table = 0
    for cube in cubes:
        table |= cube_table(n, cube)
    return table
