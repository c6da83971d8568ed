"""An `nn` graph as a trainable `torch.nn.Module`: the torch executor (the `.pt` emitter saves it).

`to_torch(module)` builds an `IRNet`: the graph's ops as a straight-line program over the
kernels of `axc.runtime.torch_ops` (ONNX semantics, so outputs match ONNX Runtime), with

- float weights and biases (constants read by conv/gemm/matmul/add/sub/mul/batchnorm) as
  `nn.Parameter`s, every other constant as a buffer;
- quantized weights (an integer constant read by `nn.dequantize`) as float parameters holding
  the dequantized values, fake-quantized on every forward with the layer's fixed scales, zero
  points and bit range (per channel or per tensor; straight-through gradient);
- int32 biases (a dequantized int32 constant) as float parameters;
- activation QuantizeLinear -> (Clip) -> DequantizeLinear chains as fixed-scale fake quantizers.

`torch.save(net)` / `torch.load(path, weights_only=False)` give back a working module (the class
lives here, the program is plain data), `net.state_dict()` / `load_state_dict()` work as usual.
`update_module_weights(module, net)` writes trained weights back into the IR, re-quantizing
quantized ones with their fixed scales and refreshing the `quant` integer view.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from axc.ir import DenseArray, FrozenDict, Graph, InputError, Module, NameLoc, Op, TensorType, Value
from axc.ir.dialects import nn as nnd
from axc.ir.dialects.quant import QuantParams
from torch import nn

from .lowering import lowering_of
from .quant import IntRange, dequantize, quantize
from .torch_approx import approx_module
from .torch_ops import INT_RANGES, KERNELS, OPAQUE_KERNELS, fake_quantize, fake_quantize_activation

__all__ = ["IRNet", "register_torch_op", "to_torch", "update_module_weights"]

_SHAPE_OPS = (nnd.ReshapeOp, nnd.TransposeOp, nnd.FlattenOp)
_TRAINABLE_READERS: dict[type[Op], tuple[int, ...]] = {
    nnd.ConvOp: (1, 2), nnd.GemmOp: (0, 1, 2), nnd.MatMulOp: (0, 1), nnd.AddOp: (0, 1),
    nnd.SubOp: (0, 1), nnd.MulOp: (0, 1), nnd.BatchNormOp: (1, 2),
}


def _fq_weight(args: list[torch.Tensor], attrs: dict[str, Any]) -> torch.Tensor:
    w, scale, zero = args
    return fake_quantize(w, scale, zero, attrs["qmin"], attrs["qmax"], attrs["axis"])


_LOCAL_KERNELS = {
    "fq_weight": _fq_weight,
    "fq_act": lambda args, attrs: fake_quantize_activation(args[0], args[1], attrs["lo"], attrs["hi"]),
}

_OP_MODULES: dict[str, Callable[[Op], nn.Module]] = {
    "approx.mul": approx_module,
    "approx.htp": approx_module,
}


def register_torch_op(op_name: str, factory: Callable[[Op], nn.Module]) -> None:
    """Let `to_torch` run ops named `op_name` (e.g. "approx.mul") through `factory(op)`.

    The factory returns an `nn.Module` built from the op (its attributes, constant operands);
    its `forward` takes the op's operands as tensors and returns the op's single result. The
    module becomes a submodule of the `IRNet`, so its parameters train and save with it.
    """
    _OP_MODULES[op_name] = factory


class IRNet(nn.Module):
    """An IR `nn` graph executed by torch: `forward(*inputs)` in graph input order.

    Returns one tensor for a single-output graph, else a tuple. `input_names`/`output_names`
    are the graph's; `ir_links` maps parameter names to the IR constants they came from.
    """

    def __init__(self) -> None:
        super().__init__()
        self.input_names: list[str] = []
        self.output_names: list[str] = []
        self.n_values = 0
        self.input_ids: list[int] = []
        self.output_ids: list[int] = []
        self.sources: list[tuple[int, str]] = []
        self.steps: list[tuple[str, tuple[int, ...], int, dict[str, Any]]] = []
        self.ir_links: dict[str, dict[str, Any]] = {}

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        if len(inputs) != len(self.input_ids):
            raise ValueError(f"expected {len(self.input_ids)} inputs ({', '.join(self.input_names)}), got {len(inputs)}")
        env: list[Any] = [None] * self.n_values
        for vid, x in zip(self.input_ids, inputs):
            env[vid] = x
        for vid, attr in self.sources:
            env[vid] = getattr(self, attr)
        for kind, ins, out, attrs in self.steps:
            if kind == "module":
                env[out] = getattr(self, attrs["name"])(*[env[i] for i in ins])
                continue
            kernel = KERNELS.get(kind) or _LOCAL_KERNELS.get(kind) or OPAQUE_KERNELS[kind[5:]]
            env[out] = kernel([env[i] for i in ins], attrs)
        outs = [env[i] for i in self.output_ids]
        return outs[0] if len(outs) == 1 else tuple(outs)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return None


def _kernel_name(op: Op) -> str | None:
    if op.name in KERNELS:
        return op.name
    if isinstance(op, nnd.OpaqueOp) and op.attr("domain", "") in ("", "ai.onnx") and op.attr("op_type") in OPAQUE_KERNELS \
            and not op.attr("_empty_inputs") and not op.attr("_captures"):
        return "onnx." + op.attr("op_type")
    return None


def _step_attrs(op: Op, legacy_softmax: bool) -> dict[str, Any]:
    attrs = {k: _plain(v) for k, v in op.attributes.items() if k != "quant" and _plain(v) is not None}
    for k, v in op.attributes.items():
        if isinstance(v, DenseArray) and v.size <= 16:
            attrs[k] = v.array.reshape(-1).tolist()
    if isinstance(op, nnd.QuantizeOp):
        attrs["_dtype"] = _quantized_dtype(op)
    if isinstance(op, nnd.SoftmaxOp) and legacy_softmax:
        attrs["legacy_axis_semantics"] = True
    if isinstance(op, nnd.ReshapeOp):
        src, dst = op.operand(0).type, op.result.type
        if src.rank and dst.rank and src.shape[0] == dst.shape[0]:
            attrs["_keep_batch"] = True
    return attrs


def _quantized_dtype(op: Op) -> str:
    """The integer type a QuantizeLinear produces: its result type, else its zero point's, else u8."""
    for t in (op.result.type, op.operand(2).type if len(op.operands) > 2 else None):
        if isinstance(t, TensorType) and t.dtype in INT_RANGES:
            return t.dtype
    return "u8"


