"""The accelerator simulation backend (`--emit sim`, `-o report.json` / `-o report.html`).

Runs the network on `--data` (the samples after the `--calib` slice, at most `sim_samples`),
records every conv layer's real input activations, replays each SnaPEA layer's MAC order window
by window (dense for layers without `approx.early_relu`, and for fully connected layers, which
run as 1x1 convolutions whose windows are the samples, one per lane), and feeds those per-window MAC counts to the cycle-level SnaPEA model
and to the Eyeriss-like baseline (`axc.runtime.accel`). The report gives, per layer and under
`total`: `cycles`, `time_s`, `energy_pj` and `energy_breakdown_pj` for SnaPEA, the same under
`baseline`, and `speedup` and `energy_saving` (baseline / SnaPEA): the array design and early
termination together. What early termination alone gives is separate: `dense` is the same
SnaPEA array with `early_termination` off, and `early_termination_speedup` and
`early_termination_energy_saving` are dense / SnaPEA (1.0 when the option is off).

Options (CLI `--sim key=value`): `sim_samples` (default 256), `lanes`, `rows`, `cols`,
`freq_mhz`, `io_ram_kb`, `early_termination` (false: the dense-mode check), `mac_energy_pj`
(per-MAC energy, e.g. of an approximate multiplier), `plot` (a PNG of the per-layer results).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from axc.ir import InputError, Module, Op, import_extra
from axc.ir.dialects import approx, nn
from axc.ir.network import constant_of, layer_name, rebatch
from axc.runtime.accel import (
    EnergyTable,
    EyerissConfig,
    LayerResult,
    LayerWork,
    SnapeaConfig,
    simulate_eyeriss,
    simulate_snapea,
)
from axc.runtime.lowering import lower_approx
from axc.runtime.nn_data import DEFAULT_CALIB
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.onnx_run import OnnxRunner
from axc.runtime.snapea.order import plan_from_op
from axc.runtime.snapea.windows import im2col, simulate_layer

__all__ = ["build_workload", "save_sim", "simulate_network"]


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
    layers: list[tuple[str, Op, Op | None, str | None]] = []
    for op in graph.topo_order():
        if isinstance(op, nn.ConvOp | nn.GemmOp | nn.MatMulOp):
            snapea_op = early.get(op.operand(0)) if isinstance(op, nn.ConvOp) else None
            if snapea_op is not None and snapea_op.attr("conv") != layer_name(op):
                snapea_op = None
            exposed = None
            if snapea_op is not None:
                exposed = f"sim{len(layers)}.x"
                graph.add_output(exposed, op.operand(0))
            layers.append((layer_name(op), op, snapea_op, exposed))
    plans = {name: (plan_from_op(s), s) for name, _, s, _ in layers if s is not None}
    lower_approx(clone)
    rebatch(clone)
    runner = OnnxRunner(clone)
    wanted = [e for *_, e in layers if e is not None]
    acts: dict[str, list[np.ndarray]] = {e: [] for e in wanted}
    if wanted:
        for start in range(0, len(x), 64):
            outs = runner.session.run(wanted, {runner.input_names[0]: x[start : start + 64]})
            for name, arr in zip(wanted, outs):
                acts[name].append(arr)
    work: list[LayerWork] = []
    for i, (name, op, snapea_op, exposed) in enumerate(layers):
        w = constant_of(op.operand(1))
        if w is None:
            raise InputError(f"layer '{name}' has non-constant weights: cannot size it", op.loc)
        if isinstance(op, nn.ConvOp):
            in_t = op.operand(0).type
            out_t = op.result.type
            shape = (int(w.shape[1]) * int(op.attr("group", 1)), int(in_t.shape[2]), int(in_t.shape[3]))
            geom = dict(kernel=(int(w.shape[2]), int(w.shape[3])), out_hw=(int(out_t.shape[2]), int(out_t.shape[3])),
                        stride=tuple(op.attr("strides", (1, 1))))
            k = int(w.shape[0])
        else:
            trans_b = isinstance(op, nn.GemmOp) and bool(op.attr("transB", 0))
            c, k = (int(w.shape[1]), int(w.shape[0])) if trans_b else (int(w.shape[0]), int(w.shape[-1]))
            shape, geom = (c, len(x), 1), dict(kernel=(1, 1), out_hw=(len(x), 1))
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
        batch = len(x) if isinstance(op, nn.ConvOp) else 1
        work.append(LayerWork(name, k, shape, batch=batch, ops=ops, is_first=i == 0,
                              is_last=i == len(layers) - 1, **geom))
    return work, [name for name, _, s, _ in layers if s is not None]


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


def _plot(report: dict[str, Any], path: str) -> None:
    matplotlib = import_extra("matplotlib", "--plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [entry["layer"].split("/")[-1][:24] for entry in report["layers"]]
    fig, axes = plt.subplots(1, 2, figsize=(max(6, 0.8 * len(names) + 3), 3.5))
    axes[0].bar(names, [e["speedup"] for e in report["layers"]])
    axes[0].set_title("speedup vs baseline")
    axes[1].bar(names, [e["energy_saving"] for e in report["layers"]], color="tab:green")
    axes[1].set_title("energy saving vs baseline")
    for ax in axes:
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.tick_params(axis="x", rotation=60, labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _html_row(cell: str, name: str, e: dict[str, Any]) -> str:
    values = [html.escape(name), e["cycles"], e["dense"]["cycles"], f"{e['early_termination_speedup']:.2f}",
              f"{e['early_termination_energy_saving']:.2f}", e["baseline"]["cycles"], f"{e['speedup']:.2f}",
              f"{e['energy_pj'] / 1e6:.3f}", f"{e['baseline']['energy_pj'] / 1e6:.3f}", f"{e['energy_saving']:.2f}"]
    return "<tr>" + "".join(f"<{cell}>{v}</{cell}>" for v in values) + "</tr>"


def _html(report: dict[str, Any]) -> str:
    head = ["layer", "cycles", "dense cycles", "early-termination speedup", "early-termination energy saving",
            "baseline cycles", "speedup vs baseline", "energy (uJ)", "baseline energy (uJ)",
            "energy saving vs baseline"]
    rows = "".join(_html_row("td", e["layer"], e) for e in report["layers"])
    return ("<!doctype html><html><head><meta charset='utf-8'><title>axc-opt accelerator simulation</title>"
            "<style>td,th{padding:2px 8px;text-align:right}</style></head><body>"
            f"<h1>SnaPEA vs baseline on {report['samples']} samples</h1><table><tr>"
            + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
            f"{rows}{_html_row('th', 'total', report['total'])}</table>"
            f"<pre>{html.escape(json.dumps(report['accelerator']))}</pre></body></html>")


def save_sim(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write the simulation report: JSON (`.json`) or an HTML page (`.html`)."""
    options = dict(options or {})
    if module.top is None or module.top_graph.kind != "nn":
        raise InputError("the accelerator simulation needs a network (an ONNX model), not a circuit")
    report = simulate_network(module, options)
    if options.get("plot"):
        _plot(report, str(options["plot"]))
    text = _html(report) if Path(path).suffix.lower() in (".html", ".htm") else json.dumps(report, indent=1)
    Path(path).write_text(text)
