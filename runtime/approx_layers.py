"""Execution of `approx.mul` / `approx.htp` layers (Eqs. 9-10) in torch, with numba LUT kernels.

A layer is a quantized conv/gemm/matmul whose integer products go through a multiplier model
f(x_q, w_q) while the zero-point sums stay exact:

    acc = sum f(x_q, w_q) - Z_w sum x_q - Z_x sum w_q + N Z_x Z_w,    y = S_x S_w acc + bias

with x_q = clip(round(x / S_x) + Z_x, x_min, x_max) in the multiplier's operand range, padding
positions holding Z_x (real 0), S_w and Z_w per output channel or per tensor, N the window size.

- `lut_forward` (in `axc.runtime.lut_layers`): sum f via the bit-exact numba LUT kernels.
- `htp_forward`: the HTP form sum_g conv(g_x(x_q), W_g) + C with W_g = sum c_j g_wj(w_q) merged
  with the zero-point terms and constant-folded (`axc.runtime.htp_fold.htp_plan`), as ordinary torch convs/matmuls.
- `approx_forward`: either, with the exact-product straight-through gradient: the value is the
  approximate one, the gradient that of the float layer y = conv(x, w) + b.

`LayerSpec` (from `axc.runtime.htp_fold`) reads the plain attributes the passes put on the
approx ops.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn.functional as F

from .htp import HtpModel, Transform
from .htp_fold import LayerSpec, htp_plan
from .htp_program import HtpProgram, build_program

__all__ = ["LayerSpec", "approx_forward", "exact_forward", "htp_forward",
           "quantize_input", "weight_integers"]


def _channel_view(p: torch.Tensor, ndim: int, axis: int) -> torch.Tensor:
    if p.ndim == 0:
        return p
    shape = [1] * ndim
    shape[axis] = -1
    return p.reshape(shape)


def quantize_input(x: torch.Tensor, spec: LayerSpec) -> torch.Tensor:
    q = torch.div(x.detach(), spec.x_scale).round_()
    q.add_(spec.x_zero)
    return q.clamp_(spec.x_min, spec.x_max)


def weight_integers(w: torch.Tensor, w_scale: torch.Tensor, w_zero: torch.Tensor,
                    spec: LayerSpec) -> torch.Tensor:
    """The integer weights (in the multiplier domain) from the dequantized float weights."""
    axis = 0 if spec.op == "conv" or (spec.op == "gemm" and spec.trans_b) else 1
    scale = _channel_view(w_scale.float(), w.ndim, axis)
    zero = _channel_view(w_zero.float(), w.ndim, axis)
    return torch.round(w.detach() / scale) + zero


def _as_kn(wq: torch.Tensor, spec: LayerSpec) -> torch.Tensor:
    """A gemm/matmul weight as (K, N)."""
    return wq.t() if spec.op == "gemm" and spec.trans_b else wq


def _out_channel_params(w_scale: torch.Tensor, w_zero: torch.Tensor, n_out: int
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    return (w_scale.float().reshape(-1).expand(n_out) if w_scale.numel() == 1 else w_scale.float(),
            w_zero.float().reshape(-1).expand(n_out) if w_zero.numel() == 1 else w_zero.float())


def _finish(acc: torch.Tensor, spec: LayerSpec, w_scale: torch.Tensor, bias: torch.Tensor | None,
            channel_axis: int) -> torch.Tensor:
    """y = S_x S_w acc + bias, in float32, the same arithmetic for LUT and HTP (`acc` is a
    temporary of the caller: a float32 one is scaled in place)."""
    scale = _channel_view(w_scale.float() * spec.x_scale, acc.ndim, channel_axis)
    y = acc.float().mul_(scale)
    if bias is not None:
        y.add_(_channel_view(bias.float(), acc.ndim, channel_axis))
    return y


def _apply_transform(g: Transform, v: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
    if g.kind == "id":
        return v
    if g.kind in ("mod", "floor", "sqmod"):
        c = float(1 << g.p)
        floor = torch.mul(v, 1.0 / c).floor_().mul_(c)  # exact: c is a power of two
        if g.kind == "floor":
            return floor
        residue = torch.sub(v, floor)
        return residue if g.kind == "mod" else residue.mul_(residue)
    if g.kind == "bit":
        c = float(1 << g.p)
        return torch.mul(v, 1.0 / c).floor_() - torch.mul(v, 0.5 / c).floor_().mul_(2.0)
    values = torch.from_numpy(g(np.arange(lo, hi + 1))).to(v.dtype)
    return values[(v - lo).long()]


_PLAN_CACHE: dict[str, tuple[list[tuple[Transform, torch.Tensor]], torch.Tensor]] = {}


_MODEL_DIGESTS: dict[int, tuple[HtpModel, bytes]] = {}


def _model_digest(model: HtpModel) -> bytes:
    """Digest of a model's terms, remembered per (frozen) model object."""
    known = _MODEL_DIGESTS.get(id(model))
    if known is None or known[0] is not model:
        known = (model, repr(model.plain_terms()).encode())
        if len(_MODEL_DIGESTS) > 256:
            _MODEL_DIGESTS.clear()
        _MODEL_DIGESTS[id(model)] = known
    return known[1]


