"""Expansion of `approx.mul` / `approx.htp` layers into standard `nn` ops, bit-exact.

So that stock ONNX Runtime runs approximate networks (the ONNX emitter only writes `nn` ops),
every approximate layer is expanded, bit-exact, into ordinary ops. The activation integers are
read from the layer's QDQ chain (`Cast` of the quantized tensor, shifted into the multiplier's
domain); convs work on x_q - Z_x so that zero padding means real zero.

- `approx.mul` (LUT): im2col by a conv with an identity kernel, flat LUT indices
  (x_q - x_min) * 2^w_bits + (w_q - w_min), `Gather` from the flattened int32 LUT, sums over the
  window in float64 (`MatMul` with ones), Eq. 9 zero-point terms, scale, bias.
- `approx.htp`: per activation transform g one conv/matmul of g(x_q) - g(Z_x) with the
  constant-folded weight sum_j c_j g_wj(w_q) (zero-point terms merged), plus a per-channel
  constant; floor-mod as x - c Floor(x / c), other transforms as a `Gather` from a per-value
  table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from axc.ir import Graph, InputError, Op, TensorType, Value
from axc.ir.dialects import approx, nn
from axc.ir.dialects.quant import QuantParams
from axc.ir.network import constant_of
from axc.ir.rewrite import Builder
from axc.runtime.htp import HtpModel, Transform
from axc.runtime.htp_fold import LayerSpec, htp_plan, output_axis

__all__ = ["lower_approx_layer"]

_ONNX_FLOAT, _ONNX_INT64, _ONNX_DOUBLE = 1, 7, 11


class _Builder(Builder):
    """The nn ops a lowered layer is made of, named `<layer>_<op><k>`."""

    def __init__(self, graph: Graph, prefix: str) -> None:
        super().__init__(graph)
        self.g = graph
        self.prefix = prefix
        self.count = 0

    def name(self, base: str) -> str:
        self.count += 1
        return f"{self.prefix}_{base}{self.count}"

    def const(self, array: np.ndarray, dtype: str) -> Value:
        np_type = {"f32": np.float32, "f64": np.float64, "i64": np.int64, "i32": np.int32}[dtype]
        return self.constant(np.ascontiguousarray(array, dtype=np_type), self.name("c"), dtype)

    def op(self, cls: type[Op], operands: list[Value], dtype: str, shape: tuple,
           attrs: dict[str, Any] | None = None) -> Value:
        return self.create(cls, operands, [TensorType(shape, dtype)], attrs,
                           names=[self.name(cls.name.split(".")[-1])]).result

    def opaque(self, op_type: str, operands: list[Value], dtype: str, shape: tuple,
               **attrs: Any) -> Value:
        return self.op(nn.OpaqueOp, operands, dtype, shape, {"op_type": op_type, "domain": "", **attrs})

    def cast(self, v: Value, dtype: str) -> Value:
        to = {"f32": _ONNX_FLOAT, "i64": _ONNX_INT64, "f64": _ONNX_DOUBLE}[dtype]
        return self.opaque("Cast", [v], dtype, v.type.shape, to=to)

    def binary(self, cls: type[Op], a: Value, b: Value, shape: tuple | None = None) -> Value:
        return self.op(cls, [a, b], a.type.dtype, shape or a.type.shape)

    def add_const(self, a: Value, value: Any) -> Value:
        return self.binary(nn.AddOp, a, self.const(np.asarray(value), a.type.dtype))

    def mul_const(self, a: Value, value: Any) -> Value:
        return self.binary(nn.MulOp, a, self.const(np.asarray(value), a.type.dtype))

    def reshape(self, v: Value, shape: tuple, spec: list[int]) -> Value:
        return self.op(nn.ReshapeOp, [v, self.const(np.array(spec), "i64")], v.type.dtype, shape)


def _integer_activation(b: _Builder, op: Op, spec: LayerSpec) -> Value:
    """x_q in the multiplier domain (float), from the quantized tensor of the QDQ chain."""
    dq = op.operand(0).owner
    if not isinstance(dq, nn.DequantizeOp) or len(dq.operands) < 3:
        raise InputError(f"{op.attr('layer')}: the activation is not read through "
                         "nn.dequantize; cannot lower", op.loc)
    zero = dq.operand(2).owner
    if not isinstance(zero, nn.ConstantOp):
        raise InputError(f"{op.attr('layer')}: non-constant activation zero point", op.loc)
    dq_zero = int(np.asarray(zero.attr("value").array).reshape(-1)[0])
    xq = b.cast(dq.operand(0), "f32")
    dq_scale = constant_of(dq.operand(1))
    if dq_scale is None:
        raise InputError(f"{op.attr('layer')}: non-constant activation scale", op.loc)
    ratio = float(np.asarray(dq_scale).reshape(-1)[0]) / spec.x_scale
    if abs(ratio - 1.0) > 1e-6:  # codes re-quantized over the same range (never a rounding tie)
        centered = b.add_const(xq, np.float32(-dq_zero)) if dq_zero else xq
        codes = b.opaque("Round", [b.mul_const(centered, np.float32(ratio))], "f32", xq.type.shape)
        return b.add_const(codes, np.float32(spec.x_zero)) if spec.x_zero else codes
    shift = spec.x_zero - dq_zero
    return b.add_const(xq, np.float32(shift)) if shift else xq


def _transform(b: _Builder, g: Transform, xq: Value, spec: LayerSpec) -> Value:
    if g.kind == "id":
        return xq
    if g.kind in ("mod", "floor", "sqmod"):
        c = float(1 << g.p)
        quotient = b.opaque("Floor", [b.mul_const(xq, np.float32(1.0 / c))], "f32", xq.type.shape)
        floor = b.mul_const(quotient, np.float32(c))
        if g.kind == "floor":
            return floor
        residue = b.binary(nn.SubOp, xq, floor)
        return residue if g.kind == "mod" else b.binary(nn.MulOp, residue, residue)
    table = g(np.arange(spec.x_min, spec.x_max + 1)).astype(np.float32)
    index = b.cast(b.add_const(xq, np.float32(-spec.x_min)), "i64")
    return b.opaque("Gather", [b.const(table, "f32"), index], "f32", xq.type.shape, axis=0)


def _conv_attrs(op: Op) -> dict[str, Any]:
    return {k: op.attr(k) for k in ("strides", "pads", "dilations", "auto_pad", "group")
            if op.attr(k) is not None}


def _layer_ints(op: Op) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer weights, weight zero points and weight scales (float64) of the quantized layer."""
    view = QuantParams.of(op)
    return tuple(np.asarray(a).astype(np.float64) for a in (view.w_int, view.w_zero_point, view.w_scale))


