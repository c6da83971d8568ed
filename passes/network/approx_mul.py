"""The `approx-mul` pass: quantized conv/gemm/matmul layers multiply through a multiplier model.

Every selected layer (one with the `quant` integer view of the `quantize` pass) becomes an
`approx.mul` op with operands `(x, w, w_scale, w_zero_point, lut[, bias])`: `x` the dequantized
activation, `w` the dequantized weight, `w_scale`/`w_zero_point` the weight's quantization
constants, `lut` the multiplier's int32 table (rows: activation operand, columns: weight
operand, offset by the operand minimum) and the bias. A multiplier that comes from a circuit file
is also added to the module as a circuit graph (`multiplier_<name>`) that the ops name in their
`circuit` attribute: the cross-level link from the network to the gates. Its semantics are Eqs. 9-10 of the HTP
paper: only the integer products go through f, the zero-point sums stay exact (see
`axc.runtime.approx_layers`).

Operand domains: a signed multiplier gets signed operands and an unsigned one unsigned operands.
With `signs=extract` (the default) zero always reaches the multiplier as 0: signed weights go
through an unsigned design by sign extraction, and unsigned zero-point-0 activations go into a
signed design as they are, at half the resolution when they do not fit (8-bit codes become 7-bit
0..127). Otherwise, when the network's integers have the other signedness, the pass re-quantizes
them by a shift of 2^(b-1) (zero point shifted alike, so the real values are unchanged: weights get
new integer constants, activations only a new integer view). Either way it says so in its notes
and report. A network
without quantized layers is refused; so is a layer wider than the multiplier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from axc.ir import Graph, InputError, Module, NameLoc, Op, TensorType, Value
from axc.ir.dialects import approx, nn
from axc.ir.dialects.quant import QUANT_ATTR, QuantParams
from axc.ir.network import constant_of
from axc.ir.rewrite import Builder
from axc.ir.views import is_clocked
from axc.runtime.calibrate import observe_values
from axc.runtime.multipliers import (
    MultiplierModel,
    is_circuit_path,
    load_multiplier,
    resolve_spec,
    sign_extracted,
)
from axc.runtime.multipliers.circuit import exact_multiplier_cost, model_from_graph
from axc.runtime.multipliers.compensation import CodeHistogram, channel_error
from axc.runtime.multipliers.evoapprox import is_signed_name
from axc.runtime.nn_data import DEFAULT_CALIB
from axc.runtime.nn_eval import dataset_for_module

from ..circuit.logic_checks import bit_level
from ..clocked.cones import multiplier_circuit
from ..infra.base import CellLibraryOptions, PassContext, PassResult

__all__ = ["ApproxMulPass", "MultiplierOptions", "attach_multiplier", "quantized_layers", "resolve_multiplier"]

_TARGETS = (nn.ConvOp, nn.GemmOp, nn.MatMulOp)
_TYPES = {"conv": nn.ConvOp, "gemm": nn.GemmOp, "matmul": nn.MatMulOp}
_COPIED = ("strides", "pads", "dilations", "group", "auto_pad", "kernel_shape", "transA",
           "transB", "alpha", "beta")
ERROR_KEYS = ("mae", "wce", "ep%", "mre%", "mae%", "wce%", "bias")


def _label(op: Op, index: int) -> str:
    return op.loc.name if isinstance(op.loc, NameLoc) else f"{op.name.split('.')[-1]}{index}"


def quantized_layers(graph: Graph, layers: tuple[str, ...] = ()) -> list[tuple[str, Op]]:
    """(label, op) of the quantized conv/gemm/matmul ops, filtered by names or op types."""
    candidates = [op for op in graph.topo_order() if isinstance(op, _TARGETS)]
    labelled = [(_label(op, i), op) for i, op in enumerate(candidates)]
    known = {label for label, _ in labelled}
    for sel in layers:
        if sel.lower() not in _TYPES and sel not in known:
            raise InputError(f"no layer named '{sel}' (layers: {', '.join(sorted(known))})")
    chosen = [(label, op) for label, op in labelled
              if not layers or any(s == label or _TYPES.get(s.lower()) is type(op) for s in layers)]
    return [(label, op) for label, op in chosen if QuantParams.of(op) is not None]


def read_circuit(ctx: PassContext, path: str, net: str | None) -> tuple[Module, str | None]:
    """The multiplier circuit in file `path` and its net: the file's circuit (net None), or in a
    clocked one the cone of its multiplier net (`axc.passes.clocked.cones.multiplier_circuit`)."""
    module = ctx.read_file(path)
    if is_clocked(module):
        cone = multiplier_circuit(module, net)
        return cone, cone.top_graph.output_names[0]
    if net is not None:
        raise InputError(f"net={net} names a multiplier inside a clocked circuit; '{path}' has no registers")
    return module, None


def resolve_multiplier(spec: str, circuit: str | None, x_bits: int, w_bits: int,
                       signed: bool | None, x_port: str | None, w_port: str | None,
                       ctx: PassContext, library: Mapping[str, str | None] | None = None,
                       network: tuple[bool, bool] | None = None, signs: str = "extract",
                       net: str | None = None) -> MultiplierModel:
    """A model from `circuit` (a file) or `spec` (family or file) at the network's widths; a
    circuit's area, delay and power come from the cost model on `library` (genlib/liberty), and
    are not measured when it is None.

    `network` is the (activation, weight) signedness of the quantized layers. Given it, an
    analytic family takes it as it is (its operands need no shift; `signed` still forces one),
    and an unsigned circuit used on signed weights goes through sign extraction when
    `signs="extract"` (`sign_extracted`); with `signs="shift"` operands are shifted as needed.
    A clocked circuit file gives the multiplier inside it: its net `net` (`read_circuit`)."""
    source = circuit or spec
    given = signed is not None
    if signed is None:
        signed = is_signed_name(source) if (circuit or "/" in source or "." in source) else True
    if not is_circuit_path(source):
        x_signed, w_signed = network if network is not None and not given else (None, None)
        return load_multiplier(source, x_bits=x_bits, w_bits=w_bits, signed=signed,
                               x_signed=x_signed, w_signed=w_signed)
    if not Path(source).is_file():
        raise InputError(f"multiplier circuit '{source}' does not exist")
    module, net = read_circuit(ctx, str(source), net)
    model = model_from_graph(module, None, x_port, w_port, signed, origin=str(source),
                             with_cost=library is not None, options=library,
                             bit_level=bit_level(module).top_graph)
    if signs == "extract" and network is not None and network[1] and not network[0] and not model.signed:
        model = sign_extracted(model)
    return replace(model, net=net) if net is not None else model


def model_of_op(op: Op, ctx: PassContext) -> MultiplierModel:
    """The multiplier model an `approx.mul`/`approx.htp` op was built with: its LUT operand when
    it still has one, else rebuilt from its records (family spec or circuit file, operand
    signedness, sign extraction)."""
    name, origin = str(op.attr("multiplier")), str(op.attr("multiplier_origin"))
    signed, x_bits, w_bits = bool(op.attr("signed")), int(op.attr("x_bits")), int(op.attr("w_bits"))
    x_signed, w_signed = op.attr("mul_x_signed"), op.attr("mul_w_signed")
    if origin == "analytic":
        return load_multiplier(name, x_bits=x_bits, w_bits=w_bits, signed=signed, x_signed=x_signed,
                               w_signed=w_signed)
    table = constant_of(op.operand(4)) if isinstance(op, approx.MulOp) else None
    if table is not None:
        return MultiplierModel(name, x_bits, w_bits, signed, table=np.asarray(table, dtype=np.int32),
                               origin=origin, x_signed=x_signed, w_signed=w_signed,
                               sign_extraction=bool(op.attr("sign_extraction")))
    network = (bool(x_signed), bool(w_signed)) if op.attr("sign_extraction") else None
    return resolve_multiplier(origin, None, x_bits, w_bits, signed, op.attr("x_port"), op.attr("w_port"),
                              ctx, network=network, net=op.attr("circuit_net"))


def _shift_for(bits: int, signed_now: bool, signed_needed: bool) -> int:
    if signed_now == signed_needed:
        return 0
    return (1 << (bits - 1)) if signed_needed is False else -(1 << (bits - 1))


def _requantize_weight(b: Builder, op: Op, view: QuantParams, shift: int,
                       model: MultiplierModel) -> tuple[Value, Value, np.ndarray, np.ndarray]:
    """(weight value, zero-point value, integer weights, zero points) in the multiplier domain."""
    w_index = view.weight_operand
    dq = op.operand(w_index).owner
    if not isinstance(dq, nn.DequantizeOp):
        raise InputError(f"{op.name}: quantized weight is not read through nn.dequantize", op.loc)
    w_int = view.w_int.astype(np.int64) + shift
    zero = view.w_zero_point.astype(np.int64) + shift
    lo, hi = model.w_range
    if w_int.min() < lo or w_int.max() > hi:
        raise InputError(f"{op.name}: {view.w_bits}-bit weights do not fit the "
                         f"{model.w_bits}-bit weight operand of '{model.name}'", op.loc)
    if shift == 0:
        zero_value = dq.operand(2) if len(dq.operands) > 2 else b.constant(
            zero.astype(np.int32), "w_zero_point", "i32")
        return dq.result, zero_value, w_int, zero
    dtype = ("i" if model.w_is_signed else "u") + ("8" if model.w_bits <= 8 else "16")
    np_dtype = np.dtype(("int" if model.w_is_signed else "uint") + dtype[1:])
    base = dq.operand(0).name or "w"
    q = b.constant(w_int.astype(np_dtype), f"{base}_{'s' if model.w_is_signed else 'u'}", dtype)
    z = b.constant(zero.astype(np_dtype), f"{base}_zero_point", dtype)
    new_dq = b.create(nn.DequantizeOp, [q, dq.operand(1), z], [dq.result.type],
                      dict(dq.attributes), names=[f"{base}_dq"])
    return new_dq.result, z, w_int, zero


@dataclass(frozen=True)
class ActivationOperand:
    """How a layer's activation codes reach the multiplier: code = clip(round(x / scale) + zero)."""

    scale: float
    zero: int
    shift: int
    """Added to the network's codes (0 unless the zero point moves)."""
    note: str | None


