"""Boolean matrix factorization of a truth table: ASSO with a τ sweep, then exhaustive columns.

A subcircuit with k inputs and m outputs has a 2^k × m truth table M. Here a matrix is held as
one integer per row (bit j = output column j), which turns every inner step into table lookups.
`factorize(M, f)` finds a 2^k × f compressor table B and an f × m decompressor C with, for each
output column j, an algebra (OR or XOR over the selected factors) such that the weighted number
of mismatching cells, Σ_j w_j · |M_:j − (B ∘ C)_:j|, is small:

1. ASSO (Miettinen et al.): association matrix A[i, j] = |M_:i ∧ M_:j| / |M_:i|, rows thresholded
   at τ are candidate basis rows; greedily pick f of them, each time taking the candidate whose
   usage column (a row uses the basis when its bonus − penalty over still uncovered cells is
   positive) covers most, with the output weights scaling bonus and penalty. τ sweeps
   0.1 … 0.9 (`TAUS`); ASSO is greedy, so one run gives the bases of every degree as prefixes.
2. Decompressor: B is fixed and each column of C is chosen exhaustively among all 2^f
   combinations under OR, XOR, or the better of both per column (`algebra`), as BLASYS does;
   beyond BLASYS, a column may also be complemented (NOR/XNOR), which gives degree 0 (every
   output a constant) a meaning.
3. Beyond BLASYS: C is then fixed and every row of B is re-chosen exhaustively (the compressor is
   an arbitrary function, so any row may take any of the 2^f codes); steps 2 and 3 alternate
   while the error falls. Each step can only lower the error.

Counts and weighted errors are int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

__all__ = ["ALGEBRAS", "TAUS", "Factorization", "factorize", "factorize_all", "rows_from_bits"]

TAUS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""Association thresholds swept by ASSO (as in the BLASYS code)."""

PENALTIES: tuple[int, ...] = (1, 2, 4)
"""Penalties for covering a 0 (bonus for covering a 1 is 1); BLASYS uses only 1."""

ALGEBRAS = ("or", "xor", "mixed")
_REFINE_ROUNDS = 4
_REFINE_STARTS = 3


@dataclass(frozen=True)
class Factorization:
    """M ≈ B ∘ C for one degree: `basis` B (2^k rows as f-bit ints), `mixing` C (f × m uint8),
    `xor_columns` (m bools: that output XORs its factors, else ORs them) and the weighted error."""

    degree: int
    basis: np.ndarray
    mixing: np.ndarray
    xor_columns: np.ndarray
    error: int
    inverted: int = 0
    """Bit j set: output j is the complement (NOR/XNOR, or constant 1 when it selects nothing)."""

    def decompress(self, code: int) -> int:
        """The m-bit output row produced by the f-bit compressor output `code`."""
        out = 0
        for j in range(self.mixing.shape[1]):
            sel = code & int(_column_mask(self.mixing[:, j]))
            bit = (bin(sel).count("1") & 1) if self.xor_columns[j] else int(sel != 0)
            out |= (bit ^ ((self.inverted >> j) & 1)) << j
        return out

    def product(self) -> np.ndarray:
        """The approximate truth table B ∘ C as one m-bit int per row."""
        table = _output_rows(_column_masks(self.mixing), self.xor_columns.astype(np.uint8),
                             self.inverted, self.degree)
        return table[self.basis]


def rows_from_bits(bits: np.ndarray) -> np.ndarray:
    """A (rows × m) 0/1 array as one int64 per row (column j = bit j)."""
    bits = np.asarray(bits, dtype=np.int64)
    return (bits << np.arange(bits.shape[1], dtype=np.int64)).sum(axis=1)


def _column_mask(column: np.ndarray) -> int:
    return int(sum(int(b) << i for i, b in enumerate(column)))


def _column_masks(mixing: np.ndarray) -> np.ndarray:
    f, m = mixing.shape
    weights = np.int64(1) << np.arange(f, dtype=np.int64)
    return (mixing.astype(np.int64) * weights[:, None]).sum(axis=0).astype(np.int64)


@nb.njit(cache=True)
def _popcount(x: np.int64) -> np.int64:
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@nb.njit(cache=True)
def _weight_table(weights: np.ndarray) -> np.ndarray:
    m = weights.size
    table = np.zeros(1 << m, dtype=np.int64)
    for x in range(1, 1 << m):
        low = x & -x
        j = 0
        while (1 << j) != low:
            j += 1
        table[x] = table[x ^ low] + weights[j]
    return table


