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

import html
import json
from pathlib import Path
from typing import Any

from axc.ir import InputError, Module, import_extra
from axc.runtime.accel.network import simulate_network

__all__ = ["save_sim"]


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