def activation_operand(view: QuantParams, model: MultiplierModel, signs: str = "extract") -> ActivationOperand:
    """The activation codes a layer feeds `model`. Unsigned zero-point-0 activations into a signed
    design keep zero at 0 when `signs="extract"`: they pass as they are when they fit, else they
    are re-quantized to the design's non-negative codes over the same range (8-bit codes 0..255
    become 0..127; q * 127/255 is never a rounding tie, so every executor agrees). Otherwise a shift of 2^(bits-1) moves the
    zero point (lossless, but a zero activation then reaches the circuit as -2^(bits-1))."""
    x_hi = model.x_range[1]
    if signs == "extract" and model.x_is_signed and not view.x_signed and view.x_zero_point == 0:
        top = (1 << view.x_bits) - 1
        if top <= x_hi:
            return ActivationOperand(view.x_scale, 0, 0, None)
        note = (f"activations re-quantized to codes 0..{x_hi} over the same range (scale x{top}/{x_hi}) "
                "for the signed design: zero stays zero")
        scale = float(np.float32(view.x_scale * top / x_hi))  # float32 like every other scale
        return ActivationOperand(scale, 0, 0, note)
    shift = _shift_for(view.x_bits, view.x_signed, model.x_is_signed)
    zero = view.x_zero_point + shift
    note = None if not shift else (
        f"activations re-quantized to {'signed' if model.x_is_signed else 'unsigned'} "
        f"(zero point {view.x_zero_point} -> {zero}; values unchanged)")
    return ActivationOperand(view.x_scale, zero, shift, note)