@nb.njit(cache=True)
def _output_rows(masks: np.ndarray, xor_cols: np.ndarray, inverted: int, f: int) -> np.ndarray:
    m = masks.size
    table = np.zeros(1 << f, dtype=np.int64)
    for code in range(1 << f):
        row = 0
        for j in range(m):
            sel = code & masks[j]
            if xor_cols[j]:
                bit = _popcount(sel) & 1
            else:
                bit = 1 if sel != 0 else 0
            row |= bit << j
        table[code] = row ^ inverted
    return table


@nb.njit(cache=True)
def _asso_bases(rows: np.ndarray, m: int, tau: float, n_bases: int, wtab: np.ndarray,
                penalty: int) -> np.ndarray:
    """Greedy ASSO: the usage code (bit i = basis i) of every row for `n_bases` bases."""
    n = rows.size
    ones = np.zeros(m, dtype=np.int64)
    both = np.zeros((m, m), dtype=np.int64)
    for r in range(n):
        x = rows[r]
        for i in range(m):
            if (x >> i) & 1:
                ones[i] += 1
                for j in range(m):
                    if (x >> j) & 1:
                        both[i, j] += 1
    cands = np.zeros(m, dtype=np.int64)
    for i in range(m):
        c = 0
        if ones[i] > 0:
            for j in range(m):
                if both[i, j] >= tau * ones[i]:
                    c |= 1 << j
        cands[i] = c
    full = (1 << m) - 1
    covered = np.zeros(n, dtype=np.int64)
    usage = np.zeros(n, dtype=np.int64)
    for b in range(n_bases):
        best_score = -1
        best_c = 0
        for ci in range(m):
            c = cands[ci]
            if c == 0:
                continue
            score = 0
            for r in range(n):
                free = c & ~covered[r]
                gain = wtab[free & rows[r]] - penalty * wtab[free & ~rows[r] & full]
                if gain > 0:
                    score += gain
            if score > best_score:
                best_score = score
                best_c = c
        for r in range(n):
            free = best_c & ~covered[r]
            if wtab[free & rows[r]] - penalty * wtab[free & ~rows[r] & full] > 0:
                usage[r] |= 1 << b
                covered[r] |= best_c
    return usage


@nb.njit(cache=True)
def _best_columns(rows: np.ndarray, basis: np.ndarray, m: int, f: int, mode: int):
    """Per output column, the mask over f factors, algebra and polarity with fewest mismatches.

    mode 0 = OR only, 1 = XOR only, 2 = per-column best of both. Returns masks, xor flags and
    the mask of complemented columns.
    """
    n_codes = 1 << f
    count = np.zeros(n_codes, dtype=np.int64)
    ones = np.zeros((n_codes, m), dtype=np.int64)
    for r in range(rows.size):
        b = basis[r]
        count[b] += 1
        x = rows[r]
        for j in range(m):
            if (x >> j) & 1:
                ones[b, j] += 1
    used = np.nonzero(count)[0]
    masks = np.zeros(m, dtype=np.int64)
    xor_cols = np.zeros(m, dtype=np.uint8)
    inverted = 0
    for j in range(m):
        best = np.int64(1) << 62
        for alg in range(2):
            if (mode == 0 and alg == 1) or (mode == 1 and alg == 0):
                continue
            for c in range(n_codes):
                err = 0
                for u in used:
                    sel = u & c
                    if alg == 1:
                        bit = _popcount(sel) & 1
                    else:
                        bit = 1 if sel != 0 else 0
                    err += (count[u] - ones[u, j]) if bit else ones[u, j]
                for inv in range(2):
                    e = rows.size - err if inv else err
                    if e < best:
                        best = e
                        masks[j] = c
                        xor_cols[j] = alg
                        if inv:
                            inverted |= 1 << j
                        else:
                            inverted &= ~(1 << j)
    return masks, xor_cols, inverted


