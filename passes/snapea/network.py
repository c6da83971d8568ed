"""Where SnaPEA applies in a network, and the network instrumented to measure it.

A candidate layer is a 2-D convolution (group 1) whose output reaches a ReLU through nothing but
per-channel affine ops (`nn.mul`/`nn.add` by constants: bias adds and folded BatchNorm), and whose
input is provably non-negative. `find_layers` folds that chain into effective weights and bias
(the analysis only: the graph keeps its ops) and lists every other conv with the reason it was
left alone. Non-negativity is propagated from the graph inputs (non-negative when the data says
so) through ReLU, pooling, shape ops, concatenation, QDQ pairs and non-negative constants.

`instrument(module, layers)` clones the module and makes every layer's speculative check a
runtime input: each layer gets inputs `<layer>.spec_w` (the masked effective kernel) and
`<layer>.th` (per-channel thresholds) and its ReLU output becomes
`relu * Cast(conv(x, spec_w, bias) > th)` (zero where the speculative partial sum is <= Th; ops
that exist from opset 7, so old models need no upgrade); every layer input is also exposed as a
graph output. One ONNX Runtime session then measures any (Th, N) configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from axc.ir import Graph, Module, Op, TensorType, Value
from axc.ir.dialects import approx, nn
from axc.ir.dialects.quant import QuantParams
from axc.ir.network import constant_of, layer_name
from axc.ir.rewrite import Builder
from axc.runtime.lowering.early_relu import speculative_mask

from ..infra.base import PassContext
from ..network.approx_mul import model_of_op

__all__ = ["ConvLayer", "find_layers", "instrument"]

_PASS_SIGN = (nn.MaxPoolOp, nn.AvgPoolOp, nn.GlobalAvgPoolOp, nn.ReshapeOp, nn.FlattenOp,
              nn.TransposeOp, nn.ReluOp)


@dataclass
class IntegerProducts:
    """How an approximate-multiplier layer accumulates: per MAC `table[xq - x_min, wq - w_min]`
    (f(xq, wq) with the zero-point terms of Eq. 9 folded in), on activation integers
    xq = clip(round(x / x_scale) + x_zero, x_lo, x_hi) and weight integers `w_int`; `bias` is the
    initial partial sum in the same integer unit (bias and folded affine ops included)."""

    table: np.ndarray
    x_min: int
    w_min: int
    w_bits: int
    x_scale: float
    x_zero: int
    x_lo: int
    x_hi: int
    w_int: np.ndarray
    bias: np.ndarray

    def quantize(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.round(x / self.x_scale) + self.x_zero, self.x_lo, self.x_hi).astype(np.int64)

    def products(self) -> tuple[np.ndarray, int, int, int]:
        """The `products` argument of `simulate_layer`."""
        return self.table.ravel().astype(np.int64), self.w_bits, -self.x_min, -self.w_min


@dataclass
class ConvLayer:
    """One SnaPEA-eligible conv: its ops, geometry and effective (folded) weights and bias."""

    name: str
    conv: Op
    relu: Op
    x: Value
    weight: np.ndarray
    bias: np.ndarray
    strides: tuple[int, int]
    pads: tuple[int, int, int, int]
    dilations: tuple[int, int]
    integer: IntegerProducts | None = None
    """For an approximate-multiplier layer: the integer products the hardware accumulates."""

    @property
    def predictive_ok(self) -> bool:
        """Predictive mode needs float products (not supported on approximate multipliers)."""
        return self.integer is None

    @property
    def kernels(self) -> int:
        return int(self.weight.shape[0])

    @property
    def depth(self) -> int:
        return int(np.prod(self.weight.shape[1:]))


def _per_channel(arr: np.ndarray, k: int) -> np.ndarray | None:
    """A constant that broadcasts per output channel over [N, K, H, W], as [K]; else None."""
    a = np.asarray(arr, dtype=np.float64)
    if a.size == 1:
        return np.full(k, float(a.ravel()[0]))
    squeezed = a.reshape(-1)
    if a.ndim >= 3 and a.shape[-1] == 1 and a.shape[-2] == 1 and squeezed.size == k:
        return squeezed
    if a.ndim == 1 and a.size == k and k == 1:
        return squeezed
    return None


def _nonnegative_values(graph: Graph, input_nonneg: dict[str, bool]) -> set[Value]:
    known: set[Value] = {v for v in graph.inputs if input_nonneg.get(v.name or "", False)}
    for op in graph.topo_order():
        if isinstance(op, nn.ConstantOp):
            if np.all(np.asarray(op.attr("value").array) >= 0):
                known.add(op.result)
            continue
        ins = op.operands
        if isinstance(op, nn.ReluOp):
            known.add(op.result)
        elif isinstance(op, _PASS_SIGN) and ins and ins[0] in known or isinstance(op, nn.ConcatOp | nn.AddOp | nn.MulOp) and all(v in known for v in ins) or isinstance(op, nn.QuantizeOp | nn.DequantizeOp | nn.ClipOp | nn.PadOp) and ins and ins[0] in known:
            known.update(op.results)
    return known


def _geometry(conv: Op, x_type: TensorType, w: np.ndarray) -> tuple | str:
    if w.ndim != 4:
        return "not a 2-D convolution"
    if int(conv.attr("group", 1)) != 1:
        return "grouped convolution"
    kh, kw = w.shape[2:]
    strides = tuple(conv.attr("strides", (1, 1)))
    dil = tuple(conv.attr("dilations", (1, 1)))
    auto = conv.attr("auto_pad", "NOTSET")
    if isinstance(auto, bytes):
        auto = auto.decode()
    if auto in ("NOTSET", "", None):
        p = tuple(conv.attr("pads", (0, 0, 0, 0)))
        pads = (p[0], p[1], p[2], p[3])
    elif auto == "VALID":
        pads = (0, 0, 0, 0)
    else:
        h, wd = x_type.shape[2], x_type.shape[3]
        if not isinstance(h, int) or not isinstance(wd, int):
            return "auto padding on a symbolic spatial size"
        total = []
        for size, k, s, d in ((h, kh, strides[0], dil[0]), (wd, kw, strides[1], dil[1])):
            out = -(-size // s)
            total.append(max(0, (out - 1) * s + (k - 1) * d + 1 - size))
        lo = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        pads = (lo[0], lo[1], total[0] - lo[0], total[1] - lo[1])
    return strides, pads, dil


def find_layers(module: Module, input_nonneg: dict[str, bool], ctx: PassContext
                ) -> tuple[list[ConvLayer], list[dict]]:
    """SnaPEA-eligible layers of the top graph, and every other conv with the reason."""
    graph = module.top_graph
    nonneg = _nonnegative_values(graph, input_nonneg)
    layers: list[ConvLayer] = []
    skipped: list[dict] = []
    for conv in graph.topo_order():
        is_approx = isinstance(conv, approx.MulOp | approx.HtpOp) and conv.attr("op") == "conv"
        if not isinstance(conv, nn.ConvOp) and not is_approx:
            continue
        name = layer_name(conv)
        w = constant_of(conv.operand(1))
        if w is None:
            skipped.append({"layer": name, "reason": "weights are not constant"})
            continue
        k = w.shape[0]
        bias_index = (5 if isinstance(conv, approx.MulOp) else 4) if is_approx else 2
        bias = np.zeros(k) if len(conv.operands) <= bias_index else constant_of(conv.operand(bias_index))
        if bias is None:
            skipped.append({"layer": name, "reason": "bias is not constant"})
            continue
        scale, shift = np.ones(k), np.asarray(bias, dtype=np.float64).reshape(-1).copy()
        v, relu, reason = conv.result, None, ""
        while True:
            users = v.users()
            if len(users) != 1 or len(v.uses) != 1:
                reason = "conv output is read by more than one op before a ReLU"
                break
            user = users[0]
            if isinstance(user, nn.ReluOp):
                relu = user
                break
            if isinstance(user, nn.MulOp | nn.AddOp):
                other = user.operand(1 - user.operands.index(v))
                c = constant_of(other)
                pc = None if c is None else _per_channel(c, k)
                if c is None:
                    reason = f"'{user.name}' of a non-constant tensor (a residual connection) before the ReLU"
                    break
                if pc is None:
                    reason = f"'{user.name}' before the ReLU is not a per-channel constant"
                    break
                if isinstance(user, nn.MulOp):
                    scale, shift = scale * pc, shift * pc
                else:
                    shift = shift + pc
                v = user.result
                continue
            reason = f"conv output goes through '{user.name}' instead of a ReLU"
            break
        if relu is None:
            skipped.append({"layer": name, "reason": reason})
            continue
        x = conv.operand(0)
        if x not in nonneg:
            skipped.append({"layer": name, "reason": "input is not provably non-negative"})
            continue
        geom = _geometry(conv, x.type, w)
        if isinstance(geom, str):
            skipped.append({"layer": name, "reason": geom})
            continue
        eff_w = (w.astype(np.float64) * scale.reshape(-1, 1, 1, 1)).astype(np.float32)
        integer = None
        if is_approx:
            integer = _integer_products(conv, scale, shift, ctx)
            if isinstance(integer, str):
                skipped.append({"layer": name, "reason": integer})
                continue
        layers.append(ConvLayer(name, conv, relu, x, eff_w, shift.astype(np.float32), *geom, integer=integer))
    return layers, skipped


def _multiplier_table(op: Op, ctx: PassContext) -> np.ndarray:
    return model_of_op(op, ctx).lut()


def _integer_products(op: Op, scale: np.ndarray, shift: np.ndarray, ctx: PassContext
                      ) -> IntegerProducts | str:
    """The integer view of an approximate conv, or why SnaPEA cannot use it losslessly."""
    view = QuantParams.of(op)
    if view is None:
        return "approximate layer without an integer view"
    if np.any(scale <= 0):
        return "a non-positive per-channel scale between the conv and the ReLU"
    zw_all = view.w_zero_point.ravel()
    if np.any(zw_all != zw_all[0]):
        return "per-channel weight zero points differ (products cannot be ordered by sign)"
    zw, zx = int(zw_all[0]), int(op.attr("x_zero_point"))
    x_min, w_min, w_bits = int(op.attr("mul_x_min")), int(op.attr("mul_w_min")), int(op.attr("w_bits"))
    lut = _multiplier_table(op, ctx).astype(np.int64)
    xs = np.arange(x_min, x_min + lut.shape[0]).reshape(-1, 1)
    ws = np.arange(w_min, w_min + lut.shape[1]).reshape(1, -1)
    table = lut - zw * xs - zx * ws + zx * zw
    x_lo, x_hi = int(op.attr("x_min")), int(op.attr("x_max"))
    tail = table[(xs.ravel() >= max(zx, x_lo)) & (xs.ravel() <= x_hi)][:, ws.ravel() <= zw]
    if tail.size and tail.max() > 0:
        return (f"multiplier '{op.attr('multiplier')}' gives positive products for x >= 0 and w <= 0 "
                f"(up to {int(tail.max())}): exact early termination would change outputs")
    w_scale = np.broadcast_to(np.asarray(view.w_scale, dtype=np.float64).ravel(), scale.shape)
    unit = scale * float(op.attr("x_scale")) * w_scale
    return IntegerProducts(table, x_min, w_min, w_bits, float(op.attr("x_scale")), zx, x_lo, x_hi,
                           np.asarray(view.w_int, dtype=np.int64), shift / unit)


def instrument(module: Module, layers: list[ConvLayer]) -> tuple[Module, list[str]]:
    """A clone whose layers take (spec_w, th) as inputs and expose their inputs as outputs.

    Returns the clone and, per layer, the name of the exposed input output.
    """
    clone = module.clone()
    g = clone.top_graph
    by_name = {layer_name(op): op for op in g.ops if isinstance(op, nn.ConvOp | approx.MulOp | approx.HtpOp)}
    exposed = []
    builder = Builder(g)
    for i, layer in enumerate(layers):
        conv = by_name[layer.name]
        x = conv.operand(0)
        name = f"snapea{i}.x"
        exposed.append(name)
        g.add_output(name, x)
        if not layer.predictive_ok:
            continue
        relu = next(op for op in g.ops if isinstance(op, nn.ReluOp) and _reaches(conv, op))
        out_t = conv.result.type
        spec_w = g.add_input(f"snapea{i}.spec_w", TensorType(layer.weight.shape, "f32"))
        th = g.add_input(f"snapea{i}.th", TensorType((1, layer.kernels, 1, 1), "f32"))
        bias = builder.constant(layer.bias.astype(np.float32), None)
        attrs = {"strides": layer.strides, "pads": layer.pads, "dilations": layer.dilations}
        spec = builder.create(nn.ConvOp, [x, spec_w, bias], [out_t], attrs)
        users = list(relu.result.uses)
        masked = speculative_mask(g, relu.result, spec.result, th)
        for use in users:
            use.op.set_operand(use.index, masked)
    return clone, exposed


def _reaches(conv: Op, relu: Op) -> bool:
    v = conv.result
    while True:
        users = v.users()
        if not users:
            return False
        if users[0] is relu:
            return True
        if len(users) != 1 or not users[0].results:
            return False
        v = users[0].result
