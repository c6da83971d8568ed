"""The `nn` dialect: tensor ops of neural networks.

Attributes mirror the ONNX attribute names (`strides`, `pads`, `group`, `axis`, ...), so the
ONNX importer and emitter translate one-to-one. `nn.constant` holds a tensor in `value` (a
`DenseArray`). `nn.opaque` keeps any other ONNX node verbatim (`op_type`, `domain` and its
attributes), so a round trip never loses it. Quantized tensors follow ONNX QDQ:
`nn.quantize %x, %scale, %zero_point` and `nn.dequantize` with the same operands.
"""

from __future__ import annotations

from typing import ClassVar

from ..attributes import DenseArray
from ..core import Op
from ..dialect import AttrDef, Dialect
from ..types import TensorType
from .quant import check_quant

__all__ = [
    "NN",
    "AddOp", "AvgPoolOp", "BatchNormOp", "ClipOp", "ConcatOp", "ConstantOp", "ConvOp",
    "DequantizeOp", "DivOp", "FlattenOp", "GemmOp", "GlobalAvgPoolOp", "MatMulOp", "MaxPoolOp",
    "MulOp", "OpaqueOp", "PadOp", "QuantizeOp", "ReluOp", "ReshapeOp", "SoftmaxOp", "SubOp",
    "TransposeOp",
]


class _NNOp(Op):
    num_results = 1
    operand_type = TensorType
    result_type = TensorType
    open_attributes = True
    onnx_type: ClassVar[str] = ""


def _same_rank(op: Op, a: int, b: int) -> None:
    ta, tb = op.operand(a).type, op.operand(b).type
    if ta.rank != tb.rank:
        raise op.error(f"operand {a} has rank {ta.rank}, operand {b} has rank {tb.rank}")


class ConstantOp(_NNOp):
    """A constant tensor (`value`)."""

    name = "nn.constant"
    onnx_type = "Constant"
    num_operands = 0
    open_attributes = False
    attr_defs: ClassVar = {"value": AttrDef(DenseArray, doc="the tensor")}

    def verify_(self) -> None:
        t = self.result.type
        if t.is_static and tuple(t.shape) != self.attr("value").shape:
            raise self.error(f"value shape {self.attr('value').shape} does not match {t}")


class ConvOp(_NNOp):
    """Convolution `conv %x, %w[, %b]` (ONNX Conv attributes)."""

    name = "nn.conv"
    onnx_type = "Conv"
    num_operands = (2, 3)

    def verify_(self) -> None:
        _same_rank(self, 0, 1)
        if self.result.type.rank != self.operand(0).type.rank:
            raise self.error("result rank must equal input rank")


class GemmOp(_NNOp):
    """General matrix multiply `alpha*A'*B' + beta*C` (ONNX Gemm attributes)."""

    name = "nn.gemm"
    onnx_type = "Gemm"
    num_operands = (2, 3)


class MatMulOp(_NNOp):
    """Matrix product with numpy broadcasting."""

    name = "nn.matmul"
    onnx_type = "MatMul"
    num_operands = 2


class _Unary(_NNOp):
    num_operands = 1


class _Binary(_NNOp):
    num_operands = 2


class ReluOp(_Unary):
    """max(x, 0)."""

    name = "nn.relu"
    onnx_type = "Relu"


class AddOp(_Binary):
    """Elementwise sum with broadcasting."""

    name = "nn.add"
    onnx_type = "Add"


class SubOp(_Binary):
    """Elementwise difference with broadcasting."""

    name = "nn.sub"
    onnx_type = "Sub"


class MulOp(_Binary):
    """Elementwise product with broadcasting."""

    name = "nn.mul"
    onnx_type = "Mul"


class DivOp(_Binary):
    """Elementwise quotient with broadcasting."""

    name = "nn.div"
    onnx_type = "Div"


class MaxPoolOp(_Unary):
    """Max pooling (ONNX MaxPool attributes)."""

    name = "nn.maxpool"
    onnx_type = "MaxPool"


class AvgPoolOp(_Unary):
    """Average pooling (ONNX AveragePool attributes)."""

    name = "nn.avgpool"
    onnx_type = "AveragePool"


class GlobalAvgPoolOp(_Unary):
    """Mean over all spatial axes."""

    name = "nn.globalavgpool"
    onnx_type = "GlobalAveragePool"


class BatchNormOp(_NNOp):
    """Inference batch normalisation `batchnorm %x, %scale, %bias, %mean, %var`."""

    name = "nn.batchnorm"
    onnx_type = "BatchNormalization"
    num_operands = 5


class FlattenOp(_Unary):
    """Flatten to 2-D at `axis`."""

    name = "nn.flatten"
    onnx_type = "Flatten"


class ReshapeOp(_NNOp):
    """Reshape `reshape %x, %shape`."""

    name = "nn.reshape"
    onnx_type = "Reshape"
    num_operands = 2


class TransposeOp(_Unary):
    """Permute axes by `perm`."""

    name = "nn.transpose"
    onnx_type = "Transpose"


class ConcatOp(_NNOp):
    """Concatenate along `axis`."""

    name = "nn.concat"
    onnx_type = "Concat"
    num_operands = (1, None)


class SoftmaxOp(_Unary):
    """Softmax along `axis`."""

    name = "nn.softmax"
    onnx_type = "Softmax"


class ClipOp(_NNOp):
    """Clamp to [min, max] (`clip %x[, %min[, %max]]`)."""

    name = "nn.clip"
    onnx_type = "Clip"
    num_operands = (1, 3)


class PadOp(_NNOp):
    """Pad (`pad %x, %pads[, %value]`)."""

    name = "nn.pad"
    onnx_type = "Pad"
    num_operands = (1, 4)


class QuantizeOp(_NNOp):
    """`quantize %x, %scale[, %zero_point]` (ONNX QuantizeLinear)."""

    name = "nn.quantize"
    onnx_type = "QuantizeLinear"
    num_operands = (2, 3)


class DequantizeOp(_NNOp):
    """`dequantize %q, %scale[, %zero_point]` (ONNX DequantizeLinear)."""

    name = "nn.dequantize"
    onnx_type = "DequantizeLinear"
    num_operands = (2, 3)


class OpaqueOp(_NNOp):
    """Any other ONNX node, kept verbatim: `op_type`, `domain` and its ONNX attributes."""

    name = "nn.opaque"
    num_operands = (0, None)
    num_results = (0, None)

    def verify_(self) -> None:
        if not isinstance(self.attr("op_type"), str):
            raise self.error("requires a string attribute 'op_type'")


NN_OPS: tuple[type[Op], ...] = (
    ConstantOp, ConvOp, GemmOp, MatMulOp, ReluOp, AddOp, SubOp, MulOp, DivOp, MaxPoolOp,
    AvgPoolOp, GlobalAvgPoolOp, BatchNormOp, FlattenOp, ReshapeOp, TransposeOp, ConcatOp,
    SoftmaxOp, ClipOp, PadOp, QuantizeOp, DequantizeOp, OpaqueOp,
)

NN = Dialect("nn", list(NN_OPS), doc="Tensor ops of neural networks (ONNX semantics).", rule=check_quant)
