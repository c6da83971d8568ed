"""LUT execution of `approx.mul` layers: every product looked up in the multiplier's table.

`lut_forward` evaluates acc = sum f(x_q, w_q) - Z_w sum x_q - Z_x sum w_q + N Z_x Z_w (see
`axc.runtime.approx_layers`) with the bit-exact numba kernels of `axc.runtime.lut_kernels`. The
weight-expanded tables are cached per weight content and carry the zero-point terms folded into
their entries, (Z_x - x) Z_w[n] - Z_x w[k, n] per product, so the kernel sums are the whole
integer accumulator and nothing else runs per call but quantization, im2col and the kernel.
`kernel="numpy"` runs the plain numpy gather baseline (zero-point terms added separately).
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn.functional as F

from .approx_layers import (
    LayerSpec,
    _as_kn,
    _finish,
    _out_channel_params,
    quantize_input,
    weight_integers,
)
from .lut_kernels import (
    conv_weight_matrices,
    expand_weights,
    lut_conv2d,
    lut_matmul,
    numpy_gather_conv2d,
    numpy_gather_matmul,
)

__all__ = ["lut_forward"]


def _zero_point_terms(xq: torch.Tensor, wq: torch.Tensor, spec: LayerSpec, w_zero: torch.Tensor,
                      pads: tuple[int, ...]) -> torch.Tensor:
    """-Z_w sum x_q - Z_x sum w_q + N Z_x Z_w (float64, exact)."""
    n_out = wq.shape[0] if spec.op == "conv" else _as_kn(wq, spec).shape[1]
    zw = _out_channel_params(torch.ones(()), w_zero, n_out)[1].double()
    if spec.op == "conv":
        # float32 window sums are exact: |x_q| < 2^16 and windows far below 2^8 taps here
        ones = torch.ones((1, wq.shape[1], *wq.shape[2:]), dtype=torch.float32)
        padded = F.pad(xq.float(), (pads[1], pads[3], pads[0], pads[2]), value=float(spec.x_zero))
        group_sums = [F.conv2d(part, ones, stride=spec.strides, dilation=spec.dilations).double()
                      for part in padded.chunk(spec.group, dim=1)]
        per_group = wq.shape[0] // spec.group
        x_sum = torch.cat([s.expand(-1, per_group, -1, -1) for s in group_sums], dim=1)
        w_sum = wq.double().sum(dim=(1, 2, 3))
        n = wq[0].numel()
        view = (1, -1, 1, 1)
    else:
        w_kn = _as_kn(wq, spec).double()
        x_sum = xq.double().sum(dim=-1, keepdim=True)
        w_sum = w_kn.sum(dim=0)
        n = w_kn.shape[0]
        view = (1,) * (xq.ndim - 1) + (-1,)
    return (-zw.reshape(view) * x_sum - spec.x_zero * w_sum.reshape(view)
            + n * spec.x_zero * zw.reshape(view))


_TABLE_CACHE: dict[str, list[np.ndarray] | None] = {}
FOLD_LIMIT = 1 << 20
"""Largest |folded table entry|: the kernels sum 1024 entries in int32 before spilling."""


def _fold_zero_points(table: np.ndarray, w_values: np.ndarray, zw: np.ndarray, zx: int,
                      x_values: np.ndarray) -> np.ndarray | None:
    """E[b, k, x, j] + (Z_x - x) Z_w[n] - Z_x w[k, n] (n = 16 b + j): the kernel sums then
    include the zero-point terms; None when an entry would leave the kernels' int32 range."""
    n_blocks, k_dim, _, block = table.shape
    n_cols = w_values.shape[1]
    pad = n_blocks * block - n_cols
    zw_p = np.pad(zw, (0, pad)).reshape(n_blocks, 1, 1, block)
    wv_p = np.pad(w_values, ((0, 0), (0, pad))).reshape(k_dim, n_blocks, block).transpose(1, 0, 2)
    folded = (table.astype(np.int64) + (zx - x_values.reshape(1, 1, -1, 1)) * zw_p
              - zx * wv_p[:, :, None, :])
    if pad:
        folded[..., block - pad:] = 0
    if np.abs(folded).max(initial=0) >= FOLD_LIMIT:
        return None
    return folded.astype(np.int32)


_LUT_DIGESTS: dict[int, tuple[np.ndarray, bytes]] = {}


def _lut_digest(lut: np.ndarray) -> bytes:
    """Content digest of a LUT, remembered per array object (LUTs are never edited in place)."""
    known = _LUT_DIGESTS.get(id(lut))
    if known is not None and known[0] is lut:
        return known[1]
    digest = hashlib.blake2b(lut.tobytes() + bytes(str(lut.shape), "ascii"), digest_size=16).digest()
    if len(_LUT_DIGESTS) > 64:
        _LUT_DIGESTS.clear()
    _LUT_DIGESTS[id(lut)] = (lut, digest)
    return digest