def _const_array(op: Op) -> np.ndarray:
    return np.asarray(op.attr("value").array)


def _is_const(v: Value) -> bool:
    return isinstance(v.owner, nnd.ConstantOp)


def _quantized_weight_range(dq: Op, q_dtype: str) -> tuple[int, int]:
    """The integer range of a dequantized weight: from a consumer's `quant` view, else its type."""
    for user in dq.result.users():
        view = QuantParams.of(user)
        if view is not None:
            bits, signed = view.w_bits, view.w_signed
            return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return INT_RANGES[q_dtype]


class _Builder:
    def __init__(self, graph: Graph, legacy_softmax: bool) -> None:
        self.graph = graph
        self.legacy_softmax = legacy_softmax
        self.net = IRNet()
        self.ids: dict[Value, int] = {}
        self.used_names: set[str] = set()
        self.count = 0
        self.fused: dict[Op, tuple[str, tuple[int, ...], int, dict[str, Any]]] = {}

    def vid(self, v: Value) -> int:
        if v not in self.ids:
            self.ids[v] = self.fresh()
        return self.ids[v]

    def fresh(self) -> int:
        self.count += 1
        return self.count - 1

    def attr_name(self, base: str | None, prefix: str) -> str:
        name = prefix + re.sub(r"\W", "_", base or "v")
        candidate, i = name, 1
        while candidate in self.used_names or hasattr(nn.Module, candidate):
            candidate, i = f"{name}_{i}", i + 1
        self.used_names.add(candidate)
        return candidate

    def add_tensor(self, v: Value, array: np.ndarray, trainable: bool, link: dict[str, Any] | None) -> None:
        t = torch.from_numpy(np.array(array, copy=True))
        name = self.attr_name(v.name, "p_" if trainable else "c_")
        if trainable:
            self.net.register_parameter(name, nn.Parameter(t.float()))
        else:
            self.net.register_buffer(name, t)
        self.net.sources.append((self.vid(v), name))
        if link is not None:
            self.net.ir_links[name] = link

    def trainable(self, v: Value) -> bool:
        """A float constant read (maybe through reshape/transpose/flatten) as a weight or bias."""
        if not isinstance(v.type, TensorType) or v.type.dtype not in ("f32", "f64", "f16"):
            return False
        for use in v.uses:
            if isinstance(use.op, _SHAPE_OPS) and use.index == 0:
                if self.trainable(use.op.result):
                    return True
                continue
            slots = _TRAINABLE_READERS.get(type(use.op), ())
            if use.index in slots and not all(_is_const(o) for o in use.op.operands):
                return True
        return False

    def weight_dequantize(self, op: Op) -> bool:
        """Turn `dequantize(const int)` into a trainable fake-quantized parameter; False if not one."""
        q = op.operand(0)
        if not _is_const(q) or len(q.users()) != 1 or not all(_is_const(o) for o in op.operands[1:]):
            return False
        dtype = q.type.dtype
        scale = _const_array(op.operand(1).owner)
        zero = _const_array(op.operand(2).owner) if len(op.operands) > 2 else np.zeros((), np.int64)
        axis = int(op.attr("axis", 1)) if scale.ndim else None

        real = dequantize(_const_array(q.owner), scale, zero, axis)
        if dtype == "i32":
            self.add_tensor(op.result, real, True, {"kind": "qbias", "value": q.name})
            return True
        qmin, qmax = _quantized_weight_range(op, dtype)
        weight = self.attr_name(q.name, "p_")
        scale_name = self.attr_name(f"{q.name}_scale", "c_")
        zero_name = self.attr_name(f"{q.name}_zero", "c_")
        self.net.register_parameter(weight, nn.Parameter(torch.from_numpy(real)))
        self.net.register_buffer(scale_name, torch.from_numpy(np.array(scale, np.float32)))
        self.net.register_buffer(zero_name, torch.from_numpy(np.array(zero, np.float32)))
        self.net.ir_links[weight] = {"kind": "qweight", "value": q.name}
        w_id, s_id, z_id = self.fresh(), self.fresh(), self.fresh()
        self.net.sources += [(w_id, weight), (s_id, scale_name), (z_id, zero_name)]
        self.net.steps.append(("fq_weight", (w_id, s_id, z_id), self.vid(op.result),
                               {"qmin": qmin, "qmax": qmax, "axis": axis}))
        return True

    def activation_fake_quant(self, dq: Op) -> tuple[Op, ...]:
        """Fuse a per-tensor `quantize -> [clip] -> dequantize` chain into one step (emitted in
        place of `dq`); returns the fused ops."""
        chain = [dq]
        src = dq.operand(0).owner
        lo_hi: list[float] = []
        if isinstance(src, nnd.ClipOp) and len(src.operands) == 3 and all(_is_const(v) for v in src.operands[1:]):
            lo_hi = [float(_const_array(v.owner)) for v in src.operands[1:]]
            chain.append(src)
            src = src.operand(0).owner
        if not isinstance(src, nnd.QuantizeOp) or len(src.operands) != len(dq.operands):
            return ()
        chain.append(src)
        if any(len(op.result.users()) != 1 for op in chain[1:]):
            return ()
        params = []
        for a, b in zip(src.operands[1:], dq.operands[1:]):
            if not (_is_const(a) and _is_const(b)):
                return ()
            arr_a, arr_b = _const_array(a.owner), _const_array(b.owner)
            if arr_a.size != 1 or not np.array_equal(arr_a, arr_b):
                return ()
            params.append(arr_a.reshape(()))
        zero = int(params[1]) if len(params) > 1 else 0
        qmin, qmax = INT_RANGES[_quantized_dtype(src)]
        if lo_hi:
            qmin, qmax = max(qmin, lo_hi[0]), min(qmax, lo_hi[1])
        self.fused[dq] = ("fq_act", (self.vid(src.operand(0)), self.vid(dq.operand(1))), self.vid(dq.result),
                          {"lo": float(qmin - zero), "hi": float(qmax - zero)})
        return tuple(chain)

    def build(self) -> IRNet:
        g, net = self.graph, self.net
        net.input_names = [v.name or f"input{i}" for i, v in enumerate(g.inputs)]
        net.output_names = list(g.output_names)
        net.input_ids = [self.vid(v) for v in g.inputs]
        skip: set[Op] = set()
        order = g.topo_order()
        for op in order:
            if isinstance(op, nnd.DequantizeOp) and self.weight_dequantize(op):
                skip.update((op, op.operand(0).owner))
            elif isinstance(op, nnd.DequantizeOp):
                skip.update(self.activation_fake_quant(op))
        for op in order:
            if op in self.fused:
                net.steps.append(self.fused[op])
            if op in skip:
                continue
            if isinstance(op, nnd.ConstantOp):
                v = op.result
                trainable = self.trainable(v)
                self.add_tensor(v, _const_array(op), trainable,
                                {"kind": "float", "value": v.name} if trainable else None)
                continue
            if op.name in _OP_MODULES:
                sub = self.attr_name(op.results[0].name if op.results else None, "m_")
                net.add_module(sub, _OP_MODULES[op.name](op))
                net.steps.append(("module", tuple(self.vid(v) for v in op.operands), self.vid(op.results[0]), {"name": sub}))
                continue
            kind = _kernel_name(op)
            what = op.attr("op_type", op.name) if isinstance(op, nnd.OpaqueOp) else op.name
            where = op.loc or NameLoc(op.results[0].name or op.name if op.results else op.name)
            if kind is None:
                raise InputError(f"the torch backend does not support '{what}'", where)
            if len(op.results) != 1 and any(r.has_uses for r in op.results[1:]):
                raise InputError(f"'{what}' with {len(op.results)} results is not supported by the torch backend", where)
            net.steps.append((kind, tuple(self.vid(v) for v in op.operands), self.vid(op.results[0]),
                              _step_attrs(op, self.legacy_softmax)))
        net.output_ids = [self.vid(v) for v in g.outputs]
        net.n_values = self.count
        return net


