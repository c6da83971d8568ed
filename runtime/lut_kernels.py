"""Numba kernels for bit-exact ("behavioural") LUT execution of approximate multipliers.

Operands arrive as *offset indices* into the multiplier's LUT (x - x_min, w - w_min; see
`axc.runtime.multipliers.model`); `lut` is the int32 table of shape (2^x_bits, 2^w_bits). Every
kernel returns the exact int64 sum of LUT products:

- `lut_matmul(xi, wi, lut)`: out[m, n] = sum_k lut[xi[m, k], wi[k, n]]. Weights are constant in
  a layer, so the table is first *expanded by the weights*: `expand_weights` builds
  E[n-block, k, x, j] = lut[x, wi[k, n0 + j]] (K * N * 2^x_bits entries, built once per layer
  and reusable), after which each product-sum row is a run of contiguous B-wide vector adds
  E[nb, k, xi[m, k], :] instead of B scalar gathers (B = 16, 32 or 64 columns per block). The
  rows are split over threads; each thread keeps an int32 accumulator tile of its rows x B
  columns; activations come column-major (K, M), the natural im2col layout, so the inner loop
  streams them. Very large expansions fall back to a direct gather kernel.
- `lut_conv2d(xi, wi, lut, ...)`: NCHW conv via im2col + the gather-GEMM; groups are separate
  GEMMs; depthwise convs (group == channels) use a direct kernel. Padding positions take the
  index `pad_index` (the offset index of the activation zero point: real 0).
- `numpy_gather_matmul` / `numpy_gather_conv2d`: the plain numpy gather baseline
  (`lut[x, w].sum(...)` over a materialised 3-D index), for the benchmark and tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "conv_output_size",
    "conv_weight_matrices",
    "expand_weights",
    "im2col",
    "lut_conv2d",
    "lut_matmul",
    "numpy_gather_conv2d",
    "numpy_gather_matmul",
]


BLOCK_WIDTHS = (16, 32, 64)
"""Output columns per expanded-table block: the smallest of these covering N, else the last
(wider blocks amortise the per-row index loads; measured fastest on AVX-512 CPUs)."""
SPILL_K = 1024
"""Reduction steps summed in int32 before spilling to int64 (|products| <= 2^20 never wrap)."""
EXPANSION_LIMIT = 1 << 27
"""Largest expanded table (entries) before `lut_matmul` falls back to direct gathers."""


@njit(parallel=True, cache=True)
def _gather_gemm(xi, wi, lut):  # pragma: no cover - compiled
    m_rows, k_dim = xi.shape
    n_cols = wi.shape[1]
    out = np.zeros((m_rows, n_cols), dtype=np.int64)
    for m in prange(m_rows):
        acc = np.zeros(n_cols, dtype=np.int64)
        for k in range(k_dim):
            row = lut[xi[m, k]]
            for n in range(n_cols):
                acc[n] += row[wi[k, n]]
        for n in range(n_cols):
            out[m, n] = acc[n]
    return out


@njit(parallel=True, cache=True)
def _expand(wi, lut, block_n):  # pragma: no cover - compiled
    k_dim, n_cols = wi.shape
    x_size = lut.shape[0]
    n_blocks = (n_cols + block_n - 1) // block_n
    table = np.zeros((n_blocks, k_dim, x_size, block_n), dtype=np.int32)
    for bk in prange(n_blocks * k_dim):
        b = bk // k_dim
        k = bk % k_dim
        width = min(block_n, n_cols - b * block_n)
        for x in range(x_size):
            row = lut[x]
            for j in range(width):
                table[b, k, x, j] = row[wi[k, b * block_n + j]]
    return table


@njit(parallel=True, cache=True)
def _table_gemm(xt, table, n_cols, block_m):  # pragma: no cover - compiled
    """xt: (K, M) activation indices (column-major im2col); table: `_expand` output."""
    k_dim, m_rows = xt.shape
    n_blocks, _, _, block_n = table.shape
    out = np.zeros((m_rows, n_cols), dtype=np.int64)
    n_mblocks = (m_rows + block_m - 1) // block_m
    for mb in prange(n_mblocks):
        m0 = mb * block_m
        m1 = min(m_rows, m0 + block_m)
        tile = np.zeros((m1 - m0, block_n), dtype=np.int32)
        for b in range(n_blocks):
            width = min(block_n, n_cols - b * block_n)
            for k0 in range(0, k_dim, SPILL_K):
                tile[:, :] = 0
                for k in range(k0, min(k_dim, k0 + SPILL_K)):
                    xk = xt[k]
                    table_k = table[b, k]
                    for m in range(m0, m1):
                        row = table_k[xk[m]]
                        acc = tile[m - m0]
                        for j in range(block_n):
                            acc[j] += row[j]
                for m in range(m0, m1):
                    for j in range(width):
                        out[m, b * block_n + j] += tile[m - m0, j]
    return out


@njit(parallel=True, cache=True)
def _im2col_t(xi, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_index):  # pragma: no cover
    n_batch, channels, height, width = xi.shape
    cols = np.empty((channels * kh * kw, n_batch * oh * ow), dtype=xi.dtype)
    for row in prange(channels * kh * kw):
        c = row // (kh * kw)
        i = (row // kw) % kh
        j = row % kw
        # output columns ox in [ox_lo, ox_hi) read inside the image, the rest are padding
        shift = j * dw - pw
        ox_lo = min(ow, max(0, (-shift + sw - 1) // sw))
        ox_hi = max(ox_lo, min(ow, (width - 1 - shift) // sw + 1)) if width > shift else ox_lo
        col = 0
        for b in range(n_batch):
            for oy in range(oh):
                y = oy * sh - ph + i * dh
                if y < 0 or y >= height:
                    cols[row, col:col + ow] = pad_index
                else:
                    cols[row, col:col + ox_lo] = pad_index
                    for ox in range(ox_lo, ox_hi):
                        cols[row, col + ox] = xi[b, c, y, ox * sw + shift]
                    cols[row, col + ox_hi:col + ow] = pad_index
                col += ow
    return cols


@njit(parallel=True, cache=True)
def _depthwise(xi, wi, lut, sh, sw, ph, pw, dh, dw, oh, ow, pad_index):  # pragma: no cover
    n_batch, channels, height, width = xi.shape
    kh, kw = wi.shape[2], wi.shape[3]
    out = np.zeros((n_batch, channels, oh, ow), dtype=np.int64)
    for bc in prange(n_batch * channels):
        b = bc // channels
        c = bc % channels
        for oy in range(oh):
            for ox in range(ow):
                acc = np.int64(0)
                for i in range(kh):
                    y = oy * sh - ph + i * dh
                    for j in range(kw):
                        x = ox * sw - pw + j * dw
                        if 0 <= y < height and 0 <= x < width:
                            xv = xi[b, c, y, x]
                        else:
                            xv = pad_index
                        acc += lut[xv, wi[c, 0, i, j]]
                out[b, c, oy, ox] = acc
    return out


def conv_output_size(size: int, kernel: int, stride: int, pad_begin: int, pad_end: int,
                     dilation: int) -> int:
    return (size + pad_begin + pad_end - dilation * (kernel - 1) - 1) // stride + 1


def _as_index(a: np.ndarray, size: int) -> np.ndarray:
    dtype = np.uint8 if size <= 256 else np.uint16 if size <= 65536 else np.int32
    return np.ascontiguousarray(a, dtype=dtype)


def _as_lut(lut: np.ndarray) -> np.ndarray:
    if lut.ndim != 2:
        raise ValueError("lut must be a 2-D (2^x_bits, 2^w_bits) table")
    return np.ascontiguousarray(lut, dtype=np.int32)


def expand_weights(wi: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """The weight-expanded table E[n-block, k, x, j] = lut[x, wi[k, n-block*B + j]] (B: the
    block width chosen from `BLOCK_WIDTHS` for N = wi.shape[1])."""
    lut = _as_lut(lut)
    width = next((b for b in BLOCK_WIDTHS if b >= wi.shape[1]), BLOCK_WIDTHS[-1])
    return _expand(_as_index(wi, lut.shape[1]), lut, width)


def _run_table_gemm(xt: np.ndarray, wi: np.ndarray, lut: np.ndarray,
                    table: np.ndarray | None) -> np.ndarray:
    from numba import get_num_threads

    k_dim, n_cols = wi.shape
    if table is None and k_dim * n_cols * lut.shape[0] > EXPANSION_LIMIT:
        xi = np.ascontiguousarray(xt.T)
        return _gather_gemm(xi, _as_index(wi, lut.shape[1]), lut)
    if table is None:
        table = expand_weights(wi, lut)
    rows = xt.shape[1]
    block_m = max(1, -(-rows // get_num_threads()))  # one accumulator tile per thread
    return _table_gemm(xt, table, n_cols, block_m)


def lut_matmul(xi: np.ndarray, wi: np.ndarray, lut: np.ndarray,
               table: np.ndarray | None = None) -> np.ndarray:
    """(M, K) x (K, N) sum of LUT products, int64; `table` = `expand_weights(wi, lut)` if cached."""
    lut = _as_lut(lut)
    xt = np.ascontiguousarray(_as_index(xi, lut.shape[0]).T)
    return _run_table_gemm(xt, wi, lut, table)


def im2col(xi: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int],
           pads: tuple[int, int, int, int], dilations: tuple[int, int],
           pad_index: int, x_size: int = 256) -> tuple[np.ndarray, int, int]:
    """Column-major im2col: rows (channel, ky, kx) x columns (batch, oy, ox); and (OH, OW)."""
    _, _, height, width = xi.shape
    oh = conv_output_size(height, kernel[0], strides[0], pads[0], pads[2], dilations[0])
    ow = conv_output_size(width, kernel[1], strides[1], pads[1], pads[3], dilations[1])
    xi = _as_index(xi, x_size)
    cols = _im2col_t(xi, kernel[0], kernel[1], strides[0], strides[1], pads[0], pads[1],
                     dilations[0], dilations[1], oh, ow, xi.dtype.type(pad_index))
    return cols, oh, ow


def conv_weight_matrices(wi: np.ndarray, group: int) -> list[np.ndarray]:
    """Per group, the (C/g * KH * KW, O/g) weight-index matrix of an OIHW conv."""
    out_per_group = wi.shape[0] // group
    return [np.ascontiguousarray(wi[g * out_per_group:(g + 1) * out_per_group]
                                 .reshape(out_per_group, -1).T) for g in range(group)]


def lut_conv2d(
    xi: np.ndarray, wi: np.ndarray, lut: np.ndarray,
    strides: tuple[int, int] = (1, 1), pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    dilations: tuple[int, int] = (1, 1), group: int = 1, pad_index: int = 0,
    tables: list[np.ndarray] | None = None, layout: str = "nchw",
) -> np.ndarray:
    """NCHW conv of offset indices `xi` with OIHW offset indices `wi`: int64 (N, O, OH, OW),
    or with `layout="nhwc"` (N, OH, OW, O), possibly a strided view.

    `tables` are the cached `expand_weights` of `conv_weight_matrices(wi, group)` (or tables
    of the same shape with per-entry offsets added: the sums then include them).
    """
    lut = _as_lut(lut)
    x_size = lut.shape[0]
    n_batch, channels = xi.shape[:2]
    out_channels, _, kh, kw = wi.shape
    if group == channels == out_channels and group > 1:
        oh = conv_output_size(xi.shape[2], kh, strides[0], pads[0], pads[2], dilations[0])
        ow = conv_output_size(xi.shape[3], kw, strides[1], pads[1], pads[3], dilations[1])
        xi = _as_index(xi, x_size)
        out = _depthwise(xi, _as_index(wi, lut.shape[1]), lut, strides[0], strides[1],
                         pads[0], pads[1], dilations[0], dilations[1], oh, ow,
                         xi.dtype.type(pad_index))
        return out.transpose(0, 2, 3, 1) if layout == "nhwc" else out
    in_per_group = channels // group
    out_per_group = out_channels // group
    matrices = conv_weight_matrices(wi, group)
    results = []
    for g in range(group):
        xg = xi[:, g * in_per_group:(g + 1) * in_per_group]
        cols, oh, ow = im2col(xg, (kh, kw), strides, pads, dilations, pad_index, x_size)
        acc = _run_table_gemm(cols, matrices[g], lut, None if tables is None else tables[g])
        results.append(acc.reshape(n_batch, oh, ow, out_per_group))
    nhwc = results[0] if group == 1 else np.concatenate(results, axis=3)
    return nhwc if layout == "nhwc" else np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))


def numpy_gather_matmul(xi: np.ndarray, wi: np.ndarray, lut: np.ndarray,
                        chunk: int = 1 << 22) -> np.ndarray:
    """Baseline: materialise all (m, k, n) LUT indices with numpy, gather, sum over k."""
    flat = np.asarray(lut).ravel()
    w_size = lut.shape[1]
    m_rows, k_dim = xi.shape
    n_cols = wi.shape[1]
    rows = max(1, chunk // max(1, k_dim * n_cols))
    out = np.empty((m_rows, n_cols), dtype=np.int64)
    w64 = wi.astype(np.int64)
    for start in range(0, m_rows, rows):
        x64 = xi[start:start + rows].astype(np.int64)
        index = x64[:, :, None] * w_size + w64[None, :, :]
        out[start:start + rows] = flat[index].sum(axis=1, dtype=np.int64)
    return out


def numpy_gather_conv2d(
    xi: np.ndarray, wi: np.ndarray, lut: np.ndarray,
    strides: tuple[int, int] = (1, 1), pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    dilations: tuple[int, int] = (1, 1), group: int = 1, pad_index: int = 0,
) -> np.ndarray:
    """Baseline conv: numpy sliding-window im2col, then `numpy_gather_matmul` per group."""
    n_batch, channels = xi.shape[:2]
    out_channels, _, kh, kw = wi.shape
    padded = np.pad(xi, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                    constant_values=pad_index)
    span_h, span_w = dilations[0] * (kh - 1) + 1, dilations[1] * (kw - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(padded, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::strides[0], ::strides[1], ::dilations[0], ::dilations[1]]
    oh, ow = windows.shape[2], windows.shape[3]
    in_per_group, out_per_group = channels // group, out_channels // group
    results = []
    for g in range(group):
        wg = windows[:, g * in_per_group:(g + 1) * in_per_group]
        cols = wg.transpose(0, 2, 3, 1, 4, 5).reshape(n_batch * oh * ow, -1)
        wmat = wi[g * out_per_group:(g + 1) * out_per_group].reshape(out_per_group, -1).T
        acc = numpy_gather_matmul(cols, wmat, lut)
        results.append(acc.reshape(n_batch, oh, ow, out_per_group).transpose(0, 3, 1, 2))
    return np.concatenate(results, axis=1)
