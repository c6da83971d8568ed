"""The `fold-batchnorm` pass: inference BatchNormalization into the preceding Conv."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from axc.ir import Module, Op, rewrite
from axc.ir.dialects import nn
from axc.ir.rewrite import Builder, constant_array, only_reader

from ..infra.base import ModulePass, PassContext, PassResult
from .fold_conv_bias import replace_by_producer

__all__ = ["FoldBatchNormPass", "fold_batchnorm", "fold_dense_batchnorm", "fold_scale", "foldable_conv"]


@dataclass(frozen=True)
class FoldBatchNormPass(ModulePass):
    """Fold inference BatchNormalization into the Conv that feeds it.

    `BN(conv(x, W, b))` with constant parameters becomes `conv(x, W * s, (b - mean) * s + beta)`
    where `s = scale / sqrt(var + epsilon)` per output channel (computed in float64, stored in
    the weight's type). The conv must feed only the BatchNorm and have constant weights (and
    bias). A BatchNorm after a 2-D `MatMul(A, W)` or `Gemm` with a constant weight (PyTorch's
    Linear + BatchNorm1d) becomes one `Gemm(A, W * s, (c - mean) * s + beta)` the same way.
    BatchNorms in training mode, non-spatial ones (old opsets) and those after anything else are
    left alone. With `mul`, a per-channel `Mul` by a constant after a Conv
    (a BatchNorm exported as Mul + Add, as in resnet8) is folded into the weights the same way;
    the following Add is `fold-conv-bias`'s job.
    """

    name: ClassVar[str] = "fold-batchnorm"

    mul: bool = True
    """Also fold Conv -> Mul(per-channel constant) into the conv weights and bias."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        patterns = [fold_batchnorm, fold_dense_batchnorm, *([fold_scale] if self.mul else [])]
        counts = rewrite.apply_patterns([g for g in module.graphs.values() if g.kind == "nn"], patterns)
        folded_bn = counts[fold_batchnorm.name] + counts[fold_dense_batchnorm.name]
        folded_mul = counts.get(fold_scale.name, 0)
        stats = {"batchnorms_folded": folded_bn, "muls_folded": folded_mul}
        ctx.report[self.name] = stats
        return PassResult(modified=bool(folded_bn or folded_mul), stats=stats)


def foldable_conv(value, reader: Op) -> nn.ConvOp | None:
    """The Conv producing `value` when `reader` is its only reader and its weights (and bias)
    are floating-point constants."""
    conv = value.owner
    if not isinstance(conv, nn.ConvOp) or only_reader(value) is not reader:
        return None
    w = constant_array(conv.operand(1))
    if w is None or w.dtype.kind != "f" or w.ndim < 3:
        return None
    if len(conv.operands) > 2 and constant_array(conv.operand(2)) is None:
        return None
    return conv


def _rescale_conv(b: Builder, conv: nn.ConvOp, scale: np.ndarray, shift: np.ndarray) -> None:
    """conv weights *= scale per output channel; bias = bias * scale + shift."""
    w_old = conv.operand(1)
    w = constant_array(w_old)
    bias = constant_array(conv.operand(2)) if len(conv.operands) > 2 else np.zeros(w.shape[0])
    w_new = w.astype(np.float64) * scale.reshape(-1, *([1] * (w.ndim - 1)))
    b_new = bias.astype(np.float64) * scale + shift
    w_value = b.constant(w_new.astype(w.dtype), w_old.name, takes_over=True)
    b_value = b.constant(b_new.astype(w.dtype), (conv.result.name or "conv") + "_bias", takes_over=True)
    old = list(conv.operands[1:])
    conv.set_operands([conv.operand(0), w_value, b_value])
    b.erase_dead(old)


