"""The `quantize` pass: post-training quantization of conv/gemm/matmul layers to QDQ form.

Each quantized layer reads its activation through `nn.quantize -> [nn.clip] -> nn.dequantize`
(per-tensor affine, calibrated on `--data`) and its weight (and bias) through `nn.dequantize`
of an integer constant, which is the QDQ form stock ONNX Runtime runs. Weights take int8
(uint8 when `weight_signed=false`) for 2 to 8 bits, int16/uint16 for 16 (opset 21); fewer than 8
bits keep the 8-bit storage type with values restricted to the b-bit range by the scale (and, for
activations, by an `nn.clip` of the integers), so the graph still runs at opset 13 instead of
needing opset 21 (int4) or 25 (int2); `packed=true` stores such weights in those sub-byte types
(ONNX Runtime 1.31 runs both; the IR keeps them as int8/uint8 arrays typed `i4`/`u2`/...). Bias
is int32 at the product scale S_x * S_w. Activation ranges come from running the float model in
ONNX Runtime on the calibration samples with the layer inputs exposed (`axc.runtime.calibrate`).

The integer view for the approximate-multiplier passes is the attribute `quant` (a dict) on every
quantized `nn.conv`/`nn.gemm`/`nn.matmul`:

| key | value |
|---|---|
| `weight_operand` | index of the weight operand (1 for conv/gemm, 0 or 1 for matmul) |
| `w_int` | DenseArray int8/uint8 (int16/uint16 above 8 bits), same shape as the float weight |
| `w_scale` | DenseArray float32, shape (C,) per channel or () per tensor |
| `w_zero_point` | DenseArray int32, same shape as `w_scale` |
| `w_axis` | channel axis of the weight (None per tensor) |
| `w_bits`, `w_signed`, `w_symmetric` | bit width, signedness, symmetric scheme of the weights |
| `x_scale`, `x_zero_point` | float, int: the input activation's per-tensor parameters |
| `x_bits`, `x_signed` | the activation's bit width and signedness |
| `x_range` | (lo, hi): the calibrated clipping range |
| `bias_int`, `bias_scale` | DenseArray int32 (C,) and float32 (C,) or (), or None without bias |
| `calibration` | the calibration method used for the activation |

Real values are `w = (w_int - w_zero_point) * w_scale` along `w_axis`, `x = (x_int -
x_zero_point) * x_scale`, `bias = bias_int * bias_scale`, which is Eq. 7-10 of the HTP paper.
The `nn.dequantize` ops in the graph carry the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np
from axc.ir import Graph, InputError, Module, NameLoc, Op, TensorType, Value
from axc.ir.dialects import nn
from axc.ir.dialects.quant import QuantParams
from axc.ir.network import layer_name
from axc.ir.rewrite import Builder, apply_patterns
from axc.runtime import quant as Q
from axc.runtime.calibrate import observe_values
from axc.runtime.nn_data import DEFAULT_CALIB
from axc.runtime.nn_eval import dataset_for_module

from ..infra.base import ModulePass, PassContext, PassResult
from .fold_batchnorm import fold_batchnorm, fold_dense_batchnorm, fold_scale
from .fold_conv_bias import fold_conv_add, fold_matmul_add

__all__ = ["QuantizePass"]

_TARGETS = (nn.ConvOp, nn.GemmOp, nn.MatMulOp)
_TYPE_NAMES = {"conv": nn.ConvOp, "gemm": nn.GemmOp, "matmul": nn.MatMulOp}
_SHAPE_OPS = (nn.ReshapeOp, nn.TransposeOp, nn.FlattenOp)


@dataclass(frozen=True)
class QuantizePass(ModulePass):
    """Post-training quantization of conv/gemm/matmul layers into ONNX QDQ form.

    First, unless `fold=false`, BatchNormalization, per-channel Mul and constant Add are folded
    into the Conv/MatMul/Gemm before them (`fold-batchnorm`, `fold-conv-bias`), so each layer
    carries its bias and ONNX Runtime runs it as one fused integer kernel. Weights per channel or
    per tensor, symmetric or affine, 2 to 8 or 16 bits; activations per tensor affine, calibrated
    on `--data` (first `--calib` samples) with minmax, percentile, mse or entropy; bias int32 at
    the product scale. Each quantized layer records its integer view in the attribute `quant` for
    approx-mul/htp. Ops with weights that have no integer form here (an LSTM, a ConvTranspose)
    stay float, and the log and the report name them.
    """

    name: ClassVar[str] = "quantize"
    bits: int = 8
    """Bit width of weights and activations (2..8 or 16) unless set separately."""
    weight_bits: int | None = None
    """Bit width of the weights (default: `bits`)."""
    act_bits: int | None = None
    """Bit width of the activations (default: `bits`)."""
    per_channel: bool = True
    """One scale (and zero point) per output channel of each weight; false: one per tensor."""
    symmetric: bool | None = None
    """Symmetric weights (zero point 0, or mid-range when unsigned); false: affine (min/max).
    Default: symmetric at 8 bits and more, affine below (on mnist8, 2-bit per-channel weights
    reach 95.6 % affine against 22 % symmetric, whose grid is {-2s, -s, 0, s} for s = max|w|)."""
    weight_signed: bool = True
    """Signed weight integers; false gives unsigned ones (with a zero point)."""
    act_signed: bool = False
    """Signed activation integers (int8); false gives uint8-style unsigned ones."""
    calibration: Literal["minmax", "percentile", "mse", "entropy"] = "mse"
    """How activation ranges are chosen from the calibration data. On mnist8 (10k MNIST) all four
    tie at 8 bits (98.92-98.93 %); at 4-bit activations mse leads (98.87 %, entropy 98.83 %,
    minmax 98.80 %) and entropy (TensorRT's KL search, kept for parity with ORT/TensorRT) is the
    slowest, so mse is the default."""
    percentile: float = 99.99
    """The percentile kept by `calibration=percentile`."""
    weight_range: Literal["minmax", "mse"] = "minmax"
    """Weight clipping range: min/max, or the shrink with the least squared weight error (which
    loses accuracy on mnist8 at 2-4 bits: clipping the few large weights costs more than it saves)."""
    layers: tuple[str, ...] = ()
    """Quantize only these layers (ONNX node names or op types conv/gemm/matmul); all if empty."""
    exclude: tuple[str, ...] = ()
    """Leave these layers (node names or op types) in float."""
    packed: bool = False
    """Store weights of 4 bits or fewer in ONNX's int4/uint4 (opset 21) or int2/uint2 (opset 25)
    types instead of int8/uint8 with a restricted range; the exporter raises the opset. ONNX
    Runtime 1.2x refuses to fuse int2 weights into QLinearConv: run such models with the session
    option `session.disable_quant_qdq=1` (axc-opt's own runner sets it for packed weights)."""
    data: str | None = None
    """Calibration data (.npz with `x`, an ONNX test_data_set folder, or MNIST IDX files)."""
    calib: int | None = None
    """Number of calibration samples, the first ones of `data` (default 500, as `--calib`)."""
    fold: bool = True
    """Fold BatchNorm/Mul/Add into the preceding Conv/MatMul/Gemm first."""

    def weight_ir_dtype(self, rng: Q.IntRange) -> str | None:
        """The sub-byte ONNX type holding the weights when `packed` (None: the 8/16-bit one)."""
        if not self.packed or rng.bits > 4:
            return None
        return ("i" if rng.signed else "u") + ("2" if rng.bits <= 2 else "4")

    def widths(self) -> tuple[int, int]:
        allowed = (*range(2, 9), 16)
        for label, value in (("bits", self.bits), ("weight_bits", self.weight_bits), ("act_bits", self.act_bits)):
            if value is not None and value not in allowed:
                raise InputError(f"{label}={value} is not supported (2 to 8, or 16)")
        wb = self.weight_bits or self.bits
        return wb, self.act_bits or self.bits

    def requires(self, module: Module) -> None:
        self.widths()
        if module.top is None or module.top_graph.kind != "nn":
            raise InputError("quantize works on a network ('nn' graph)")
        if self.calib is not None and self.calib < 1:
            raise InputError(f"calib={self.calib} must be at least 1")

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        self.requires(module)
        if not self.select(module.top_graph):
            return PassResult(False, {"layers": 0}, notes=["quantize: no conv/gemm/matmul with a constant weight to quantize"])
        return self.run(ctx, module, self.calibration_samples(ctx, module.top_graph))

    def run(self, ctx: PassContext, module: Module, samples: np.ndarray) -> PassResult:
        """Quantize `module` in place, calibrating on `samples` (inputs of the top graph)."""
        self.requires(module)
        w_bits, a_bits = self.widths()
        g = module.top_graph
        types = self.layer_types(g)
        folded = apply_patterns(g, _FOLDS) if self.fold else {}
        targets = self.select(g, types)
        if not targets:
            return PassResult(False, {"layers": 0}, notes=["quantize: no conv/gemm/matmul with a constant weight to quantize"])
        acts = list(dict.fromkeys(t["x"] for t in targets))
        observers = _observe(ctx, module, acts, samples)
        a_rng = Q.int_range(a_bits, self.act_signed)
        w_rng = Q.int_range(w_bits, self.weight_signed)
        b = Builder(g)
        act_params: dict[Value, tuple[float, int, tuple[float, float], Value]] = {}
        act_schemes: dict[Value, tuple[str, str]] = {}
        for x in acts:
            lo, hi = observers[x].range(self.calibration, a_rng, percentile=self.percentile)
            why = _non_negative(x, lo)
            if why and not a_rng.signed:
                lo = 0.0  # a zero activation is the integer 0
                act_schemes[x] = ("unsigned, zero point 0", why)
            else:
                act_schemes[x] = (f"{'signed' if a_rng.signed else 'unsigned'} affine",
                                  "act_signed=true" if a_rng.signed else "the calibrated range includes negative values")
            scale, zero = Q.choose_qparams(lo, hi, a_rng, symmetric=False)
            s, z = float(scale), int(zero)
            act_params[x] = (s, z, (float(lo), float(hi)), _insert_act_qdq(b, x, s, z, a_rng))
        report: dict[str, Any] = {}
        replaced = [t["op"].operand(i) for t in targets for i in (t["w_index"], 2) if i < len(t["op"].operands)]
        for t in targets:
            report[t["label"]] = self.quantize_layer(b, t, act_params[t["x"]], w_rng, a_rng)
            report[t["label"]]["activations"], report[t["label"]]["activations_why"] = act_schemes[t["x"]]
        b.erase_dead(replaced, erasable=lambda op: isinstance(op, (nn.ConstantOp, *_SHAPE_OPS)))
        left = _left_in_float(g, {t["op"] for t in targets})
        ctx.report[self.name] = {"weight_bits": w_bits, "act_bits": a_bits, "per_channel": self.per_channel,
                                 "calibration": self.calibration, "calib_samples": len(samples), "layers": report,
                                 "folded": {k: v for k, v in folded.items() if v}, "left_in_float": left}
        ctx.log(f"quantize: {len(targets)} layers to {w_bits}-bit weights"
                f" ({'per channel' if self.per_channel else 'per tensor'}), {a_bits}-bit activations"
                f" ({self.calibration} on {len(samples)} samples)"
                + (f"; folded first: {', '.join(f'{v} {k}' for k, v in folded.items() if v)}"
                   if any(folded.values()) else ""))
        notes = [f"quantize: left in float (no integer form here): {', '.join(left)}"] if left else []
        for note in notes:
            ctx.log(note)
        return PassResult(True, {"layers": len(targets), "weight_bits": w_bits, "act_bits": a_bits}, notes=notes)

    # -- selection ---------------------------------------------------------------------------
    @staticmethod
    def layer_types(g: Graph) -> dict[str, type[Op]]:
        """Layer label -> op class, as written (folding turns MatMul + Add into Gemm, and a
        `matmul` selector still means that layer)."""
        candidates = [op for op in g.topo_order() if isinstance(op, _TARGETS)]
        return {_label(op, i): type(op) for i, op in enumerate(candidates)}

    def select(self, g: Graph, types: dict[str, type[Op]] | None = None) -> list[dict[str, Any]]:
        candidates = [op for op in g.topo_order() if isinstance(op, _TARGETS)]
        labels = {op: _label(op, i) for i, op in enumerate(candidates)}
        types = {**{label: type(op) for op, label in labels.items()}, **(types or {})}
        known = set(labels.values())
        for sel in (*self.layers, *self.exclude):
            if sel.lower() not in _TYPE_NAMES and sel not in known:
                raise InputError(f"no layer named '{sel}' (layers: {', '.join(labels.values())})")
        chosen = []
        for op in candidates:
            kind = types.get(labels[op], type(op))
            if self.layers and not _matches(kind, labels[op], self.layers):
                continue
            if _matches(kind, labels[op], self.exclude) or op.attr("quant") is not None:
                continue
            spec = _layer_spec(op)
            if spec is not None:
                spec["label"] = labels[op]
                chosen.append(spec)
        return chosen

    def calibration_samples(self, ctx: PassContext, g: Graph) -> np.ndarray:
        data = self.data
        if not data:
            raise InputError("quantize needs calibration data: give --data (or quantize{data=...})")

        assert g.module is not None
        x = dataset_for_module(str(data), g.module).x[: self.calib or DEFAULT_CALIB]
        if len(x) == 0:
            raise InputError(f"the calibration data '{data}' holds no samples")
        ctx.saw_samples(len(x))
        return x

    # -- one layer -------------------------------------------------------------------------
    def quantize_layer(self, builder: Builder, t: dict[str, Any], act: tuple[float, int, tuple[float, float], Value],
                       w_rng: Q.IntRange, a_rng: Q.IntRange) -> dict[str, Any]:
        op: Op = t["op"]
        s_x, z_x, x_range, x_dq = act
        op.set_operand(t["x_index"], x_dq)
        w = t["w"]
        axis = t["axis"] if self.per_channel else None
        symmetric = self.symmetric if self.symmetric is not None else w_rng.bits >= 8
        lo, hi = Q.weight_range(w, axis, w_rng, symmetric, self.weight_range)
        w_scale, w_zero = Q.choose_qparams(lo, hi, w_rng, symmetric)
        w_int = Q.quantize(w, w_scale, w_zero, w_rng, axis).astype(Q.storage_dtype(w_rng.bits, w_rng.signed))
        w_zero_st = w_zero.astype(w_int.dtype)
        base = op.operand(t["w_index"]).name or "weight"
        w_dq = _dequantize_const(builder, op, base, w_int, w_scale, w_zero_st, axis, self.weight_ir_dtype(w_rng))
        op.set_operand(t["w_index"], w_dq)
        view = QuantParams(
            weight_operand=t["w_index"], w_int=w_int, w_scale=w_scale, w_zero_point=w_zero.astype(np.int32),
            w_axis=axis, w_bits=w_rng.bits, w_signed=w_rng.signed, w_symmetric=symmetric, x_scale=s_x,
            x_zero_point=z_x, x_bits=a_rng.bits, x_signed=a_rng.signed, x_range=x_range, bias_int=None,
            bias_scale=None, calibration=self.calibration,
        )
        if t["b"] is not None:
            b = t["b"]
            b_int, b_scale = Q.quantize_bias(b.reshape(-1), s_x, w_scale)
            b_axis = b.shape.index(b.size) if axis is not None and b.ndim else None
            b_dq = _dequantize_const(builder, op, op.operand(2).name or "bias", b_int.reshape(b.shape),
                                     b_scale, np.zeros(b_scale.shape, np.int32), b_axis)
            op.set_operand(2, b_dq)
            view = replace(view, bias_int=b_int, bias_scale=b_scale)
        view.store(op)
        recon = Q.dequantize(w_int, w_scale, w_zero, axis)
        noise = float(np.mean((recon - w) ** 2))
        signal = float(np.mean(w.astype(np.float64) ** 2))
        if self.symmetric is not None:
            why = f"symmetric={str(self.symmetric).lower()}"
        elif symmetric:
            why = "default at 8 bits and more"
        else:
            why = "default below 8 bits: an affine grid keeps more of the weight range"
        scheme = (f"{'signed' if w_rng.signed else 'unsigned'} {'symmetric' if symmetric else 'affine'}, "
                  f"{'per channel' if axis is not None else 'per tensor'}")
        return {"op": op.name, "x_scale": s_x, "x_zero_point": z_x, "x_range": list(x_range),
                "weight_sqnr_db": round(float(10 * np.log10(signal / noise)), 2) if noise > 0 else None,
                "weights": scheme, "weights_why": why}


def _non_negative(x: Value, calibrated_low: float) -> str:
    """Why activation `x` is never negative ('' when it may be): produced by ReLU, by a Clip with
    a lower bound >= 0 (also through max-pooling and reshapes), or calibrated non-negative."""
    op = x.owner
    while isinstance(op, (nn.MaxPoolOp, *_SHAPE_OPS)):
        op = op.operand(0).owner
    if isinstance(op, nn.ReluOp):
        return "produced by ReLU"
    if isinstance(op, nn.ClipOp) and len(op.operands) > 1:
        low = _fold(op.operand(1))
        if low is not None and float(np.min(low)) >= 0:
            return "produced by a Clip with a lower bound >= 0"
    return "its calibrated range is non-negative" if calibrated_low >= 0 else ""


_FOLDS = (fold_batchnorm, fold_dense_batchnorm, fold_scale, fold_conv_add, fold_matmul_add)


def _left_in_float(g: Graph, quantized: set[Op]) -> list[str]:
    """The ops that still compute with a float weight matrix (a constant with two or more
    dimensions above 1), as `Kind 'name'`: what quantization left in float."""
    found = []
    for op in g.topo_order():
        if op in quantized or isinstance(op, nn.ConstantOp | nn.QuantizeOp | nn.DequantizeOp):
            continue
        if any(w is not None and sum(d > 1 for d in w.shape) >= 2 for w in map(_float_const, op.operands)):
            kind = op.attr("op_type") if isinstance(op, nn.OpaqueOp) else op.name.split(".")[1]
            found.append(f"{kind} '{layer_name(op)}'")
    return found


def _label(op: Op, index: int) -> str:
    return op.loc.name if isinstance(op.loc, NameLoc) else f"{op.name.split('.')[-1]}{index}"


def _matches(kind: type[Op], label: str, selectors: tuple[str, ...]) -> bool:
    return any(s == label or _TYPE_NAMES.get(s.lower()) is kind for s in selectors)


def _fold(v: Value) -> np.ndarray | None:
    """The value of `v` when it is a constant or a reshape/transpose/flatten chain of one."""
    op = v.owner
    if isinstance(op, nn.ConstantOp):
        return np.asarray(op.attr("value").array)
    if isinstance(op, _SHAPE_OPS):
        src = _fold(op.operand(0))
        if src is None:
            return None
        if isinstance(op, nn.ReshapeOp):
            shape = _fold(op.operand(1))
            if shape is None:
                return None
            dims = [src.shape[i] if d == 0 and not op.attr("allowzero", 0) else int(d) for i, d in enumerate(shape)]
            return src.reshape(dims)
        if isinstance(op, nn.TransposeOp):
            return np.transpose(src, op.attr("perm"))
        axis = int(op.attr("axis", 1))
        return src.reshape(int(np.prod(src.shape[:axis])), -1)
    return None


def _float_const(v: Value) -> np.ndarray | None:
    arr = _fold(v)
    return arr if arr is not None and arr.dtype.kind == "f" else None


def _layer_spec(op: Op) -> dict[str, Any] | None:
    """Which operand is the activation, which the weight (and its channel axis), and the bias."""
    if isinstance(op, nn.ConvOp):
        x_index, w_index, axis = 0, 1, 0
    elif isinstance(op, nn.GemmOp):
        if op.attr("transA", 0) and _float_const(op.operand(0)) is not None:
            return None
        x_index, w_index, axis = 0, 1, 0 if op.attr("transB", 0) else 1
    else:
        consts = [_float_const(v) is not None for v in op.operands]
        if consts == [False, True]:
            x_index, w_index = 0, 1
        elif consts == [True, False]:
            x_index, w_index = 1, 0
        else:
            return None
    w = _float_const(op.operand(w_index))
    x_type = op.operand(x_index).type
    if w is None or _float_const(op.operand(x_index)) is not None:
        return None
    if not isinstance(x_type, TensorType) or x_type.dtype not in ("f32", "f16", "f64"):
        return None
    if isinstance(op, nn.MatMulOp):
        axis = w.ndim - 1 if w_index == 1 else max(w.ndim - 2, 0)
    b = _float_const(op.operand(2)) if len(op.operands) > 2 else None
    if b is not None and b.size != w.shape[axis]:
        b = None
    return {"op": op, "x": op.operand(x_index), "x_index": x_index, "w": w.astype(np.float32),
            "w_index": w_index, "axis": axis, "b": b}


def _dequantize_const(b: Builder, op: Op, base: str, q: np.ndarray, scale: np.ndarray,
                      zero: np.ndarray, axis: int | None, dtype: str | None = None) -> Value:
    """`dequantize(const q, scale, zero)`; `dtype` overrides the IR element type (i4, u2, ...)."""
    qv = b.constant(q, f"{base}_quantized", dtype, op.loc)
    sv = b.constant(np.asarray(scale, np.float32), f"{base}_scale", loc=op.loc)
    zv = b.constant(np.asarray(zero, q.dtype), f"{base}_zero_point", dtype, op.loc)
    attrs = {"axis": axis} if axis is not None else {}
    dq = b.create(nn.DequantizeOp, [qv, sv, zv], [TensorType(q.shape, "f32")], attrs,
                  loc=b.fresh_node(f"{base}_DequantizeLinear"), names=[f"{base}_dequantized"])
    return dq.result


def _insert_act_qdq(b: Builder, x: Value, scale: float, zero: int, rng: Q.IntRange) -> Value:
    """x -> quantize -> [clip to the b-bit range] -> dequantize, for the quantized layers to read."""
    st = Q.storage_dtype(rng.bits, rng.signed)
    dtype = {"int8": "i8", "uint8": "u8", "int16": "i16", "uint16": "u16"}[st.name]
    base = x.name or "act"
    loc = x.owner.loc if x.owner is not None else NameLoc(base)
    sv = b.constant(np.array(scale, np.float32), f"{base}_scale", loc=loc)
    zv = b.constant(np.array(zero, st), f"{base}_zero_point", loc=loc)
    shape = x.type.shape if isinstance(x.type, TensorType) else ()
    q = b.create(nn.QuantizeOp, [x, sv, zv], [TensorType(shape, dtype)], loc=b.fresh_node(f"{base}_QuantizeLinear"),
                 names=[f"{base}_quantized"]).result
    full = Q.int_range(8 if rng.bits <= 8 else 16, rng.signed)
    if (rng.qmin, rng.qmax) != (full.qmin, full.qmax):
        lo = b.constant(np.array(rng.qmin, st), f"{base}_qmin", loc=loc)
        hi = b.constant(np.array(rng.qmax, st), f"{base}_qmax", loc=loc)
        q = b.create(nn.ClipOp, [q, lo, hi], [TensorType(shape, dtype)], loc=b.fresh_node(f"{base}_Clip"),
                     names=[f"{base}_clipped"]).result
    return b.create(nn.DequantizeOp, [q, sv, zv], [TensorType(shape, "f32")],
                    loc=b.fresh_node(f"{base}_DequantizeLinear"), names=[f"{base}_dequantized"]).result


def _observe(ctx: PassContext, module: Module, values: list[Value], samples: np.ndarray) -> dict[Value, Q.ActivationObserver]:
    return observe_values(module, values, samples, progress=lambda it, d, n: ctx.progress(it, d, n))