def attach_multiplier(b: Builder, label: str, op: Op, model: MultiplierModel, lut: Value,
                      circuit: str | None = None, codes: CodeHistogram | None = None,
                      signs: str = "extract") -> tuple[Op, dict[str, Any]]:
    """Replace one quantized layer by `approx.mul`; returns the new op and its report entry.
    With `codes` (the layer's activation codes as the multiplier sees them, on calibration data)
    the multiplier's expected error is folded into the bias (`runtime.multipliers.compensation`)."""
    view = QuantParams.of(op)
    if view.weight_operand != 1 or (isinstance(op, nn.GemmOp) and op.attr("transA", 0)):
        raise InputError(f"{label}: only layers whose second operand is the weight are supported",
                         op.loc)
    if isinstance(op, nn.GemmOp) and (op.attr("alpha", 1.0) != 1.0 or op.attr("beta", 1.0) != 1.0):
        raise InputError(f"{label}: Gemm with alpha/beta != 1 is not supported", op.loc)
    notes: list[str] = []
    x_in = activation_operand(view, model, signs)
    w_shift = _shift_for(view.w_bits, view.w_signed, model.w_is_signed)
    w_value, zero_value, w_int, zero = _requantize_weight(b, op, view, w_shift, model)
    if w_shift:
        notes.append(f"weights re-quantized to {'signed' if model.w_is_signed else 'unsigned'} "
                     f"(shift {w_shift:+d}, zero point follows; values unchanged)")
    x_zero = x_in.zero
    x_lo, x_hi = (int(round(v / x_in.scale)) + x_zero for v in view.x_range)
    lo, hi = model.x_range
    x_lo, x_hi = max(x_lo, lo), min(x_hi, hi)
    if not lo <= x_zero <= hi or view.x_bits > model.x_bits:
        raise InputError(f"{label}: {view.x_bits}-bit activations do not fit the "
                         f"{model.x_bits}-bit activation operand of '{model.name}'", op.loc)
    if x_in.note:
        notes.append(x_in.note)
    w_scale = op.operand(1).owner.operand(1)
    operands = [op.operand(0), w_value, w_scale, zero_value, lut]
    if len(op.operands) > 2:
        operands.append(op.operand(2))
    new_view = replace(view, w_int=w_int.astype(np.int32), w_zero_point=zero.astype(np.int32),
                       w_signed=model.w_is_signed, x_signed=model.x_is_signed, x_zero_point=x_zero,
                       x_scale=x_in.scale)
    compensation = None
    if codes is not None:
        new_view, bias, compensation = _compensated_bias(b, label, op, model, view, new_view, codes)
        operands[5:] = [bias]
    if model.sign_extraction:
        notes.append("signed weights through the unsigned design by sign extraction "
                     "(|w| in, sign re-applied: zero stays zero)")
    metrics = model.metrics()
    attrs: dict[str, Any] = {k: op.attr(k) for k in _COPIED if op.attr(k) is not None}
    attrs.update({
        "origin": op.name, "layer": label,
        "error": {k: metrics[k] for k in ERROR_KEYS},
        "op": op.name.split(".")[1], "multiplier": model.name, "multiplier_origin": model.origin,
        "signed": model.signed, "x_bits": model.x_bits, "w_bits": model.w_bits,
        "mul_x_signed": model.x_is_signed, "mul_w_signed": model.w_is_signed,
        "sign_extraction": model.sign_extraction,
        "x_scale": float(x_in.scale), "x_zero_point": x_zero, "x_min": x_lo, "x_max": x_hi,
        "mul_x_min": model.x_range[0], "mul_w_min": model.w_range[0],
        "w_min": model.w_range[0], "w_max": model.w_range[1], QUANT_ATTR: new_view.to_attr(),
    })
    if circuit is not None:
        attrs["circuit"] = circuit
    if model.net is not None:
        attrs["circuit_net"] = model.net
    attrs.update({k: v for k, v in (("x_port", model.x_port), ("w_port", model.w_port)) if v is not None})
    new = b.create(approx.MulOp, operands, [op.result.type], attrs, loc=op.loc)
    old_weight = op.operand(1)
    old_bias = op.operand(2) if len(op.operands) > 2 else None
    b.replace(op, [new.result])
    b.erase_dead([old_weight, *([old_bias] if old_bias is not None and compensation else [])])
    entry: dict[str, Any] = {"op": new.attr("op"), "requantized": notes}
    if compensation:
        entry["bias_compensation"] = compensation
    return new, entry