def _per_channel(values: np.ndarray, n_channels: int) -> np.ndarray:
    """A per-tensor or per-channel parameter as one value per output channel."""
    return np.broadcast_to(values.reshape(-1), (n_channels,))


def _finish(b: _Builder, acc: Value, op: Op, spec: LayerSpec, scale: np.ndarray,
            channel_shape: tuple) -> Value:
    """y = acc * S_x S_w + bias (float32)."""
    acc32 = b.cast(acc, "f32") if acc.type.dtype != "f32" else acc
    factor = (scale * spec.x_scale).astype(np.float32).reshape(channel_shape)
    y = b.binary(nn.MulOp, acc32, b.const(factor, "f32"))
    bias_index = 5 if isinstance(op, approx.MulOp) else 4
    if len(op.operands) > bias_index:
        shape = tuple(int(s) if s != -1 else int(scale.size) for s in channel_shape)
        y = b.binary(nn.AddOp, y, b.reshape(op.operand(bias_index), shape, list(shape)))
    return y


def _lower_htp(b: _Builder, op: Op, spec: LayerSpec) -> Value:
    model = HtpModel.from_plain(str(op.attr("multiplier")), op.attr("terms"))
    wq, w_zero, scale = _layer_ints(op)
    groups, constant = htp_plan(model, wq, spec, w_zero)
    xq = _integer_activation(b, op, spec)
    out_shape = op.result.type.shape
    conv = spec.op == "conv"
    acc: Value | None = None
    for gx, folded in groups:
        g_zero = float(gx(np.array([spec.x_zero]))[0])
        tx = b.add_const(_transform(b, gx, xq, spec), np.float32(-g_zero))
        if conv:
            weight = b.const(folded, "f32")
            term = b.op(nn.ConvOp, [tx, weight], "f32", out_shape, _conv_attrs(op))
            constant = constant + g_zero * folded.sum(axis=(1, 2, 3))
        else:
            kn = folded.T if output_axis(spec) == 0 else folded
            term = b.op(nn.MatMulOp, [tx, b.const(kn, "f32")], "f32", out_shape)
            constant = constant + g_zero * kn.sum(axis=0)
        acc = term if acc is None else b.binary(nn.AddOp, acc, term)
    assert acc is not None
    channel_shape = (1, -1, 1, 1) if conv else (1, -1)
    acc = b.binary(nn.AddOp, acc, b.const(constant.reshape(channel_shape), "f32"))
    return _finish(b, acc, op, spec, _per_channel(scale, int(out_shape[1 if conv else -1])),
                   channel_shape)