def _legacy_softmax(module: Module) -> bool:
    """Whether Softmax has its pre-13 meaning (2-D coercion at `axis`) in this module."""
    facts = module.attributes.get("onnx")
    imports = facts.get("opset_import") if isinstance(facts, FrozenDict) else None
    opset = imports.get("", imports.get("ai.onnx")) if isinstance(imports, FrozenDict) else None
    return isinstance(opset, int) and opset < 13


def to_torch(module: Module, graph: str | None = None) -> IRNet:
    """The `nn` graph `graph` (default: the top graph) of `module` as an `IRNet`."""
    g = module.lookup(graph) if graph is not None else module.top_graph
    if g.kind != "nn":
        raise InputError(f"graph @{g.name} is a '{g.kind}' graph; the torch backend needs an 'nn' graph", g.loc)
    unregistered = [op for op in g.ops if op.name.startswith("approx.") and op.name not in _OP_MODULES]
    if unregistered:
        module = module.clone()
        g = module.lookup(graph) if graph is not None else module.top_graph
        for op in g.topo_order():
            if op.name.startswith("approx.") and op.name not in _OP_MODULES:
                lower = lowering_of(op.name)
                if lower is None:
                    raise InputError(f"no torch execution or lowering for '{op.name}' ops", op.loc)
                lower(g, op)
    return _Builder(g, _legacy_softmax(module)).build()


