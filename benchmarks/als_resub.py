"""Approximate logic synthesis: `bmf` beside ResubALS' figures, point by point (issue 18, item 5).

ResubALS (resubstitution-based ALS, Meng et al., `changmg/ResubALS` on GitHub) is not run here:
its areas, errors and times are constants, the figures of its runs as issue 18 reports them
(same inputs and bounds, measured as below). This benchmark runs `bmf` as a user would
(`axc.PassManager`, default options, `err` and `metric`; `time_budget=100` on the multiplier),
writes the design as Verilog, and measures the written file independently of the pass:

* area: Yosys with ABC's `&nf` onto the NanGate45 genlib shipped with axc-opt
  (`axc/runtime/cost/nangate45.genlib`), in a private directory (`run_yosys`), summing the
  genlib areas of the mapped cells. The exact script is

      read_verilog design.v
      synth -flatten -auto-top
      abc -genlib lib.genlib -script "+strash;dch -f;&get -n;&nf;&put"
      opt_clean -purge
      write_blif -gates mapped.blif

  It gives the same area on every run, and the originals' areas that the issue quotes: c1908
  318.9 (issue 318.9) and c880 223.4 (issue 221.8). Without `dch -f` they come out 302.2 / 228.2.
* error: the written file read back and simulated (`Simulator`, `compare_rows`) beside the
  original: all 65,536 inputs of the multiplier (NMED, `mae`), 100,000 fresh random vectors
  (seed 2025, not bmf's) for ISCAS (error rate, `er`). The first `--icarus` of those vectors are
  also run through Icarus Verilog on the written file, which must give the same outputs.
* time: wall time of loading, `bmf` and writing, in one process (2 shared cores when measured).

Netlists: EvoApproxLib's exact `mul8u_1JJQ`, `iscas85/verilog_circuitgraph/c880.v` (there is
no `verilog_original` c880; its `.bench` maps to 225.3) and `iscas85/verilog_original/c1908.v`
(318.9 exactly; the circuitgraph and `.bench` versions, the same function checked on 10^5
random vectors, map to 331.4 and 312.6).

    python benchmarks/als_resub.py [--points mul-1,c880-5] [--quick] [--out resub.csv]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from axc.ir import Module
from axc.ir.views import LogicView
from axc.runtime.cost import default_genlib, load_library
from axc.runtime.cost.netlist_io import read_mapped_blif
from axc.runtime.icarus import run_icarus
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.metrics import compare_rows
from axc.runtime.yosys import run_yosys

import axc

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
ISCAS = CORPORA / "iscas85"
ABC_SCRIPT = "strash;dch -f;&get -n;&nf;&put"
MAP_SCRIPT = f"""read_verilog design.v
synth -flatten -auto-top
abc -genlib lib.genlib -script "+{ABC_SCRIPT}"
opt_clean -purge
write_blif -gates mapped.blif
"""
SEED = 2025
RANDOM_VECTORS = 100_000
MUL_BUDGET = 100.0
QUICK_BUDGET = 15.0
ISSUE_ORIGINAL_AREA = {"c880": 221.8, "c1908": 318.9}
# ResubALS' figures as published in issue 18: id, circuit, metric, bound, area, error, seconds
RESUB = [
    ("mul-0.1", "mul8u_1JJQ", "mae", 0.001, 212.8, 0.00098, 14.0),
    ("mul-0.5", "mul8u_1JJQ", "mae", 0.005, 124.5, 0.0048, 30.0),
    ("mul-1", "mul8u_1JJQ", "mae", 0.01, 77.4, 0.0091, 9.0),
    ("mul-2", "mul8u_1JJQ", "mae", 0.02, 57.5, 0.0197, 7.0),
    ("c880-5", "c880", "er", 0.05, 172.1, 0.0491, 1.4),
    ("c880-10", "c880", "er", 0.10, 153.2, 0.0975, 1.8),
    ("c1908-5", "c1908", "er", 0.05, 85.9, 0.0374, 6.0),
    ("c1908-10", "c1908", "er", 0.10, 83.0, 0.0943, 6.0),
]
FIELDS = ["point", "circuit", "metric", "bound", "resub_area", "resub_error", "resub_s",
          "area", "error", "seconds", "area_ratio", "time_ratio", "icarus"]


def netlist(circuit: str) -> Path:
    """The file a circuit is read from (see the module docstring for why these versions)."""
    if circuit == "mul8u_1JJQ":
        return next((CORPORA / "evoapprox").rglob("mul8u_1JJQ.v"))
    if circuit == "c1908":
        return ISCAS / "verilog_original" / "c1908.v"
    return ISCAS / "verilog_circuitgraph" / f"{circuit}.v"


def mapped_area(verilog: str) -> float:
    """Area (µm²) of a Verilog netlist mapped by `MAP_SCRIPT` onto the shipped genlib."""
    lib = load_library(default_genlib())
    out = run_yosys(MAP_SCRIPT, {"design.v": verilog, "lib.genlib": lib.text}, outputs=("mapped.blif",))
    cells = read_mapped_blif(out.outputs["mapped.blif"], lib).cell_type
    return float(sum(lib.cells[name].area for name in cells))


def vectors_for(view: LogicView, metric: str) -> VectorSet:
    """All inputs for the multiplier (NMED), fresh random vectors for ISCAS (er)."""
    return VectorSet.exhaustive(view) if metric == "mae" else VectorSet.random(view, RANDOM_VECTORS, SEED)


def measured_error(original: Module, written: Module, metric: str) -> tuple[float, VectorSet, Simulator]:
    """`metric` of the written design against the original, with the vectors and its simulator."""
    exact_view = LogicView.from_graph(original.top_graph)
    view = LogicView.from_graph(written.top_graph)
    if sorted(view.input_ports) != sorted(exact_view.input_ports):
        raise SystemExit(f"the written design has other inputs: {view.input_ports}")
    exact_vectors = vectors_for(exact_view, metric)
    values = {name: exact_vectors.port_values(name) for name, _ in exact_view.input_ports}
    vectors = VectorSet.from_ports(view, values)
    exact = Simulator(exact_view).run(exact_vectors, keep_signals=False)
    sim = Simulator(view)
    approx = sim.run(vectors, keep_signals=False)
    ports = list(exact_view.output_ports)
    rows = np.concatenate([approx.port_rows(name) for name, _ in ports])
    report = compare_rows(exact.packed, rows, exact_vectors, ports)
    return report.value(metric), vectors, sim


def icarus_agrees(verilog: str, written: Module, vectors: VectorSet, sim: Simulator, count: int) -> str:
    """Whether Icarus gives our simulator's outputs on the first `count` vectors of the file."""
    if count <= 0:
        return "not run"
    view = sim.view
    head = {name: vectors.port_values(name)[:count] for name, _ in view.input_ports}
    ours = sim.run(VectorSet.from_ports(view, head), keep_signals=False)
    theirs = run_icarus(verilog, written.top_graph.name, view.input_ports, view.output_ports, head)
    same = all(np.array_equal(ours.port_values(name).astype(np.uint64), theirs[name])
               for name, _ in view.output_ports)
    return f"same on {count}" if same else f"DIFFERS on {count}"