def _lower_lut(b: _Builder, op: Op, spec: LayerSpec) -> Value:
    wq, w_zero, scale = _layer_ints(op)
    lut = np.asarray(op.operand(4).owner.attr("value").array)
    w_size = lut.shape[1]
    xq = _integer_activation(b, op, spec)
    out_shape = op.result.type.shape
    conv = spec.op == "conv"
    if conv:
        if spec.group != 1:
            raise InputError(f"{op.attr('layer')}: lowering grouped LUT convs is not supported", op.loc)
        n_out, channels, kh, kw = wq.shape
        k = channels * kh * kw
        eye = np.eye(k, dtype=np.float32).reshape(k, channels, kh, kw)
        n, _, oh, ow = out_shape
        shifted = b.add_const(xq, np.float32(-spec.x_zero))
        patches = b.op(nn.ConvOp, [shifted, b.const(eye, "f32")], "f32", (n, k, oh, ow),
                       _conv_attrs(op))
        rows = b.reshape(patches, (n, k, oh * ow), [0, k, -1])
        rows = b.op(nn.TransposeOp, [rows], "f32", (n, oh * ow, k), {"perm": (0, 2, 1)})
        x4 = b.reshape(b.add_const(rows, np.float32(spec.x_zero)), (n, 1, oh * ow, k), [0, 1, -1, k])
        w_idx = (wq.reshape(n_out, k) - spec.mul_w_min).reshape(1, n_out, 1, k)
        acc_shape, sum_shape = (n, n_out, oh * ow, k), (n, n_out, oh * ow, 1)
    else:
        w_kn = wq.T if output_axis(spec) == 0 else wq
        k, n_out = w_kn.shape
        lead = tuple(xq.type.shape[:-1])
        x4 = b.reshape(xq, (*lead, 1, k), [0] * len(lead) + [1, k])
        w_idx = (w_kn.T - spec.mul_w_min).reshape(*([1] * len(lead)), n_out, k)
        acc_shape, sum_shape = (*lead, n_out, k), (*lead, n_out, 1)
    rows_idx = b.mul_const(b.add_const(x4, np.float32(-spec.mul_x_min)), np.float32(w_size))
    index = b.cast(b.binary(nn.AddOp, rows_idx, b.const(w_idx, "f32"), acc_shape), "i64")
    flat = b.const(lut.reshape(-1), "i32")
    gathered = b.cast(b.opaque("Gather", [flat, index], "i32", acc_shape, axis=0), "f64")
    ones = b.const(np.ones((k, 1)), "f64")
    sums = b.op(nn.MatMulOp, [gathered, ones], "f64", sum_shape)
    x_sum = b.op(nn.MatMulOp, [b.cast(x4, "f64"), ones], "f64", (*x4.type.shape[:-1], 1))
    n_taps = k
    n_ch = int(out_shape[1] if conv else out_shape[-1])
    zw = _per_channel(w_zero, n_ch)
    w_sum = wq.sum(axis=(1, 2, 3)) if conv else w_kn.sum(axis=0)
    constant = -spec.x_zero * w_sum + n_taps * spec.x_zero * zw
    channel = (1, n_ch, 1, 1) if conv else (*([1] * (len(sum_shape) - 2)), n_ch, 1)
    total = b.binary(nn.AddOp, sums, b.binary(nn.MulOp, x_sum, b.const(-zw.reshape(channel), "f64"),
                                              sum_shape))
    total = b.binary(nn.AddOp, total, b.const(constant.reshape(channel), "f64"))
    if conv:
        total = b.reshape(total, tuple(out_shape), [0, n_ch, int(out_shape[2]), int(out_shape[3])])
        channel_shape: tuple = (1, -1, 1, 1)
    else:
        total = b.reshape(total, tuple(out_shape), [0] * (len(out_shape) - 1) + [n_ch])
        channel_shape = (1, -1)
    return _finish(b, total, op, spec, _per_channel(scale, n_ch), channel_shape)


def lower_approx_layer(g: Graph, op: Op) -> None:
    """Replace one `approx.mul` (LUT) or `approx.htp` layer by bit-exact standard ops."""
    spec = LayerSpec.from_attrs(op.attributes)
    if not all(isinstance(s, int) for s in op.result.type.shape[1:]):
        raise InputError(f"{op.attr('layer')}: lowering needs static feature shapes", op.loc)
    b = _Builder(g, str(op.attr("layer") or "approx"))
    y = _lower_lut(b, op, spec) if isinstance(op, approx.MulOp) else _lower_htp(b, op, spec)
    inputs = list(op.operands)
    b.replace(op, [y])
    b.erase_dead(inputs)