def _constants_by_name(g: Graph) -> dict[str, Op]:
    found: dict[str, Op] = {}
    for op in g.ops_of(nnd.ConstantOp):
        name = op.result.name
        if name is not None:
            if name in found:
                raise InputError(f"constant name '{name}' is not unique; cannot map weights back", op.loc)
            found[name] = op
    return found


def _refresh_view(dq: Op, key: str, array: np.ndarray) -> None:
    for user in dq.result.users():
        view = QuantParams.of(user)
        if view is not None:
            old = getattr(view, key)
            typed = array.astype(old.dtype) if isinstance(old, np.ndarray) else array
            replace(view, **{key: typed}).store(user)


def update_module_weights(module: Module, net: IRNet, graph: str | None = None) -> int:
    """Write `net`'s parameters back into the IR constants they came from; returns how many.

    Float weights replace their constants (same dtype). Quantized weights are re-quantized with
    the layer's fixed scales, zero points and bit range, int32 biases at their product scale;
    the `quant` views (`w_int`, `bias_int`) of the ops that read them follow.
    """
    g = module.lookup(graph) if graph is not None else module.top_graph
    consts = _constants_by_name(g)
    params = dict(net.named_parameters())
    updated = 0
    for pname, link in net.ir_links.items():
        op = consts.get(link["value"])
        if op is None:
            raise InputError(f"parameter {pname} comes from constant '{link['value']}', which the module no longer has")
        new = params[pname].detach().cpu().numpy().astype(np.float32)
        old = _const_array(op)
        if new.shape != old.shape:
            raise InputError(f"parameter {pname} has shape {new.shape}, constant '{link['value']}' {old.shape}")
        if link["kind"] == "float":
            op.set_attr("value", DenseArray(new.astype(old.dtype)))
        else:
            dq = op.result.users()[0]
            scale = _const_array(dq.operand(1).owner)
            zero = _const_array(dq.operand(2).owner) if len(dq.operands) > 2 else np.zeros((), np.int64)
            axis = int(dq.attr("axis", 1)) if scale.ndim else None
            if link["kind"] == "qbias":
                limit = np.iinfo(np.int32)
                s = scale.reshape(new.shape) if scale.ndim else scale
                q = np.clip(np.rint(new.astype(np.float64) / s), limit.min, limit.max).astype(np.int32)
                key = "bias_int"
            else:
                qmin, qmax = _quantized_weight_range(dq, op.result.type.dtype)
                bits = int(qmax - qmin).bit_length()
                q = quantize(new, scale, zero, IntRange(bits, qmin < 0), axis).astype(old.dtype)
                key = "w_int"
            op.set_attr("value", DenseArray(q))
            _refresh_view(dq, key, q)
        updated += 1
    return updated