def _folded_plan(model: HtpModel, w: torch.Tensor, w_scale: torch.Tensor, w_zero: torch.Tensor,
                 spec: LayerSpec, w_range: tuple[int, int], dtype: torch.dtype
                 ) -> tuple[list[tuple[Transform, torch.Tensor]], torch.Tensor]:
    """`htp_plan` in `dtype` (gemm/matmul weights as (K, N)), cached by weight content."""
    digest = hashlib.blake2b(digest_size=16)
    for t in (w, w_scale, w_zero):
        digest.update(t.detach().contiguous().numpy().tobytes())
    digest.update(_model_digest(model))
    digest.update(repr((spec, w_range, dtype, tuple(w.shape))).encode())
    key = digest.hexdigest()
    plan = _PLAN_CACHE.get(key)
    if plan is None:
        wq = weight_integers(w, w_scale, w_zero, spec)
        groups, constant = htp_plan(model, wq.double().numpy(), spec, w_zero.double().numpy())
        if spec.op != "conv":
            groups = [(gx, folded.T if spec.trans_b and spec.op == "gemm" else folded)
                      for gx, folded in groups]
        plan = ([(gx, torch.from_numpy(folded).to(dtype).contiguous()) for gx, folded in groups],
                torch.from_numpy(constant).to(dtype))
        if len(_PLAN_CACHE) > 256:
            _PLAN_CACHE.clear()
        _PLAN_CACHE[key] = plan
    return plan


def htp_forward(x: torch.Tensor, w: torch.Tensor, w_scale: torch.Tensor, w_zero: torch.Tensor,
                model: HtpModel, bias: torch.Tensor | None, spec: LayerSpec,
                w_range: tuple[int, int], dtype: torch.dtype = torch.float32,
                surrogate: bool = False) -> torch.Tensor:
    """The layer as sum_g op(g_x(x_q), W_g) + C, run as one table lookup of all transformed
    inputs and one conv/matmul (`axc.runtime.htp_program`).

    `surrogate`: the model is known not to be exact (its fidelity, stored with the op, says
    so), which lets the program fold float factors (the output scale, rational combinations);
    otherwise every sum stays an exact integer as in the LUT path.

    The folded weights W_g, the constant C and the program depend on the weights only and are
    cached.
    """
    groups, constant = _folded_plan(model, w, w_scale, w_zero, spec, w_range, dtype)
    layout = tuple(w.shape) if spec.op == "conv" else tuple(_as_kn(w, spec).shape)
    exact = model.exact or not surrogate
    program = _program(groups, constant, spec, exact, dtype, layout, w_scale)
    if program.transform is not None:
        xq = quantize_input(x, spec)
        return _single_transform_layer(xq, program, spec, tuple(w.shape[2:]), w_scale, bias)
    index = torch.div(x.detach(), spec.x_scale).round_()
    index.add_(spec.x_zero - spec.x_min).clamp_(0, spec.x_max - spec.x_min)
    index = index.long()
    rank = program.table.shape[1]
    if spec.op == "conv":
        pads = spec.conv_pads(x.shape[2], x.shape[3], tuple(w.shape[2:]))
        symmetric = pads[:2] == pads[2:]
        if not symmetric:
            index = F.pad(index, (pads[1], pads[3], pads[0], pads[2]),
                          value=spec.x_zero - spec.x_min)
        n, c, h, wd = index.shape
        # (N, H, W, C, r) lookups seen as NCHW channels c * r + k in channels-last memory
        tx = program.table.index_select(0, index.permute(0, 2, 3, 1).reshape(-1))
        tx = tx.reshape(n, h, wd, c * rank).permute(0, 3, 1, 2)
        constant = program.constant
        if program.scaled and bias is not None:
            constant = constant + bias.float()
        acc = F.conv2d(tx, program.weight, constant, stride=spec.strides,
                       padding=tuple(pads[:2]) if symmetric else 0, dilation=spec.dilations,
                       groups=spec.group)
        return acc if program.scaled else _finish(acc, spec, w_scale, bias, 1)
    tx = program.table.index_select(0, index.reshape(-1))
    acc = tx.reshape(*index.shape[:-1], index.shape[-1] * rank) @ program.weight
    acc.add_(program.constant)
    if program.scaled:
        return acc if bias is None else acc.add_(bias.float())
    return _finish(acc, spec, w_scale, bias, acc.ndim - 1)


