"""Running networks in ONNX Runtime: a Module (through the ONNX backend) or an ONNX model.

`OnnxRunner(module)` serializes the module once with `axc.runtime.onnx_model`, opens one
ONNX Runtime CPU session and runs feeds through it; `run_batched` splits a large input into
batches, or runs sample by sample when the model fixes its batch dimension to 1.

Sessions compute QDQ models exactly. On x86 CPUs without VNNI (AVX2, AVX-512 before VNNI) ONNX
Runtime's default 8-bit kernels add pairs of uint8 x int8 products in saturating 16-bit sums
(VPMADDUBSW; models with int8 activations saturate as well, measured with ORT 1.30 and 1.32), so
large activations times weights near +-127 are clipped. Results then depend on the CPU: the fused
QLinear kernels disagree with the unfused QDQ graph, the ONNX reference and the PyTorch lowering,
and accuracy comparisons between quantizers measure that noise. `session_options` asks for the
exact u8u8 kernels (`EXACT_INTEGER_KERNELS`; other CPUs are exact anyway and ignore it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from axc.ir import InputError, Module

from .onnx_model import export_model

__all__ = ["EXACT_INTEGER_KERNELS", "OnnxRunner", "has_per_axis_left_weights", "has_sub_byte_weights",
           "session_options"]

EXACT_INTEGER_KERNELS = "session.x64quantprecision"
"""ONNX Runtime's session option for non-saturating 8-bit matrix products on x86 without VNNI."""


_SUB_BYTE = {onnx.TensorProto.INT4, onnx.TensorProto.UINT4,
             *(getattr(onnx.TensorProto, name) for name in ("INT2", "UINT2") if hasattr(onnx.TensorProto, name))}


def session_options(threads: int = 0, fuse_qdq: bool = True) -> ort.SessionOptions:
    """Quiet CPU session options (`threads` 0 lets ONNX Runtime choose); `fuse_qdq=False` keeps
    DequantizeLinear -> op -> QuantizeLinear as written instead of fusing it into QLinear kernels.
    Integer kernels never saturate (see the module docstring)."""
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.add_session_config_entry(EXACT_INTEGER_KERNELS, "1")
    if threads:
        so.intra_op_num_threads = threads
    if not fuse_qdq:
        so.add_session_config_entry("session.disable_quant_qdq", "1")
    return so


def has_sub_byte_weights(model: onnx.ModelProto) -> bool:
    """Whether an initializer is int4/uint4/int2/uint2 (packed weights)."""
    return any(t.data_type in _SUB_BYTE for t in model.graph.initializer)


def has_per_axis_left_weights(model: onnx.ModelProto) -> bool:
    """Whether a MatMul or Gemm takes its first operand from a per-axis DequantizeLinear (a
    `W @ x` weight quantized per row). ONNX Runtime's exact integer kernels fuse that into a
    MatMulIntegerToFloat which then refuses the per-row zero point (ORT 1.30-1.32)."""
    sizes = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer}
    scale_of = {n.output[0]: n.input[1] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    return any(n.op_type in ("MatMul", "Gemm") and sizes.get(scale_of.get(n.input[0], ""), 1) > 1
               for n in model.graph.node)


def _fusable(model: onnx.ModelProto | str) -> bool:
    """Whether ONNX Runtime runs `model`'s fused QDQ kernels exactly (a file is not read)."""
    if not isinstance(model, onnx.ModelProto):
        return True
    return not (has_sub_byte_weights(model) or has_per_axis_left_weights(model))


class OnnxRunner:
    """One ONNX Runtime session over a Module, an ONNX model or an ONNX file."""

    def __init__(self, model: Module | onnx.ModelProto | str | Path, threads: int = 0,
                 fuse_qdq: bool | None = None) -> None:
        """`fuse_qdq`: let ONNX Runtime fuse QDQ groups into integer kernels; by default yes,
        except for packed sub-byte weights, which its QLinearConv refuses (ORT 1.2x), and
        per-row quantized left MatMul operands (`has_per_axis_left_weights`). Both ways compute
        the QDQ arithmetic without saturation (see the module docstring)."""
        if isinstance(model, Module):
            model = export_model(model).model
        if fuse_qdq is None:
            fuse_qdq = _fusable(model)
        payload = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
        try:
            self.session = ort.InferenceSession(payload, session_options(threads, fuse_qdq),
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own exception types for models it refuses
            raise InputError(f"ONNX Runtime refuses the model: {str(exc).splitlines()[0]}") from None
        self.inputs = self.session.get_inputs()
        self.input_names = [i.name for i in self.inputs]
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """All outputs for one set of feeds."""
        return self.session.run(None, dict(feeds))

    def batch_dim(self) -> int | str | None:
        """The first dimension of the first input (an int, a symbolic name, or None)."""
        shape = self.inputs[0].shape
        return shape[0] if shape else None

    def run_batched(self, x: np.ndarray, batch: int = 256, output: int = 0,
                    progress: Callable[[Iterable[int], str, int], Iterable[int]] | None = None) -> np.ndarray:
        """Output `output` for the samples of `x` (first axis), fed to the first input;
        `progress(items, description, total)` may wrap the loop over chunks (a progress bar)."""
        if len(self.inputs) != 1:
            names = ", ".join(self.input_names)
            raise InputError(f"the model has {len(self.inputs)} inputs ({names}); batched evaluation feeds exactly one")
        dim = self.batch_dim()
        step = 1 if isinstance(dim, int) else batch
        if isinstance(dim, int) and dim != 1:
            step = dim
        name = self.input_names[0]
        parts = []
        starts = range(0, len(x), step)
        for start in progress(starts, f"running {len(x)} samples", len(starts)) if progress else starts:
            chunk = x[start : start + step]
            if isinstance(dim, int) and len(chunk) != dim:
                raise InputError(f"the model's batch size is fixed to {dim}; {len(x)} samples do not split into it")
            parts.append(self.session.run([self.output_names[output]], {name: chunk})[0])
        return np.concatenate(parts, axis=0) if parts else np.zeros((0,))