@nb.njit(cache=True)
def _best_rows(rows: np.ndarray, out_rows: np.ndarray, wtab: np.ndarray) -> np.ndarray:
    """Each row's compressor code: the code whose decompressed row is closest (weighted)."""
    n = rows.size
    basis = np.zeros(n, dtype=np.int64)
    seen_value = np.full(wtab.size, -1, dtype=np.int64)
    for r in range(n):
        x = rows[r]
        if seen_value[x] >= 0:
            basis[r] = seen_value[x]
            continue
        best = np.int64(1) << 62
        best_code = 0
        for code in range(out_rows.size):
            e = wtab[out_rows[code] ^ x]
            if e < best:
                best = e
                best_code = code
        seen_value[x] = best_code
        basis[r] = best_code
    return basis


@nb.njit(cache=True)
def _weighted_error(rows: np.ndarray, approx: np.ndarray, wtab: np.ndarray) -> np.int64:
    total = 0
    for r in range(rows.size):
        total += wtab[rows[r] ^ approx[r]]
    return total


def _masks_to_mixing(masks: np.ndarray, f: int) -> np.ndarray:
    return ((masks[None, :] >> np.arange(f, dtype=np.int64)[:, None]) & 1).astype(np.uint8)


def _check(rows: np.ndarray, m: int, weights: np.ndarray | None, algebra: str) -> tuple[np.ndarray, np.ndarray]:
    if algebra not in ALGEBRAS:
        raise ValueError(f"algebra must be one of {', '.join(ALGEBRAS)}, got '{algebra}'")
    if not 1 <= m <= 20:
        raise ValueError(f"factorization supports 1..20 outputs, got {m}")
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    w = np.ones(m, dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    if w.shape != (m,) or (w < 0).any():
        raise ValueError("weights must be m non-negative integers")
    return rows, w


def factorize_all(
    rows: np.ndarray, m: int, weights: np.ndarray | None = None, algebra: str = "mixed",
    degrees: range | None = None, refine: bool = True,
) -> dict[int, Factorization]:
    """The best factorization of every degree in `degrees` (default 0 … m−1) of a table given
    as one m-bit int per row (see `rows_from_bits`). Degree 0 ties every output to its best
    constant."""
    rows, w = _check(rows, m, weights, algebra)
    degrees = range(0, m) if degrees is None else degrees
    if not len(degrees):
        return {}
    wtab = _weight_table(w)
    mode = ALGEBRAS.index(algebra)
    top = max(degrees)
    starts: dict[int, list[tuple[int, np.ndarray, tuple]]] = {f: [] for f in degrees}
    seen: dict[int, set[bytes]] = {f: set() for f in degrees}
    for tau, penalty in ((t, p) for p in PENALTIES for t in TAUS):
        usage = _asso_bases(rows, m, tau, top, wtab, penalty)
        for f in degrees:
            basis = usage & ((1 << f) - 1)
            key = basis.tobytes()
            if key in seen[f]:
                continue
            seen[f].add(key)
            cols = _best_columns(rows, basis, m, f, mode)
            err = int(_weighted_error(rows, _output_rows(cols[0], cols[1], cols[2], f)[basis], wtab))
            starts[f].append((err, basis, cols))
    best: dict[int, Factorization] = {}
    for f in degrees:
        starts[f].sort(key=lambda s: s[0])
        for err, basis, (masks, xor_cols, inv) in starts[f][:_REFINE_STARTS if refine else 1]:
            out_rows = _output_rows(masks, xor_cols, inv, f)
            for _ in range(_REFINE_ROUNDS if refine else 0):
                new_basis = _best_rows(rows, out_rows, wtab)
                new_masks, new_xor, new_inv = _best_columns(rows, new_basis, m, f, mode)
                new_out = _output_rows(new_masks, new_xor, new_inv, f)
                new_err = int(_weighted_error(rows, new_out[new_basis], wtab))
                if new_err >= err:
                    break
                basis, masks, xor_cols, inv, out_rows, err = (
                    new_basis, new_masks, new_xor, new_inv, new_out, new_err)
            if f not in best or err < best[f].error:
                best[f] = Factorization(f, basis, _masks_to_mixing(masks, f), xor_cols.astype(bool),
                                        err, int(inv))
    return best


def factorize(
    rows: np.ndarray, m: int, degree: int, weights: np.ndarray | None = None, algebra: str = "mixed",
) -> Factorization:
    """The best factorization of one degree (see `factorize_all`)."""
    if not 0 <= degree <= m:
        raise ValueError(f"degree must be in 0..{m}, got {degree}")
    return factorize_all(rows, m, weights, algebra, range(degree, degree + 1))[degree]
