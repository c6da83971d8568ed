"""The network on the accelerator models: the simulation report `--emit sim` writes.

Runs the network on `--data` (the samples after the `--calib` slice, at most `sim_samples`),
records every conv layer's real input activations, replays each SnaPEA layer's MAC order window
by window (dense for layers without `approx.early_relu`, and for fully connected layers, which
run as 1x1 convolutions whose windows are the samples, one per lane), and feeds those per-window
MAC counts to the cycle-level SnaPEA model and to the Eyeriss-like baseline. See
`axc.backends.accel_sim` for the report's fields and the options; `snapea` reports the
early-termination speedup from here too.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from axc.ir import InputError, Module, Op
from axc.ir.dialects import approx, nn
from axc.ir.network import constant_of, layer_name

from ..lowering import lower_approx
from ..nn_data import DEFAULT_CALIB
from ..nn_eval import dataset_for_module
from ..onnx_run import OnnxRunner
from ..snapea.order import plan_from_op
from ..snapea.windows import im2col, simulate_layer
from .energy import EnergyTable
from .eyeriss import EyerissConfig, simulate_eyeriss
from .snapea_array import SnapeaConfig, simulate_snapea
from .workload import LayerResult, LayerWork

__all__ = ["build_workload", "simulate_network"]


def _int(options: dict[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"sim option {key}={value!r} is not an integer") from None


def _samples(module: Module, options: dict[str, Any]) -> np.ndarray:
    path = options.get("data")
    if not path:
        raise InputError("the accelerator simulation runs the network on real data: give --data")

    data = dataset_for_module(str(path), module)
    calib = options.get("calib")
    start = DEFAULT_CALIB if calib is None else int(calib)
    start = start if start < len(data) else 0
    return data.x[start : start + _int(options, "sim_samples", 256)]


def build_workload(module: Module, x: np.ndarray) -> tuple[list[LayerWork], list[str]]:
    """Per conv/gemm/matmul layer its work on samples `x` (real per-window MACs for SnaPEA layers)."""

    clone = module.clone()
    graph = clone.top_graph
    early = {op.operand(1): op for op in graph.ops if isinstance(op, approx.EarlyReluOp)}
    layers: list[tuple[str, dict[str, Any], Op | None, str | None]] = []
    for op in graph.topo_order():
        kind = _layer_kind(op)
        if kind is None:
            continue
        name = layer_name(op)
        snapea_op = early.get(op.operand(0)) if kind == "conv" else None
        if snapea_op is not None and snapea_op.attr("conv") != name:
            snapea_op = None
        exposed = None
        if snapea_op is not None:
            exposed = f"sim{len(layers)}.x"
            graph.add_output(exposed, op.operand(0))
        layers.append((name, _sizing(op, kind, name, len(x)), snapea_op, exposed))
    plans = {name: (plan_from_op(s), s) for name, _, s, _ in layers if s is not None}
    lower_approx(clone)
    runner = OnnxRunner(clone)
    dim = runner.batch_dim()
    step = dim if isinstance(dim, int) else 64  # a fixed batch (mnist8: 1) runs as it is
    wanted = [e for *_, e in layers if e is not None]
    acts: dict[str, list[np.ndarray]] = {e: [] for e in wanted}
    if wanted:
        for start in range(0, len(x) - len(x) % step if isinstance(dim, int) else len(x), step):
            outs = runner.session.run(wanted, {runner.input_names[0]: x[start : start + step]})
            for name, arr in zip(wanted, outs):
                acts[name].append(arr)
    work: list[LayerWork] = []
    for i, (name, sizing, snapea_op, exposed) in enumerate(layers):
        ops = None
        if snapea_op is not None:
            plan, rec = plans[name]
            weight = np.asarray(rec.attr("weight").array)
            counts = []
            for a in acts[exposed]:
                cols, _ = im2col(a, weight.shape[2:], tuple(rec.attr("strides")), tuple(rec.attr("pads")),
                                 tuple(rec.attr("dilations")))
                counts.append(simulate_layer(cols, weight, np.asarray(rec.attr("bias").array), plan).ops)
            ops = np.concatenate(counts)
        work.append(LayerWork(name, ops=ops, is_first=i == 0, is_last=i == len(layers) - 1, **sizing))
    return work, [name for name, _, s, _ in layers if s is not None]


def _layer_kind(op: Op) -> str | None:
    """'conv', 'gemm' or 'matmul' for a layer, float or approximate (None for other ops)."""
    if isinstance(op, approx.MulOp | approx.HtpOp):
        return str(op.attr("op"))
    return {nn.ConvOp: "conv", nn.GemmOp: "gemm", nn.MatMulOp: "matmul"}.get(type(op))


def _sizing(op: Op, kind: str, name: str, samples: int) -> dict[str, Any]:
    """The `LayerWork` geometry of a layer: kernels, input shape, kernel and output size, stride."""
    w = constant_of(op.operand(1))
    if w is None:
        raise InputError(f"layer '{name}' has non-constant weights: cannot size it", op.loc)
    if kind == "conv":
        in_t, out_t = op.operand(0).type, op.result.type
        return dict(kernels=int(w.shape[0]), in_shape=(int(w.shape[1]) * int(op.attr("group", 1)),
                                                       int(in_t.shape[2]), int(in_t.shape[3])),
                    batch=samples, kernel=(int(w.shape[2]), int(w.shape[3])),
                    out_hw=(int(out_t.shape[2]), int(out_t.shape[3])), stride=tuple(op.attr("strides", (1, 1))))
    trans_b = kind == "gemm" and bool(op.attr("transB", 0))
    c, k = (int(w.shape[1]), int(w.shape[0])) if trans_b else (int(w.shape[0]), int(w.shape[-1]))
    return dict(kernels=k, in_shape=(c, samples, 1), batch=1, kernel=(1, 1), out_hw=(samples, 1))


def _entry(r: LayerResult) -> dict[str, Any]:
    return {"cycles": r.cycles, "time_s": r.time_s, "energy_pj": r.total_energy_pj,
            "energy_breakdown_pj": dict(r.energy_pj), "macs_executed": r.macs, "macs_dense": r.dense_macs,
            "utilization": r.utilization}


def _sum(results: list[LayerResult], freq: float) -> dict[str, Any]:
    cycles = sum(r.cycles for r in results)
    breakdown: dict[str, float] = {}
    for r in results:
        for k, v in r.energy_pj.items():
            breakdown[k] = breakdown.get(k, 0.0) + v
    return {"cycles": cycles, "time_s": cycles / freq, "energy_pj": sum(breakdown.values()),
            "energy_breakdown_pj": breakdown, "macs_executed": sum(r.macs for r in results),
            "macs_dense": sum(r.dense_macs for r in results)}


def simulate_network(module: Module, options: dict[str, Any]) -> dict[str, Any]:
    """The simulation report (see the module docstring) as a dict."""
    x = _samples(module, options)
    energy = EnergyTable(mac_pj=float(options["mac_energy_pj"]) if options.get("mac_energy_pj") else None)
    early = str(options.get("early_termination", "true")).lower() not in ("false", "0", "no")
    freq = float(options.get("freq_mhz", 500)) * 1e6
    cfg = SnapeaConfig(rows=_int(options, "rows", 8), cols=_int(options, "cols", 8), lanes=_int(options, "lanes", 4),
                       freq_hz=freq, io_ram_bytes=_int(options, "io_ram_kb", 20) * 1024,
                       early_termination=early, energy=energy)
    side = int(round(math.sqrt(cfg.mac_units)))
    base_cfg = EyerissConfig(pe_rows=side, pe_cols=cfg.mac_units // side, freq_hz=freq, energy=energy)
    work, snapea_layers = build_workload(module, x)
    ours, base = simulate_snapea(work, cfg), simulate_eyeriss(work, base_cfg)
    dense = simulate_snapea(work, dataclasses.replace(cfg, early_termination=False)) if early else ours
    layers = []
    for w, a, b, d in zip(work, ours, base, dense):
        entry = {"layer": w.name, "snapea": w.name in snapea_layers, **_entry(a), "baseline": _entry(b),
                 "speedup": b.cycles / max(1, a.cycles), "energy_saving": b.total_energy_pj / max(1e-12, a.total_energy_pj),
                 "dense": _entry(d), "early_termination_speedup": d.cycles / max(1, a.cycles),
                 "early_termination_energy_saving": d.total_energy_pj / max(1e-12, a.total_energy_pj)}
        layers.append(entry)
    total_a, total_b, total_d = _sum(ours, freq), _sum(base, freq), _sum(dense, freq)
    total = {**total_a, "baseline": total_b, "speedup": total_b["cycles"] / max(1, total_a["cycles"]),
             "energy_saving": total_b["energy_pj"] / max(1e-12, total_a["energy_pj"]),
             "dense": total_d, "early_termination_speedup": total_d["cycles"] / max(1, total_a["cycles"]),
             "early_termination_energy_saving": total_d["energy_pj"] / max(1e-12, total_a["energy_pj"])}
    return {"samples": len(x), "accelerator": {"rows": cfg.rows, "cols": cfg.cols, "lanes": cfg.lanes,
            "freq_hz": freq, "early_termination": early, "mac_units": cfg.mac_units},
            "baseline_accelerator": {"pe_rows": base_cfg.pe_rows, "pe_cols": base_cfg.pe_cols, "freq_hz": freq},
            "layers": layers, "total": total}