def _channel_axis(op: Op, w_int: np.ndarray) -> int:
    """The output-channel axis of a layer's weight."""
    if isinstance(op, nn.ConvOp):
        return 0
    if isinstance(op, nn.GemmOp):
        return 0 if op.attr("transB", 0) else 1
    return w_int.ndim - 1


def _compensated_bias(b: Builder, label: str, op: Op, model: MultiplierModel, view: QuantParams,
                      new_view: QuantParams, codes: CodeHistogram
                      ) -> tuple[QuantParams, Value, dict[str, float]]:
    """The layer's bias minus the multiplier's expected error per output channel (int32 at the
    product scale S_x S_w): the new integer view, the new bias value, a report entry."""
    w_codes = np.asarray(new_view.w_int, np.int64)  # the weights as the multiplier sees them
    error = channel_error(model, codes.probabilities(), codes.lo, w_codes, _channel_axis(op, w_codes))
    channels = error.size
    scale = (new_view.x_scale * np.broadcast_to(np.asarray(view.w_scale, np.float64).reshape(-1), (channels,))
             ).astype(np.float32)
    old = (np.zeros(channels, np.int64) if view.bias_int is None
           else np.broadcast_to(np.asarray(view.bias_int, np.int64).reshape(-1), (channels,)))
    if new_view.x_scale != view.x_scale:  # the product scale moved with the activation codes
        old = np.rint(old * (view.x_scale / new_view.x_scale))
    b_int = (old - np.rint(error)).astype(np.int32)
    q = b.constant(b_int, f"{label}_bias_compensated_quantized")
    s = b.constant(scale, f"{label}_bias_compensated_scale")
    z = b.constant(np.zeros(channels, np.int32), f"{label}_bias_compensated_zero_point")
    bias = b.create(nn.DequantizeOp, [q, s, z], [TensorType((channels,), "f32")], {"axis": 0},
                    names=[f"{label}_bias_compensated"]).result
    report = {"mean_abs_error_removed": float(np.abs(error).mean()),
              "max_abs_error_removed": float(np.abs(error).max()),
              "mean_abs_error_removed_real": float(np.abs(error * scale).mean())}
    return replace(new_view, bias_int=b_int, bias_scale=scale), bias, report



