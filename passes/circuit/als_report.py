"""Costs, Pareto fronts and their files (CSV, PNG) for the reports of `bmf` and `prune`.

Area, delay and power of a circuit come from the project cost model (`axc.runtime.cost`, ABC
mapping onto the shipped NanGate45 genlib, or the user's `--genlib`/`--liberty`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from axc.ir import InputError, Module, import_extra
from axc.ir.views import LogicView
from axc.runtime.cost import estimate_cost
from axc.runtime.files import write_atomically
from axc.runtime.logicsim import Simulator
from axc.runtime.metrics import compare_rows

if TYPE_CHECKING:
    from ..bmf.explore import Point

__all__ = ["circuit_cost", "log_summary", "measure_against", "pareto_front", "spread", "timed_circuit_cost",
           "write_csv", "write_plot"]


def circuit_cost(module: Module, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """{"area", "delay", "power", "cost_model"} of the top graph of `module`."""
    return timed_circuit_cost(module, options)[0]


def timed_circuit_cost(module: Module, options: dict[str, Any] | None = None) -> tuple[dict[str, Any], float]:
    """`circuit_cost`, and the seconds its mapping takes (when it ran, also for a cached one).
    With `scripts` in `options`, the module is mapped by each of those ABC scripts and the
    smallest area counts (its script is named in "script")."""
    options = options or {}
    library = {k: v for k, v in options.items() if k in ("genlib", "liberty") and v}
    scripts = options.get("scripts") or ()
    seconds, script = 0.0, None
    if scripts:
        areas = {s: estimate_cost(module, script=s, power=False, **library) for s in scripts}
        seconds = sum(a.mapping_seconds for a in areas.values())
        script = min(scripts, key=lambda s: areas[s].area)
    c = estimate_cost(module, script=script, **library)
    cost = {"area": float(c.area), "delay": float(c.delay),
            "power": None if c.power is None else float(c.power), "cost_model": "axc.runtime.cost"}
    if scripts:
        cost["script"] = script
    return cost, seconds if scripts else c.mapping_seconds


def measure_against(exact: LogicView, module: Module, vectors: Any) -> Any:
    """Every error metric of the top graph of `module` against the circuit `exact`, both
    simulated on `vectors` (an `ErrorReport`)."""

    exact_out = Simulator(exact).run(vectors, keep_signals=False).packed
    approx_out = Simulator(LogicView.from_graph(module.top_graph)).run(vectors, keep_signals=False).packed
    return compare_rows(exact_out, approx_out, vectors, list(exact.output_ports))


def pareto_front(points: Sequence[Any]) -> list[Any]:
    """Points (with `error` and `area`) no other point beats in both, by increasing error."""
    front: list[Point] = []
    for p in sorted(points, key=lambda p: (p.error, p.area)):
        if not front or p.area < front[-1].area:
            front.append(p)
    return front


def spread(n: int, count: int) -> list[int]:
    """At most `count` indices evenly spread over range(n), first and last included."""
    import numpy as np

    if n <= 0 or count <= 0:
        return []
    return np.unique(np.linspace(0, n - 1, min(count, n)).round().astype(int)).tolist()


def write_csv(path: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write the front rows as CSV (columns: every key, in order of appearance; blank where absent)."""
    if not rows:
        raise InputError("nothing to write: the Pareto front is empty")
    def write(fh: Any) -> None:
        writer = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for row in rows for k in row)), restval="")
        writer.writeheader()
        writer.writerows(rows)

    write_atomically(path, write, newline="")


def write_plot(path: str, rows: Sequence[dict[str, Any]], metric: str, threshold: float,
               title: str) -> None:
    """Plot relative area against error for the front rows (matplotlib, Agg backend)."""
    matplotlib = import_extra("matplotlib", "plotting the Pareto front")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.step([r["error"] for r in rows], [r["area_ratio"] * 100 for r in rows], where="post", marker="o", ms=3)
    ax.axvline(threshold, color="grey", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_xlabel(f"error ({metric})")
    ax.set_ylabel("area, % of original (proxy)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    try:
        write_atomically(path, lambda fh: fig.savefig(fh, dpi=120, format=fmt), mode="wb")
    finally:
        plt.close(fig)


def log_summary(ctx: Any, name: str, s: dict[str, Any], detail: str) -> None:
    """Log the summary table of an approximation pass report `s` (costs, errors, `detail`)."""
    def fmt(x: Any) -> str:
        return "-" if x is None else f"{x:.4g}"

    o, f = s["original"], s["final"]
    lines = [
        f"{name} summary ({s['metric']} ≤ {s['threshold']:g}, {s['vectors']}, cost: {o['cost_model']})",
        f"  {'':10}{'original':>12}{'approx':>12}{'ratio':>9}",
    ]
    for key in ("area", "delay", "power"):
        ratio = f"{f[key] / o[key]:.1%}" if o.get(key) and f.get(key) is not None else "-"
        lines.append(f"  {key:10}{fmt(o.get(key)):>12}{fmt(f.get(key)):>12}{ratio:>9}")
    errs = s["errors"].get("overall", {})
    shown = {k: errs[k] for k in ("er", "hd", "nmae", "nwce", "mre") if k in errs}
    lines.append("  error     " + "  ".join(f"{k}={v:.4g}" for k, v in shown.items()))
    lines.append(f"  {detail} in {s['runtime_s']:.1f} s")
    for line in lines:
        ctx.log(line)
