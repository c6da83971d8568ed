"""The `fold-conv-bias` pass: Conv -> Add(per-channel constant) into a biased Conv; MatMul -> Add
into Gemm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from axc.ir import Module, Op, TensorType
from axc.ir.dialects import nn
from axc.ir.rewrite import (
    Builder,
    apply_patterns,
    constant_array,
    only_reader,
    pattern,
    per_channel_vector,
)

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["FoldConvBiasPass", "fold_conv_add", "fold_matmul_add", "replace_by_producer"]


@dataclass(frozen=True)
class FoldConvBiasPass(ModulePass):
    """Fold a constant bias added after a Conv into the Conv (the mnist-8 pattern).

    `Add(conv(x, W[, b]), c)` (either operand order) where `c` is a constant that broadcasts
    along the channel axis only (shape `[M,1,1]`, `[1,M,1,1]`, a scalar, ...) becomes
    `conv(x, W, b + c)`. The conv must feed only the Add and the Add must not change the shape.

    With `gemm`, `Add(MatMul(A, B), c)` with 2-D `A` and `B` and a constant `c` that broadcasts
    to the `[M, N]` product becomes `Gemm(A, B, c)`, and `Add(Gemm(A, B), c)` gains `c` as its
    `C`: one op that carries its bias, which `quantize` treats like a biased conv (int32 bias at
    the product scale). MatMuls of other ranks stay (Gemm is 2-D only).
    """

    name: ClassVar[str] = "fold-conv-bias"

    gemm: bool = True
    """Also turn 2-D MatMul -> Add(constant) into Gemm."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        patterns = [fold_conv_add, *([fold_matmul_add] if self.gemm else [])]
        counts = apply_patterns([g for g in module.graphs.values() if g.kind == "nn"], patterns)
        convs, gemms = counts[fold_conv_add.name], counts.get(fold_matmul_add.name, 0)
        stats = {"conv_biases_folded": convs, "gemms_formed": gemms}
        ctx.report[self.name] = stats
        return PassResult(modified=bool(convs or gemms), stats=stats)


def _producer_and_constant(add: nn.AddOp, kind: type[Op]) -> tuple[Op, np.ndarray, Op] | None:
    """(producer of class `kind`, the added constant, the constant's op) for `add`."""
    for data, other in ((0, 1), (1, 0)):
        producer = add.operand(data).owner
        c = constant_array(add.operand(other))
        if (
            isinstance(producer, kind) and c is not None and only_reader(add.operand(data)) is add
            and add.result.type == producer.result.type
        ):
            return producer, c, add.operand(other).owner
    return None


@pattern("conv-add", nn.AddOp)
def fold_conv_add(add: nn.AddOp, b: Builder) -> bool:
    """Add(conv(x, W[, b]), per-channel constant c) -> conv(x, W, b + c)."""
    found = _producer_and_constant(add, nn.ConvOp)
    if found is None:
        return False
    conv, c, c_op = found
    out = conv.result.type
    weight = constant_array(conv.operand(1))
    channels = out.shape[1] if isinstance(out, TensorType) and out.rank > 1 and isinstance(out.shape[1], int) else None
    if channels is None and weight is not None:
        channels = weight.shape[0]
    bias = constant_array(conv.operand(2)) if len(conv.operands) > 2 else None
    if channels is None or (len(conv.operands) > 2 and bias is None) or c.dtype.kind != "f":
        return False
    vector = per_channel_vector(c, out.rank, channels)
    if vector is None:
        return False
    total = vector.astype(np.float64) + (bias.astype(np.float64) if bias is not None else 0.0)
    old_bias = conv.operand(2).owner if bias is not None else None
    b_value = b.constant(total.astype(c.dtype), c_op.result.name, takes_over=True)
    conv.set_operands([conv.operand(0), conv.operand(1), b_value])
    if old_bias is not None:
        b.erase_dead(old_bias.results)
    replace_by_producer(b, add, conv)
    return True


@pattern("matmul-add", nn.AddOp)
def fold_matmul_add(add: nn.AddOp, builder: Builder) -> bool:
    """Add(MatMul(A, B), c) -> Gemm(A, B, c); Add(Gemm(A, B), c) -> Gemm(A, B, c) (2-D only)."""
    found = _producer_and_constant(add, nn.MatMulOp) or _producer_and_constant(add, nn.GemmOp)
    if found is None:
        return False
    producer, c, c_op = found
    a, b = producer.operand(0).type, producer.operand(1).type
    out = producer.result.type
    if not all(isinstance(t, TensorType) and t.rank == 2 for t in (a, b, out)) or c.ndim > 2:
        return False
    m, n = out.shape
    if not isinstance(n, int) or (c.ndim == 2 and not (c.shape[0] == 1 or c.shape[0] == m)):
        return False
    if c.ndim >= 1 and c.shape[-1] not in (1, n):
        return False
    if isinstance(producer, nn.GemmOp):
        if len(producer.operands) > 2 or producer.attr("beta", 1.0) != 1.0:
            return False
        producer.set_operands([*producer.operands, c_op.result])
        replace_by_producer(builder, add, producer)
        return True
    gemm = add.graph.create(
        nn.GemmOp, [producer.operand(0), producer.operand(1), c_op.result], [out],
        loc=producer.loc, names=[add.result.name],
    )
    builder.replace(add, [gemm.result])
    builder.erase(producer)
    return True


def replace_by_producer(b: Builder, op: Op, producer: Op) -> None:
    """Let the readers of `op` read `producer` (which took `op`'s effect in) instead; drop `op`
    and the constants only it read."""
    inputs = list(op.operands)
    b.replace(op, [producer.result])
    b.erase_dead(inputs, erasable=lambda o: isinstance(o, nn.ConstantOp))