def lut_constant(b: Builder, model: MultiplierModel) -> Value:
    """The multiplier's product table as an i32 constant named `lut_<multiplier>`."""
    name = f"lut_{model.name}".replace("{", "_").replace("}", "").replace("=", "").replace(",", "_")
    return b.constant(model.lut(), name, "i32")


@dataclass(frozen=True)
class MultiplierOptions(CellLibraryOptions):
    """Base of the passes that attach an approximate multiplier: which one, and where named
    circuits are found."""

    multiplier: str | None = None
    """Family spec (drum{k=6}), circuit file, or the name of a circuit in the search path
    (EvoApproxLib's mul8u_FTA); the global --multiplier fills it."""
    multiplier_path: tuple[str, ...] = ()
    """Folders searched (recursively) for named circuits, before $AXC_MULTIPLIER_PATH; the
    global --multiplier-path fills it."""
    signs: Literal["extract", "shift"] = "extract"
    """How operands of the other signedness reach the circuit: `extract` passes |w| through an
    unsigned design and re-applies the sign (as hardware does; a zero weight stays 0), and feeds
    unsigned activations to a signed design as 7-bit codes (a zero activation stays 0); `shift`
    adds or subtracts 2^(bits-1) and corrects with zero-point terms (a zero weight reaches an
    unsigned circuit as 128, a zero activation a signed one as -128)."""
    bias_compensation: bool = False
    """Fold the multiplier's mean error into each output channel's bias, for the activation
    codes the calibration data gives (`data`, its first `calib` samples)."""
    data: str | None = None
    """Calibration data for `bias_compensation` (the global --data fills it)."""
    calib: int | None = None
    """Calibration samples for `bias_compensation`: the first ones of `data` (default 500, as --calib)."""

    def prepare(self, ctx: PassContext) -> MultiplierOptions:
        """Resolve a circuit name to its file before the run starts (unknown names fail here)."""
        changes = {key: resolve_spec(value, self.multiplier_path)
                   for key in ("multiplier", "circuit") if (value := getattr(self, key, None))}
        return replace(self, **changes)


