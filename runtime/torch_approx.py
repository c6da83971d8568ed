"""Torch execution of approximate layers: an autograd Function and torch-backend kernels.

`ApproxLayerFunction` evaluates a layer with the approximate multiplier in the forward pass (the
bit-exact numba LUT kernels, or the HTP form as a few torch convs/matmuls) and passes the
gradient of the exact-product float layer backwards (straight-through estimator), so networks
retrain with the approximate multiplier in the loop.

`approx_module(op)` is how the torch backend (`axc.backends.torch_module`) runs `approx.mul` and
`approx.htp` ops: each layer becomes an `ApproxLayerModule` fed the op's operands
`(x, w, w_scale, w_zero_point[, lut][, bias])`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .approx_layers import LayerSpec, exact_forward, htp_forward
from .htp import HtpModel
from .lut_layers import lut_forward

__all__ = ["ApproxLayerFunction", "ApproxLayerModule", "approx_module"]


class ApproxLayerFunction(torch.autograd.Function):
    """forward: `approximate(x, w, bias)`; backward: gradients of the float layer conv(x, w) + b."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None,
                spec: LayerSpec, approximate: Callable[..., torch.Tensor]) -> torch.Tensor:
        ctx.save_for_backward(x, w, bias)
        ctx.spec = spec
        with torch.no_grad():
            return approximate(x, w, bias)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        x, w, bias = ctx.saved_tensors
        with torch.enable_grad():
            inputs = [t.detach().requires_grad_(True) for t in (x, w)]
            b = bias.detach().requires_grad_(True) if bias is not None else None
            y = exact_forward(inputs[0], inputs[1], b, ctx.spec)
            wanted = inputs + ([b] if b is not None else [])
            grads = torch.autograd.grad(y, wanted, grad, allow_unused=True)
        gx, gw = grads[0], grads[1]
        gb = grads[2] if b is not None else None
        return gx, gw, gb, None, None


def _plain_attrs(op: Any) -> dict[str, Any]:
    return {k: v for k, v in op.attributes.items() if k not in ("quant", "error")}


class ApproxLayerModule(torch.nn.Module):
    """One `approx.mul` (LUT) or `approx.htp` layer for the torch backend.

    `forward(x, w, w_scale, w_zero_point[, lut][, bias])` with the op's operands; the weight
    arrives as the backend's trainable fake-quantized parameter, so retraining updates it.
    `mode` is `lut` or `htp` (a layer that has both a table and an HTP model can switch);
    `kernel` picks the LUT kernels: `numba` or the plain `numpy` gather baseline.
    """

    def __init__(self, spec: LayerSpec, lut: np.ndarray | None, htp: HtpModel | None,
                 w_range: tuple[int, int], lut_operand: bool, surrogate: bool = False) -> None:
        super().__init__()
        self.spec = spec
        self.lut = lut
        self.htp = htp
        self.w_range = w_range
        self.lut_operand = lut_operand
        self.surrogate = surrogate
        self.mode = "htp" if htp is not None else "lut"
        self.kernel = "numba"

    def forward(self, x: torch.Tensor, w: torch.Tensor, w_scale: torch.Tensor,
                w_zero: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        if self.lut_operand:
            rest = rest[1:]  # the LUT operand: the module keeps its own numpy copy
        bias = rest[0] if rest else None

        def approximate(xv: torch.Tensor, wv: torch.Tensor, bv: torch.Tensor | None) -> torch.Tensor:
            if self.mode == "lut":
                assert self.lut is not None
                return lut_forward(xv, wv, w_scale, w_zero, self.lut, bv, self.spec, self.kernel)
            assert self.htp is not None
            return htp_forward(xv, wv, w_scale, w_zero, self.htp, bv, self.spec, self.w_range,
                               surrogate=self.surrogate)

        if not torch.is_grad_enabled():  # inference: no autograd bookkeeping
            return approximate(x.detach(), w.detach(), bias)
        return ApproxLayerFunction.apply(x, w, bias, self.spec, approximate)


def approx_module(op: Any) -> ApproxLayerModule:
    """The torch module of an `approx.mul` / `approx.htp` op (for `register_torch_op`)."""
    attrs = _plain_attrs(op)
    spec = LayerSpec.from_attrs(attrs)
    w_range = (int(attrs["w_min"]), int(attrs["w_max"]))
    if op.name == "approx.mul":
        lut = np.ascontiguousarray(op.operand(4).owner.attr("value").array, dtype=np.int32)
        return ApproxLayerModule(spec, lut, None, w_range, True)
    htp = HtpModel.from_plain(str(attrs.get("multiplier")), attrs["terms"])
    surrogate = attrs.get("htp_label") == "surrogate"
    return ApproxLayerModule(spec, None, htp, w_range, False, surrogate)