def run_point(point: tuple, budget: float | None, folder: Path, icarus: int) -> dict:
    """Run bmf on one point, write the design, and measure it."""
    name, circuit, metric, bound, r_area, r_err, r_s = point
    source = netlist(circuit)
    spec = f"bmf{{err={bound},metric={metric}" + (f",time_budget={budget:g}" if budget else "") + "}"
    dest = folder / f"{name}.v"
    start = time.perf_counter()
    module = axc.load(source)
    manager = axc.PassManager.parse(spec)
    result = manager.run(module, manager.make_context(quiet=True))
    axc.save(result.module, dest)
    seconds = time.perf_counter() - start
    text = dest.read_text()
    written = axc.load(dest)
    error, vectors, sim = measured_error(axc.load(source), written, metric)
    area = mapped_area(text)
    return {"point": name, "circuit": circuit, "metric": metric, "bound": bound, "resub_area": r_area,
            "resub_error": r_err, "resub_s": r_s, "area": round(area, 3), "error": error,
            "seconds": round(seconds, 2), "area_ratio": area / r_area, "time_ratio": seconds / r_s,
            "icarus": icarus_agrees(text, written, vectors, sim, icarus)}


def _pct(x: float) -> str:
    return f"{100 * x:#.3g} %"


def print_table(rows: list[dict]) -> None:
    print("ResubALS: the figures published in issue 18 (not run here); axc-opt: bmf, measured now")
    head = (f"{'circuit':11} {'bound':>10}  {'ResubALS area (error)':>22} {'time':>6}  "
            f"{'axc-opt area (error)':>22} {'time':>6}  {'area ratio':>10} {'time ratio':>10}  icarus")
    print(head)
    print("-" * len(head))
    for r in rows:
        bound = f"{'NMED' if r['metric'] == 'mae' else 'ER'} {100 * r['bound']:g} %"
        theirs = f"{r['resub_area']:.1f} ({_pct(r['resub_error'])})"
        ours = f"{r['area']:.1f} ({_pct(r['error'])})"
        print(f"{r['circuit']:11} {bound:>10}  {theirs:>22} {r['resub_s']:5.1f}s  {ours:>22} "
              f"{r['seconds']:5.1f}s  {r['area_ratio']:10.3f} {r['time_ratio']:10.2f}  {r['icarus']}")
    if rows:
        geo = {k: math.exp(np.mean([math.log(r[k]) for r in rows])) for k in ("area_ratio", "time_ratio")}
        print(f"{'geometric mean of the ratios (ours / ResubALS)':83} {geo['area_ratio']:10.3f} "
              f"{geo['time_ratio']:10.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", default="", help=f"comma-separated subset of {', '.join(p[0] for p in RESUB)}")
    ap.add_argument("--quick", action="store_true", help=f"time_budget={QUICK_BUDGET:g} s on every point")
    ap.add_argument("--icarus", type=int, default=4096, help="vectors also simulated by Icarus (0: none)")
    ap.add_argument("--designs", type=Path, help="keep the written designs in this folder")
    ap.add_argument("--out", type=Path, help="write the table as CSV")
    args = ap.parse_args(argv)
    pick = [p for p in args.points.split(",") if p]
    unknown = sorted(set(pick) - {p[0] for p in RESUB})
    if unknown:
        ap.error(f"unknown points {unknown}")
    points = [p for p in RESUB if not pick or p[0] in pick]
    for circuit in dict.fromkeys(p[1] for p in points):
        source = netlist(circuit)
        quoted = ISSUE_ORIGINAL_AREA.get(circuit)
        note = f" (issue: {quoted})" if quoted else ""
        where = source.resolve().relative_to(CORPORA.resolve())
        print(f"{circuit}: {where}, original area {mapped_area(source.read_text()):.1f}{note}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="als-resub-") as tmp:
        folder = args.designs or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for point in points:
            budget = QUICK_BUDGET if args.quick else (MUL_BUDGET if point[2] == "mae" else None)
            rows.append(run_point(point, budget, folder, args.icarus))
            r = rows[-1]
            print(f"  {r['point']}: area {r['area']:.1f}, error {_pct(r['error'])}, {r['seconds']:.1f} s", flush=True)
    print_table(rows)
    if args.out:
        with args.out.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