@dataclass(frozen=True)
class ApproxMulPass(MultiplierOptions):
    """Multiply the quantized conv/gemm/matmul layers through an approximate multiplier.

    The model is a circuit (`circuit=mul.v`, Verilog/BLIF/IR, LUT by exhaustive simulation,
    operand roles by `x_port`/`w_port`) or a family spec (`multiplier=drum{k=4}`, `trunc{l=2,m=2}`,
    `mitchell{k=4}`, `exact`, a file path, or an EvoApproxLib name such as `mul8u_FTA` found in
    the search path: `multiplier_path`, then $AXC_MULTIPLIER_PATH). Layers become `approx.mul`
    with zero-point handling as in Eqs. 9-10. A family takes the network's operands as they are
    (a zero activation or weight reaches it as 0); an unsigned circuit meets signed weights by
    sign extraction (`signs`), and unsigned activations meet a signed design at 7 bits (0..127) so
    that zero stays zero; with `signs=shift` an operand that does not fit the design's signedness
    is shifted losslessly instead. The log says which.
    """

    name: ClassVar[str] = "approx-mul"
    circuit: str | None = None
    """Circuit file (Verilog/BLIF/IR) or circuit name of the multiplier; takes precedence over
    `multiplier`."""
    layers: tuple[str, ...] = ()
    """Layers to approximate: node names or op types (conv, gemm, matmul); all if empty."""
    x_port: str | None = None
    """Circuit input port that takes the activation (default: the first input port)."""
    w_port: str | None = None
    """Circuit input port that takes the weight (default: the other input port)."""
    signed: bool | None = None
    """Multiplier signedness (default: from an EvoApproxLib name mulNs/mulNu, else signed)."""
    net: str | None = None
    """In a clocked circuit file (a MAC unit, say): the net that is the multiplier, as the source
    or a clocked pass named it (`bmf`/`prune` keep a multiplier's net name); default: its only
    `word.mul`."""

    def requires(self, module: Module) -> None:
        if module.top is None or module.top_graph.kind != "nn":
            raise InputError(f"{self.name} works on a network ('nn' graph)")
        if not quantized_layers(module.top_graph, self.layers):
            raise InputError("the network has no quantized conv/gemm/matmul layer; "
                             "run 'quantize' first (e.g. -p quantize,approx-mul{...})")

    def model(self, ctx: PassContext, module: Module) -> MultiplierModel:
        spec = self.circuit or self.multiplier
        if not spec:
            raise InputError("give circuit=FILE or multiplier=SPEC (or --multiplier)")
        layers = quantized_layers(module.top_graph, self.layers)
        view = QuantParams.of(layers[0][1])
        return resolve_multiplier(str(spec), None, max(8, view.x_bits), max(8, view.w_bits), self.signed,
                                  self.x_port, self.w_port, ctx, self.cost_library(),
                                  network=(view.x_signed, view.w_signed), signs=self.signs, net=self.net)

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        self.requires(module)
        model = self.model(ctx, module)
        return run_attach(ctx, module, model, self.layers, self.name, self)