@rewrite.pattern("batchnorm", nn.BatchNormOp)
def fold_batchnorm(bn: nn.BatchNormOp, b: Builder) -> bool:
    """BN(conv(x, W, b)) -> conv(x, W * s, (b - mean) * s + beta)."""
    conv = foldable_conv(bn.operand(0), bn)
    found = None if conv is None else _batchnorm_scale_shift(bn, constant_array(conv.operand(1)).shape[0])
    if found is None:
        return False
    _rescale_conv(b, conv, *found)
    replace_by_producer(b, bn, conv)
    return True


def _batchnorm_scale_shift(bn: nn.BatchNormOp, channels: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(s, beta - mean * s) per channel of an inference BatchNorm with constant parameters."""
    if bn.attr("training_mode", 0) or not bn.attr("spatial", 1) or len(bn.results) != 1:
        return None
    params = [constant_array(v) for v in bn.operands[1:]]
    if any(p is None for p in params):
        return None
    gamma, beta, mean, var = (p.astype(np.float64).reshape(-1) for p in params)
    if any(p.size != channels for p in (gamma, beta, mean, var)):
        return None
    scale = gamma / np.sqrt(var + float(bn.attr("epsilon", 1e-5)))
    return scale, beta - mean * scale


@rewrite.pattern("dense-batchnorm", nn.BatchNormOp)
def fold_dense_batchnorm(bn: nn.BatchNormOp, b: Builder) -> bool:
    """BN(MatMul(A, W)) or BN(Gemm(A, W, c)), 2-D, constant W -> Gemm(A, W * s, (c - mean) * s + beta)."""
    dense = bn.operand(0).owner
    if not isinstance(dense, nn.MatMulOp | nn.GemmOp) or only_reader(bn.operand(0)) is not bn:
        return False
    out = dense.result.type
    w = constant_array(dense.operand(1))
    if (w is None or w.dtype.kind != "f" or w.ndim != 2 or out.rank != 2 or dense.operand(0).type.rank != 2
            or dense.attr("alpha", 1.0) != 1.0 or dense.attr("beta", 1.0) != 1.0):
        return False
    trans_b = bool(dense.attr("transB", 0))
    channels = w.shape[0] if trans_b else w.shape[1]
    found = _batchnorm_scale_shift(bn, channels)
    c = constant_array(dense.operand(2)) if len(dense.operands) > 2 else np.zeros(channels)
    if found is None or c is None or c.size not in (1, channels):
        return False
    scale, shift = found
    w_new = w.astype(np.float64) * (scale[:, None] if trans_b else scale[None, :])
    c_new = np.broadcast_to(c.astype(np.float64).reshape(-1), (channels,)) * scale + shift
    w_value = b.constant(w_new.astype(w.dtype), dense.operand(1).name or "weight")
    c_value = b.constant(c_new.astype(w.dtype), (dense.result.name or "dense") + "_bias")
    attrs = {"transA": dense.attr("transA", 0), "transB": int(trans_b)}
    gemm = b.create(nn.GemmOp, [dense.operand(0), w_value, c_value], [bn.result.type], attrs,
                    loc=dense.loc, names=[bn.result.name])
    dead = [*dense.operands[1:], *bn.operands[1:]]
    b.replace(bn, [gemm.result])
    b.erase(dense)
    b.erase_dead(dead)
    return True


@rewrite.pattern("scale", nn.MulOp)
def fold_scale(mul: nn.MulOp, b: Builder) -> bool:
    """Mul(conv(x, W, b), per-channel constant s) -> conv(x, W * s, b * s)."""
    for data, other in ((0, 1), (1, 0)):
        conv = foldable_conv(mul.operand(data), mul)
        factor = constant_array(mul.operand(other))
        if conv is None or factor is None or mul.result.type != conv.result.type:
            continue
        channels = constant_array(conv.operand(1)).shape[0]
        vector = rewrite.per_channel_vector(factor, conv.result.type.rank, channels)
        if vector is None:
            continue
        _rescale_conv(b, conv, vector.astype(np.float64), np.zeros(channels))
        replace_by_producer(b, mul, conv)
        return True
    return False