def _cached_tables(wi: np.ndarray, lut: np.ndarray, group: int, conv: bool,
                   zw: np.ndarray, spec: LayerSpec) -> list[np.ndarray] | None:
    """Expanded tables with the zero-point terms folded in (per group), cached by content;
    None when folding does not fit (the caller adds the terms separately)."""
    digest = hashlib.blake2b(_lut_digest(lut), digest_size=16)
    for part in (wi, zw, np.array([group, conv, spec.x_zero, spec.mul_x_min, spec.mul_w_min,
                                   *wi.shape])):
        digest.update(np.ascontiguousarray(part).tobytes())
    key = digest.hexdigest()
    if key in _TABLE_CACHE:
        return _TABLE_CACHE[key]
    matrices = conv_weight_matrices(wi, group) if conv else [wi]
    per_group = zw.shape[0] // group
    x_values = np.arange(lut.shape[0], dtype=np.int64) + spec.mul_x_min
    tables: list[np.ndarray] | None = []
    for g, m in enumerate(matrices):
        folded = _fold_zero_points(expand_weights(m, lut), m.astype(np.int64) + spec.mul_w_min,
                                   zw[g * per_group:(g + 1) * per_group], spec.x_zero, x_values)
        if folded is None:
            tables = None
            break
        tables.append(folded)
    if len(_TABLE_CACHE) > 64:
        _TABLE_CACHE.clear()
    _TABLE_CACHE[key] = tables
    return tables


def lut_forward(x: torch.Tensor, w: torch.Tensor, w_scale: torch.Tensor, w_zero: torch.Tensor,
                lut: torch.Tensor | np.ndarray, bias: torch.Tensor | None,
                spec: LayerSpec, kernel: str = "numba") -> torch.Tensor:
    """The layer with every product looked up in `lut` (bit-exact integer sums).

    `kernel="numpy"` runs the plain numpy gather baseline instead of the numba kernels.
    """
    xq = quantize_input(x, spec)
    wq = weight_integers(w, w_scale, w_zero, spec)
    table = np.ascontiguousarray(np.asarray(lut), dtype=np.int32)
    index_type = torch.uint8 if table.shape[0] <= 256 and kernel != "numpy" else torch.int32
    xi = (xq - spec.mul_x_min).to(index_type).numpy()
    tables = None
    if spec.op == "conv":
        pads = spec.conv_pads(x.shape[2], x.shape[3], tuple(w.shape[2:]))
        wi = (wq - spec.mul_w_min).to(torch.int32).numpy()
        if kernel == "numpy":
            acc = numpy_gather_conv2d(xi, wi, table, spec.strides, pads, spec.dilations,
                                      spec.group, spec.x_zero - spec.mul_x_min)
        else:
            zw = _out_channel_params(torch.ones(()), w_zero, w.shape[0])[1].numpy()
            depthwise = spec.group == x.shape[1] == w.shape[0] and spec.group > 1
            tables = None if depthwise or not _integral(zw) else \
                _cached_tables(wi, table, spec.group, True, zw.astype(np.int64), spec)
            acc = lut_conv2d(xi, wi, table, spec.strides, pads, spec.dilations, spec.group,
                             spec.x_zero - spec.mul_x_min, tables, layout="nhwc")
        channel_axis = 1
    else:
        pads = (0, 0, 0, 0)
        wi = (_as_kn(wq, spec) - spec.mul_w_min).to(torch.int32).numpy()
        rows = xi.reshape(-1, xi.shape[-1])
        if kernel == "numpy":
            acc = numpy_gather_matmul(rows, wi, table)
        else:
            zw = _out_channel_params(torch.ones(()), w_zero, wi.shape[1])[1].numpy()
            tables = _cached_tables(wi, table, 1, False, zw.astype(np.int64), spec) \
                if _integral(zw) else None
            acc = lut_matmul(rows, wi, table, None if tables is None else tables[0])
        acc = acc.reshape(*xi.shape[:-1], wi.shape[1])
        channel_axis = acc.ndim - 1
    total = torch.from_numpy(acc)
    if spec.op == "conv" and kernel != "numpy":
        total = total.permute(0, 3, 1, 2)  # NHWC kernel output seen as NCHW
    if tables is None:
        total = total.double() + _zero_point_terms(xq, wq, spec, w_zero, pads)
    return _finish(total, spec, w_scale, bias, channel_axis)


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(values == np.round(values)))