def embed_circuit(module: Module, model: MultiplierModel, ctx: PassContext) -> str | None:
    """Add the multiplier's circuit as a graph of `module` (the cross-level link); its name."""
    if model.origin == "analytic" or not Path(model.origin).is_file():
        return None
    circuit = read_circuit(ctx, model.origin, model.net)[0].top_graph
    circuit.name = module.unique_name(f"multiplier_{model.name}")
    circuit.module = None
    module.add_graph(circuit)
    return circuit.name


def activation_codes(ctx: PassContext, module: Module, layers: list[tuple[str, Op]], model: MultiplierModel,
                     options: MultiplierOptions) -> dict[Value, CodeHistogram]:
    """Per layer input, the histogram of the activation codes that reach `model` on the first
    `calib` samples of `data` (run through ONNX Runtime)."""
    data, calib = options.data, options.calib
    if not data:
        raise InputError("bias_compensation needs calibration data: give --data (or data=...)")
    samples = dataset_for_module(str(data), module).x[: calib or DEFAULT_CALIB]
    ctx.saw_samples(len(samples))
    operands = {op.operand(0): activation_operand(QuantParams.of(op), model, options.signs) for _, op in layers}

    def histogram(value: Value) -> CodeHistogram:
        return CodeHistogram(operands[value].scale, operands[value].zero, *model.x_range)

    return observe_values(module, list(operands), samples, make_observer=histogram,
                          progress=lambda it, d, n: ctx.progress(it, "bias compensation: " + d, n))


def run_attach(ctx: PassContext, module: Module, model: MultiplierModel, layers: tuple[str, ...],
               pass_name: str, options: MultiplierOptions) -> PassResult:
    library = options.cost_library()
    graph = module.top_graph
    targets = quantized_layers(graph, layers)
    codes = (activation_codes(ctx, module, targets, model, options)
             if options.bias_compensation else {})
    builder = Builder(graph)
    lut = lut_constant(builder, model)
    circuit = embed_circuit(module, model, ctx)
    entries: dict[str, Any] = {}
    for label, op in ctx.progress(targets, f"{pass_name}: attaching {model.name}", len(targets)):
        _, entries[label] = attach_multiplier(builder, label, op, model, lut, circuit, codes.get(op.operand(0)),
                                              options.signs)
        for note in entries[label]["requantized"]:
            ctx.log(f"{pass_name}: {label}: {note}")
    compensated = [e["bias_compensation"] for e in entries.values() if "bias_compensation" in e]
    if compensated:
        ctx.log(f"{pass_name}: bias compensation on {len(compensated)} layers: expected product error removed, "
                f"mean {np.mean([c['mean_abs_error_removed'] for c in compensated]):.1f} "
                f"(product units) per output channel")
    described = model.describe()
    ctx.report.setdefault(pass_name, {}).update({"multiplier": described, "layers": entries})
    if model.cost:
        exact = exact_multiplier_cost(model.x_bits, model.w_bits, model.signed, library)
        saving = {k: 100.0 * (1 - model.cost[k] / exact[k]) for k in ("area", "power")
                  if k in model.cost and exact.get(k)}
        ctx.report[pass_name]["exact_multiplier_cost"] = exact
        ctx.report[pass_name]["saving%"] = saving
        ctx.log(f"{pass_name}: {model.name}: area {model.cost.get('area', 0):.1f} um2, power "
                f"{model.cost.get('power', 0):.1f} uW; saving vs an exact multiplier: "
                + ", ".join(f"{k} {v:.1f} %" for k, v in saving.items()))
    m = model.metrics()
    ctx.log(f"{pass_name}: {len(targets)} layers multiply through {model.name} "
            f"(MAE {m['mae']:.3g}, WCE {m['wce']}, EP {m['ep%']:.2f} %)")
    return PassResult(True, {"layers": len(targets), "multiplier": model.name},
                      errors={k: m[k] for k in ERROR_KEYS})
