"""The integer view of one approximate layer and its HTP plan, in numpy (no torch).

`LayerSpec` holds the plain attributes the passes put on `approx.mul` / `approx.htp` ops.
`htp_plan` folds an HTP model h(x, w) = sum_j c_j g_xj(x) g_wj(w) and the zero-point terms of
Eq. 9 into one weight per activation transform and a per-channel constant:

    acc = sum_g op(g(x_q), W_g) + C

Both executors of approximate layers use it: the ONNX lowering (`lower-approx`) and the torch
layers (`axc.runtime.approx_layers`), so the two agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .htp import ONE, HtpModel, Transform

__all__ = ["LayerSpec", "htp_plan", "output_axis"]


@dataclass(frozen=True)
class LayerSpec:
    """Geometry and integer view of one approximate layer (plain values only)."""

    op: str
    """`conv`, `gemm` or `matmul`."""
    x_scale: float
    x_zero: int
    x_min: int
    x_max: int
    mul_x_min: int
    """Smallest multiplier activation operand (LUT row 0)."""
    mul_w_min: int
    """Smallest multiplier weight operand (LUT column 0)."""
    strides: tuple[int, ...] = (1, 1)
    pads: tuple[int, ...] = (0, 0, 0, 0)
    dilations: tuple[int, ...] = (1, 1)
    group: int = 1
    auto_pad: str = "NOTSET"
    trans_b: bool = False

    @staticmethod
    def from_attrs(attrs: Mapping[str, Any]) -> LayerSpec:
        def ints(key: str, default: tuple[int, ...]) -> tuple[int, ...]:
            value = attrs.get(key)
            return tuple(int(v) for v in value) if value else default

        return LayerSpec(
            op=str(attrs["op"]), x_scale=float(attrs["x_scale"]), x_zero=int(attrs["x_zero_point"]),
            x_min=int(attrs["x_min"]), x_max=int(attrs["x_max"]),
            mul_x_min=int(attrs["mul_x_min"]), mul_w_min=int(attrs["mul_w_min"]),
            strides=ints("strides", (1, 1)), pads=ints("pads", (0, 0, 0, 0)),
            dilations=ints("dilations", (1, 1)), group=int(attrs.get("group", 1)),
            auto_pad=str(attrs.get("auto_pad", "NOTSET")), trans_b=bool(attrs.get("transB", 0)),
        )

    def conv_pads(self, height: int, width: int, kernel: tuple[int, int]) -> tuple[int, ...]:
        """Explicit (top, left, bottom, right) pads, resolving ONNX `auto_pad`."""
        if self.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            begins, ends = [], []
            for size, k, s, d in zip((height, width), kernel, self.strides, self.dilations):
                out = -(-size // s)
                total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                begin = total // 2 if self.auto_pad == "SAME_UPPER" else total - total // 2
                begins.append(begin)
                ends.append(total - begin)
            return (begins[0], begins[1], ends[0], ends[1])
        if self.auto_pad == "VALID":
            return (0, 0, 0, 0)
        return self.pads


def output_axis(spec: LayerSpec) -> int:
    """The axis of the stored weight that indexes output channels (OIHW conv, (N, K) gemm with
    transB, else (K, N))."""
    return 0 if spec.op == "conv" or (spec.op == "gemm" and spec.trans_b) else 1


def _channel_view(p: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = -1
    return p.reshape(shape)


def htp_plan(model: HtpModel, wq: np.ndarray, spec: LayerSpec, w_zero: np.ndarray
             ) -> tuple[list[tuple[Transform, np.ndarray]], np.ndarray]:
    """[(g_x, folded weight)] and the per-channel constant (float64), zero-point terms merged in.

    `wq` holds the integer weights in the multiplier domain, in the layer's layout (OIHW for
    conv, as stored for gemm/matmul); `w_zero` is per tensor or per output channel.
    """
    wd = np.asarray(wq, dtype=np.float64)
    axis = output_axis(spec)
    n_out = wd.shape[axis]
    zw = np.broadcast_to(np.asarray(w_zero, dtype=np.float64).reshape(-1), (n_out,))
    zw_view = _channel_view(zw, wd.ndim, axis)
    reduce_dims = tuple(d for d in range(wd.ndim) if d != axis)
    groups: list[tuple[Transform, np.ndarray]] = []
    constant = np.zeros(n_out, dtype=np.float64)
    identity_seen = False
    for gx, weights in model.groups():
        folded = np.zeros_like(wd)
        for coef, gw in weights:
            folded = folded + coef * gw(wd)
        if gx.kind == "id":
            folded = folded - zw_view
            identity_seen = True
        if gx == ONE:
            constant += folded.sum(axis=reduce_dims)
        else:
            groups.append((gx, folded))
    if not identity_seen and bool((zw != 0).any()):
        groups.append((Transform("id"), np.broadcast_to(-zw_view, wd.shape).copy()))
    n_taps = wd.size // n_out
    constant += -spec.x_zero * wd.sum(axis=reduce_dims) + n_taps * spec.x_zero * zw
    return groups, constant