def _single_transform_layer(xq: torch.Tensor, program: HtpProgram, spec: LayerSpec,
                            kernel: tuple[int, ...], w_scale: torch.Tensor,
                            bias: torch.Tensor | None) -> torch.Tensor:
    """op(g(x_q) - g(Z_x), W) + C with g computed elementwise (single-group programs)."""
    gx = program.transform
    assert gx is not None
    conv = spec.op == "conv"
    if conv:
        pads = spec.conv_pads(xq.shape[2], xq.shape[3], kernel)
        symmetric = pads[:2] == pads[2:]
        if not symmetric:
            xq = F.pad(xq, (pads[1], pads[3], pads[0], pads[2]), value=float(spec.x_zero))
        xq = xq.contiguous(memory_format=torch.channels_last)  # the faster conv layout on CPU
    if program.divisor != 1.0:  # floor(v / 2^p), the weight holds the 2^p
        tx = torch.mul(xq, 1.0 / program.divisor).floor_().to(program.weight.dtype)
    else:
        tx = _apply_transform(gx, xq, spec.x_min, spec.x_max).to(program.weight.dtype)
    g_zero = float(gx(np.array([spec.x_zero]))[0]) / program.divisor if conv else 0.0
    if g_zero:
        tx = tx - g_zero if tx is xq else tx.sub_(g_zero)
    if conv:
        acc = F.conv2d(tx, program.weight, program.constant, stride=spec.strides,
                       padding=tuple(pads[:2]) if symmetric else 0, dilation=spec.dilations,
                       groups=spec.group)
        return _finish(acc, spec, w_scale, bias, 1)
    acc = tx @ program.weight
    return _finish(acc + program.constant, spec, w_scale, bias, acc.ndim - 1)


_PROGRAMS: dict[int, tuple[object, HtpProgram]] = {}


def _program(groups: list[tuple[Transform, torch.Tensor]], constant: torch.Tensor,
             spec: LayerSpec, exact: bool, dtype: torch.dtype,
             layout: tuple[int, ...], w_scale: torch.Tensor) -> HtpProgram:
    """`build_program` of a cached plan (cached with it)."""
    cached = _PROGRAMS.get(id(groups))
    if cached is not None and cached[0] is groups:
        return cached[1]
    conv = spec.op == "conv"
    if not groups:  # constant model: one all-zero transform keeps the shapes uniform
        groups = [(Transform("id"), torch.zeros(layout, dtype=dtype))]
        cached_key: object = None
    else:
        cached_key = groups
    shifted = _zero_shifted_constant(groups, constant, spec) if conv else constant
    scale = _out_channel_params(w_scale, torch.zeros(()), shifted.shape[0])[0] * spec.x_scale
    program = build_program(groups, shifted, conv, (spec.x_min, spec.x_max), spec.x_zero,
                            exact, dtype, scale)
    if len(_PROGRAMS) > 256:
        _PROGRAMS.clear()
    if cached_key is not None:
        _PROGRAMS[id(groups)] = (groups, program)
    return program


def _zero_shifted_constant(groups: list[tuple[Transform, torch.Tensor]], constant: torch.Tensor,
                           spec: LayerSpec) -> torch.Tensor:
    """C + sum_g g(Z_x) sum_window W_g (the part the shifted conv inputs leave out)."""
    out = constant.clone()
    for gx, folded in groups:
        g_zero = float(gx(np.array([spec.x_zero]))[0])
        if g_zero:
            out += g_zero * folded.sum(dim=(1, 2, 3))
    return out


def exact_forward(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None,
                  spec: LayerSpec) -> torch.Tensor:
    """The float layer (for the straight-through gradient)."""
    if spec.op == "conv":
        pads = spec.conv_pads(x.shape[2], x.shape[3], tuple(w.shape[2:]))
        xp = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
        return F.conv2d(xp, w, bias, stride=spec.strides, dilation=spec.dilations,
                        groups=spec.group)
    y = x @ _as_kn(w, spec)
    return y if bias is None else y + bias


def approx_forward(approx: torch.Tensor, x: torch.Tensor, w: torch.Tensor,
                   bias: torch.Tensor | None, spec: LayerSpec) -> torch.Tensor:
    """`approx` in value, the exact-product float layer in gradient (straight-through)."""
    if not torch.is_grad_enabled() or not (x.requires_grad or w.requires_grad or
                                           (bias is not None and bias.requires_grad)):
        return approx
    exact = exact_forward(x, w, bias, spec)
    return exact + (approx - exact).detach()
