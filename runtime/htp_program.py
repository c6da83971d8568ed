"""An HTP layer as one table lookup and one conv/matmul (the form `htp_forward` runs).

The folded plan of a layer (`axc.runtime.htp_fold.htp_plan`) is sum_g op(g(x_q), W_g) + C
over G activation transforms g. `build_program` turns it into

    op(T[x_q - x_min], W') + C',    T: (V, r) table of activation values, W' the r weights

- All transforms at once (a single arithmetic transform runs elementwise): T[v, k] holds the k-th transformed value of activation v (minus its
  value at the zero point Z_x for convs, so zero padding stands for real zero), so one
  embedding lookup yields every transformed input, laid out as channels c * r + k
  (channels-last for convs: no stacking copies).
- Fewest convs for the same function: a transform that combines others (v = sum 2^p bit_p(v)
  next to bit planes) is merged into their weights; then when the merged weights are linearly
  dependent (as in bit-plane surrogates whose high planes share corrections), W_g =
  sum_k U[g, k] B_k over r of them and T[:, k] = sum_g U[g, k] T[:, g]: r channels per input
  channel instead of G. For exact models this happens only with integer U, so every table
  entry stays an integer and the float32 sums stay exact; surrogates accept rational U (float
  rounding far below their own error).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .htp import Transform

__all__ = ["HtpProgram", "build_program"]

RANK_TOLERANCE = 1e-9
"""Relative size of a pivot (and of the reconstruction error) below which a folded weight
counts as a combination of the others."""


@dataclass(frozen=True)
class HtpProgram:
    """One layer's lookup table, stacked weight and constant."""

    table: torch.Tensor
    """(V, r): transformed activation values, row v for x_q = x_min + v."""
    weight: torch.Tensor
    """Conv: (O, C/group * r, KH, KW), input channel c * r + k; gemm/matmul: (K * r, N)."""
    constant: torch.Tensor
    """Per output channel, added to the conv/matmul result."""
    transform: Transform | None = None
    """The one arithmetic transform of a single-group program (elementwise ops beat a lookup)."""
    scaled: bool = False
    """Weight and constant already multiplied by the output scale S_x S_w (surrogates run
    through the lookup only: the float result then needs just the bias)."""
    divisor: float = 1.0
    """With `transform`: the layer runs on g(v) / divisor (`floor`: floor(v / 2^p) saves the
    product by 2^p) and the weight holds the factor (integers either way: sums stay exact)."""


def _independent(matrix: np.ndarray, integral: bool) -> tuple[np.ndarray, np.ndarray]:
    """(rows S, coefficients A) with matrix == A @ matrix[S] and S linearly independent; all
    rows and the identity when none drops (or, with `integral`, A is not an integer matrix)."""
    n_rows = matrix.shape[0]
    identity = (np.arange(n_rows), np.eye(n_rows))
    scale = float(np.abs(matrix).max(initial=0.0))
    if n_rows < 2 or scale == 0.0:
        return identity
    kept: list[int] = []
    for i in range(n_rows):  # in order, so later (derived) rows are the ones expressed
        if np.linalg.matrix_rank(matrix[kept + [i]], tol=RANK_TOLERANCE * scale) > len(kept):
            kept.append(i)
    if len(kept) == n_rows:
        return identity
    rows = np.array(kept)
    coef = np.linalg.lstsq(matrix[rows].T, matrix.T, rcond=None)[0].T
    if integral:
        coef = np.round(coef)
        if not np.array_equal(coef @ matrix[rows], matrix):
            return identity
    elif np.abs(coef @ matrix[rows] - matrix).max() > RANK_TOLERANCE * scale:
        return identity
    return rows, coef


def _factor(table: np.ndarray, weights: np.ndarray, integral: bool
            ) -> tuple[np.ndarray, np.ndarray]:
    """(T', W') with T' @ W' == table @ weights and as few columns/rows as the steps find:
    transforms that combine the others are merged into their weights (T = T_S A), then
    merged weights that combine the others into their transforms (A W = U B)."""
    columns, a_coef = _independent(table.T, integral)
    merged = a_coef.T @ weights
    rows, u_coef = _independent(merged, integral)
    return table[:, columns] @ u_coef, merged[rows]


def build_program(groups: list[tuple[Transform, torch.Tensor]], constant: torch.Tensor,
                  conv: bool, x_range: tuple[int, int], x_zero: int, exact: bool,
                  dtype: torch.dtype, scale: torch.Tensor | None = None) -> HtpProgram:
    """The program of folded `groups` [(g, W_g)] (W_g in the layer layout, gemm as (K, N)) and
    the constant (for convs already including sum_g g(Z_x) sum_window W_g); `scale` (per
    output channel) is folded into weight and constant when given and the model is not exact
    (exact models keep integer sums, scaled afterwards like the LUT path)."""
    values = np.arange(x_range[0], x_range[1] + 1)
    columns = []
    for gx, _ in groups:
        column = gx(values)
        if conv:
            column = column - gx(np.array([x_zero]))[0]
        columns.append(column)
    folded = np.stack([w.double().numpy().reshape(-1) for _, w in groups])
    table, basis = _factor(np.stack(columns, axis=1), folded, exact)
    shape = groups[0][1].shape
    rank = basis.shape[0]
    stacked = torch.from_numpy(basis.reshape(rank, *shape))
    if conv:  # (r, O, C, KH, KW) -> (O, C * r, KH, KW), channel c * r + k
        weight = stacked.permute(1, 2, 0, 3, 4).reshape(shape[0], shape[1] * rank, *shape[2:])
    else:  # (r, K, N) -> (K * r, N), row kk * r + k
        weight = stacked.permute(1, 0, 2).reshape(shape[0] * rank, shape[1])
    single = groups[0][0] if len(groups) == 1 and groups[0][0].arithmetic and \
        np.array_equal(table[:, 0], columns[0]) else None
    layout = torch.channels_last if conv and single is None else torch.contiguous_format
    scaled = scale is not None and not exact and single is None
    divisor = float(1 << single.p) if single is not None and single.kind == "floor" else 1.0
    weight = weight * divisor
    if scaled:
        assert scale is not None
        factor = scale.double().reshape((-1, 1, 1, 1) if conv else (1, -1))
        weight, constant = weight * factor, constant.double() * scale.double()
    return HtpProgram(torch.from_numpy(table).to(dtype).contiguous(),
                      weight.to(dtype).contiguous(memory_format=layout), constant.to(dtype), single,
                      scaled, divisor)
