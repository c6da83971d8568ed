"""Torch implementations of the `nn` dialect ops, with ONNX semantics.

Each kernel is `fn(args: list[Tensor], attrs: dict) -> Tensor`; `KERNELS` maps the IR op name to
it. Integer-valued tensors produced by `nn.quantize` are kept as float tensors holding integers,
so a QuantizeLinear -> (Clip) -> DequantizeLinear chain is a fake quantizer; rounding uses the
straight-through estimator (identity gradient) and saturation the clipped gradient, so quantized
graphs train. Quantization divides by the scale (as ONNX does) and rounds half to even.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "INT_RANGES", "KERNELS", "OPAQUE_KERNELS", "fake_quantize", "fake_quantize_activation", "quantize_ste",
    "round_ste",
]

Tensor = torch.Tensor

INT_RANGES: dict[str, tuple[int, int]] = {
    "i2": (-2, 1), "u2": (0, 3), "i4": (-8, 7), "u4": (0, 15), "i8": (-128, 127), "u8": (0, 255),
    "i16": (-32768, 32767), "u16": (0, 65535), "i32": (-(2**31), 2**31 - 1),
}
"""Saturation bounds of the integer element types a quantize may produce."""


def round_ste(x: Tensor) -> Tensor:
    """Round half to even; the gradient passes straight through."""
    if not (x.requires_grad and torch.is_grad_enabled()):
        return torch.round(x)
    return x + (torch.round(x) - x).detach()


def fake_quantize_activation(x: Tensor, scale: Tensor, lo: float, hi: float) -> Tensor:
    """A fused per-tensor QuantizeLinear -> (Clip) -> DequantizeLinear with a fixed zero point z:
    clamp(round(x / s), qmin - z, qmax - z) * s, which equals the unfused chain exactly."""
    return torch.clamp(round_ste(x / scale), lo, hi) * scale


def _along(p: Tensor, ndim: int, axis: int | None) -> Tensor:
    if axis is None or p.dim() == 0:
        return p
    shape = [1] * ndim
    shape[axis % ndim] = -1
    return p.reshape(shape)


def quantize_ste(
    x: Tensor, scale: Tensor, zero: Tensor, qmin: float, qmax: float, axis: int | None = None
) -> Tensor:
    """clamp(round(x / scale) + zero) as a float tensor of integers (ONNX QuantizeLinear)."""
    s = _along(scale.to(x.dtype), x.dim(), axis)
    z = _along(zero.to(x.dtype), x.dim(), axis)
    return torch.clamp(round_ste(x / s) + z, qmin, qmax)


def fake_quantize(
    x: Tensor, scale: Tensor, zero: Tensor, qmin: float, qmax: float, axis: int | None = None
) -> Tensor:
    """x rounded to the quantization grid (quantize then dequantize), trainable through STE."""
    q = quantize_ste(x, scale, zero, qmin, qmax, axis)
    return _dequantize([q, scale, zero], {"axis": axis})


def _spatial_pads(attrs: dict[str, Any], x: Tensor, span: Sequence[int]) -> list[int]:
    """ONNX pads [b1.., e1..] for the spatial axes, resolving `auto_pad` (span: dilated kernel)."""
    n = len(span)
    strides = list(attrs.get("strides") or [1] * n)
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begins, ends = [], []
        for i in range(n):
            size = x.shape[2 + i]
            out = -(-size // strides[i])
            total = max((out - 1) * strides[i] + span[i] - size, 0)
            small = total // 2
            begins.append(small if auto == "SAME_UPPER" else total - small)
            ends.append(total - begins[-1])
        return begins + ends
    if auto == "VALID":
        return [0] * (2 * n)
    return list(attrs.get("pads") or [0] * (2 * n))


def _torch_pad_order(pads: Sequence[int]) -> list[int]:
    n = len(pads) // 2
    order: list[int] = []
    for i in reversed(range(n)):
        order += [pads[i], pads[n + i]]
    return order


def _conv(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x, w = args[0], args[1]
    b = args[2] if len(args) > 2 else None
    kernel = list(w.shape[2:])
    n = len(kernel)
    dilations = list(attrs.get("dilations") or [1] * n)
    pads = _spatial_pads(attrs, x, [(k - 1) * d + 1 for k, d in zip(kernel, dilations)])
    conv = (F.conv1d, F.conv2d, F.conv3d)[n - 1]
    padding: int | list[int] = 0
    if pads[:n] == pads[n:]:
        padding = pads[:n]
    else:
        x = F.pad(x, _torch_pad_order(pads))
    return conv(x, w, b, stride=list(attrs.get("strides") or [1] * n), padding=padding,
                dilation=dilations, groups=int(attrs.get("group", 1)))


def _pool_geometry(attrs: dict[str, Any], x: Tensor) -> tuple[list[int], list[int], list[int], list[int]]:
    """Kernel, strides, dilations and the full padding (ONNX pads plus the ceil_mode extra)."""
    kernel = list(attrs["kernel_shape"])
    n = len(kernel)
    strides = list(attrs.get("strides") or [1] * n)
    dilations = list(attrs.get("dilations") or [1] * n)
    span = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    pads = _spatial_pads(attrs, x, span)
    if attrs.get("ceil_mode", 0):
        for i in range(n):
            padded = x.shape[2 + i] + pads[i] + pads[n + i]
            out = math.ceil((padded - span[i]) / strides[i]) + 1
            pads[n + i] += max((out - 1) * strides[i] + span[i] - padded, 0)
    return kernel, strides, dilations, pads


def _maxpool(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    kernel, strides, dilations, pads = _pool_geometry(attrs, x)
    if any(pads):
        x = F.pad(x, _torch_pad_order(pads), value=-math.inf)
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[len(kernel) - 1]
    return pool(x, kernel, strides, 0, dilations)


def _avgpool(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    kernel, strides, dilations, pads = _pool_geometry(attrs, x)
    n = len(kernel)
    if any(d != 1 for d in dilations):
        raise ValueError("AveragePool with dilations is not supported by the torch backend")
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[n - 1]
    if not any(pads):
        return pool(x, kernel, strides)
    ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
    explicit = _spatial_pads(attrs, x, kernel)
    if attrs.get("count_include_pad", 0):
        ones = F.pad(ones, _torch_pad_order(explicit), value=1.0)
        extra = [p - e for p, e in zip(pads, explicit)]
        ones = F.pad(ones, _torch_pad_order(extra), value=0.0)
    else:
        ones = F.pad(ones, _torch_pad_order(pads), value=0.0)
    sums = pool(F.pad(x, _torch_pad_order(pads)), kernel, strides) * math.prod(kernel)
    counts = pool(ones, kernel, strides) * math.prod(kernel)
    return sums / counts


def _gemm(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    a, b = args[0], args[1]
    if attrs.get("transA", 0):
        a = a.transpose(0, 1)
    if attrs.get("transB", 0):
        b = b.transpose(0, 1)
    y = (a @ b) * float(attrs.get("alpha", 1.0))
    if len(args) > 2:
        y = y + args[2] * float(attrs.get("beta", 1.0))
    return y


def _batchnorm(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x, scale, bias, mean, var = args
    shape = [1, -1] + [1] * (x.dim() - 2)
    inv = scale.reshape(shape) / torch.sqrt(var.reshape(shape) + float(attrs.get("epsilon", 1e-5)))
    return (x - mean.reshape(shape)) * inv + bias.reshape(shape)


def _reshape(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x, shape = args
    dims = [int(d) for d in shape.tolist()]
    if not attrs.get("allowzero", 0):
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    if attrs.get("_keep_batch") and dims:
        dims[0] = x.shape[0]
    return x.reshape(dims)


def _flatten(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    axis = int(attrs.get("axis", 1)) % (x.dim() + 1) if x.dim() else 0
    return x.reshape(math.prod(x.shape[:axis]), -1)


def _transpose(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    perm = attrs.get("perm") or list(reversed(range(args[0].dim())))
    return args[0].permute(*perm)


def _softmax(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    if attrs.get("legacy_axis_semantics", False):
        axis = int(attrs.get("axis", 1)) % x.dim()
        flat = x.reshape(math.prod(x.shape[:axis]), -1)
        return torch.softmax(flat, dim=1).reshape(x.shape)
    return torch.softmax(x, dim=int(attrs.get("axis", -1)))


def _clip(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    lo = args[1] if len(args) > 1 else attrs.get("min")
    hi = args[2] if len(args) > 2 else attrs.get("max")
    if isinstance(lo, Tensor):
        lo = lo.to(x.dtype)
    if isinstance(hi, Tensor):
        hi = hi.to(x.dtype)
    return torch.clamp(x, lo, hi)


def _pad(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    pads = [int(p) for p in (args[1].tolist() if len(args) > 1 else attrs.get("pads", ()))]
    value = float(args[2].item()) if len(args) > 2 and args[2].numel() else float(attrs.get("value", 0.0))
    rank = x.dim()
    if len(args) > 3:
        axes = [int(a) % rank for a in args[3].tolist()]
        full = [0] * (2 * rank)
        for i, a in enumerate(axes):
            full[a], full[rank + a] = pads[i], pads[len(axes) + i]
        pads = full
    mode = attrs.get("mode", "constant")
    order = _torch_pad_order(pads)
    if mode == "constant":
        return F.pad(x, order, value=value)
    leading = len(order)
    while leading > 2 and order[leading - 2:leading] == [0, 0]:
        leading -= 2
    torch_mode = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}[mode]
    return F.pad(x, order[:leading], mode=torch_mode)


def _quantize(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    zero = args[2] if len(args) > 2 else torch.zeros((), dtype=torch.int64)
    qmin, qmax = INT_RANGES[attrs.get("_dtype", "u8")]
    return quantize_ste(args[0], args[1], zero, qmin, qmax, attrs.get("axis", 1) if args[1].dim() else None)


def _dequantize(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    q, scale = args[0], args[1]
    zero = args[2] if len(args) > 2 else torch.zeros((), dtype=torch.int64)
    axis = attrs.get("axis", 1) if scale.dim() else None
    dtype = scale.dtype if scale.is_floating_point() else torch.float32
    qf = q.to(dtype)
    return (qf - _along(zero.to(dtype), qf.dim(), axis)) * _along(scale.to(dtype), qf.dim(), axis)


def _div(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    a, b = args
    if a.is_floating_point() or b.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


KERNELS: dict[str, Callable[[list[Tensor], dict[str, Any]], Tensor]] = {
    "nn.conv": _conv,
    "nn.gemm": _gemm,
    "nn.matmul": lambda a, _: torch.matmul(a[0], a[1]),
    "nn.relu": lambda a, _: torch.relu(a[0]),
    "nn.add": lambda a, _: a[0] + a[1],
    "nn.sub": lambda a, _: a[0] - a[1],
    "nn.mul": lambda a, _: a[0] * a[1],
    "nn.div": _div,
    "nn.maxpool": _maxpool,
    "nn.avgpool": _avgpool,
    "nn.globalavgpool": lambda a, _: a[0].mean(dim=tuple(range(2, a[0].dim())), keepdim=True),
    "nn.batchnorm": _batchnorm,
    "nn.flatten": _flatten,
    "nn.reshape": _reshape,
    "nn.transpose": _transpose,
    "nn.concat": lambda a, at: torch.cat(a, dim=int(at.get("axis", 0))),
    "nn.softmax": _softmax,
    "nn.clip": _clip,
    "nn.pad": _pad,
    "nn.quantize": _quantize,
    "nn.dequantize": _dequantize,
}


def _constant_of_shape(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    value = attrs.get("value", [0.0])
    dtype = torch.float32 if isinstance(value[0], float) else torch.int64
    return torch.full([int(d) for d in args[0].tolist()], value[0], dtype=dtype)


def _lrn(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    return F.local_response_norm(args[0], int(attrs["size"]), float(attrs.get("alpha", 1e-4)),
                                 float(attrs.get("beta", 0.75)), float(attrs.get("bias", 1.0)))


def _axes(args: list[Tensor], attrs: dict[str, Any]) -> list[int] | None:
    if len(args) > 1:
        return [int(a) for a in args[1].tolist()]
    axes = attrs.get("axes")
    return None if axes is None else [int(a) for a in axes]


def _unsqueeze(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    axes = _axes(args, attrs) or []
    rank = x.dim() + len(axes)
    for a in sorted(a % rank for a in axes):
        x = x.unsqueeze(a)
    return x


def _squeeze(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
    x = args[0]
    axes = _axes(args, attrs)
    if axes is None:
        return x.reshape([d for d in x.shape if d != 1])
    return x.squeeze(tuple(a % x.dim() for a in axes))


def _fold(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[list[Tensor], dict[str, Any]], Tensor]:
    def kernel(args: list[Tensor], attrs: dict[str, Any]) -> Tensor:
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return out

    return kernel


OPAQUE_KERNELS: dict[str, Callable[[list[Tensor], dict[str, Any]], Tensor]] = {
    "ConstantOfShape": _constant_of_shape,
    "Dropout": lambda a, _: a[0],
    "Identity": lambda a, _: a[0],
    "LRN": _lrn,
    "Sum": _fold(torch.add),
    "Max": _fold(torch.maximum),
    "Min": _fold(torch.minimum),
    "Mean": lambda a, at: _fold(torch.add)(a, at) / len(a),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Sigmoid": lambda a, _: torch.sigmoid(a[0]),
    "Tanh": lambda a, _: torch.tanh(a[0]),
    "LeakyRelu": lambda a, at: F.leaky_relu(a[0], float(at.get("alpha", 0.01))),
    "Exp": lambda a, _: torch.exp(a[0]),
    "Log": lambda a, _: torch.log(a[0]),
    "Sqrt": lambda a, _: torch.sqrt(a[0]),
    "Neg": lambda a, _: -a[0],
    "Abs": lambda a, _: torch.abs(a[0]),
}
"""Kernels for ONNX ops the frontend keeps as `nn.opaque` (default domain, by `op_type`)."""
