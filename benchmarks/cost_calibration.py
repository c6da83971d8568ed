"""Calibrate the cost model against EvoApproxLib's published PDK45 area, delay and power.

Maps EvoApproxLib v2022 8x8 multipliers (exact `mul8u_1JJQ` and approximate ones) through our
cost model (Yosys+ABC onto the shipped NanGate-45 X1 genlib) and prints, per circuit, ours /
published for area, delay and power, and the geometric means.

    python benchmarks/cost_calibration.py [--all] [--script "strash;dch -f;map -a;topo"]

By default the Verilog files go to Yosys directly; `--via-ir` imports them with our Verilog
frontend first and maps the IR (what the passes do), when the frontend is available.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

from axc.runtime.cost import DEFAULT_SCRIPT, CostModel

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "evoapprox" / "v2022"
DEFAULT_SET = ["mul8u_1JJQ", "mul8u_ZB3", "mul8u_12KA", "mul8u_DG8", "mul8u_C67", "mul8u_8U3",
               "mul8u_GTR", "mul8u_NLX", "mul8u_197B", "mul8u_L93", "mul8u_17C8", "mul8u_18UH",
               "mul8s_1KV6", "mul8s_1KV9", "mul8s_1KVA"]


def _published() -> dict[str, dict[str, str]]:
    with open(CORPUS / "metrics_all.csv") as f:
        return {row["name"]: row for row in csv.DictReader(f)}


def _verilog(name: str) -> Path:
    sub = "8x8_signed" if name.startswith("mul8s") else "8x8_unsigned"
    return CORPUS / sub / f"{name}.v"


def _geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="every v2022 8x8 multiplier")
    ap.add_argument("--script", default=DEFAULT_SCRIPT, help="ABC script")
    ap.add_argument("--via-ir", action="store_true", help="import with axc's Verilog frontend")
    ap.add_argument("--names", nargs="*", help="circuits to map")
    args = ap.parse_args()
    published = _published()
    names = args.names or (sorted(n for n in published if n.startswith(("mul8u", "mul8s"))
                                  and _verilog(n).is_file()) if args.all else DEFAULT_SET)
    model = CostModel(script=args.script, disk_cache=False)
    print(f"ABC script: {args.script}\n")
    print(f"{'circuit':<12} {'area':>8} {'pub':>7} {'ratio':>6}  {'delay':>6} {'pub':>5} {'ratio':>6}"
          f"  {'power uW':>8} {'pub':>7} {'ratio':>6}  {'cells':>5}")
    ratios: dict[str, list[float]] = {"area": [], "delay": [], "power": []}
    start = time.perf_counter()
    for name in names:
        row = published.get(name)
        path = _verilog(name)
        if row is None or not path.is_file():
            print(f"{name:<12} (not in the corpus)")
            continue
        if args.via_ir:
            from axc.frontend.verilog import load_verilog
            from axc.runtime.cost import estimate_cost

            rep = estimate_cost(load_verilog(str(path), {}), script=args.script)
        else:
            rep = model.estimate_text(path.read_text(), "verilog", top=name)
        pub_area, pub_delay = float(row["area_um2"]), float(row["delay_ns"])
        pub_power = float(row["pwr_mW"]) * 1000
        power = rep.power_uw["total"] if rep.power_uw else 0.0
        r = (rep.area_um2 / pub_area if pub_area else float("nan"),
             rep.delay_ns / pub_delay if pub_delay else float("nan"),
             power / pub_power if pub_power else float("nan"))
        for key, value in zip(ratios, r):
            if value == value:
                ratios[key].append(value)
        print(f"{name:<12} {rep.area_um2:8.1f} {pub_area:7.1f} {r[0]:6.3f}  {rep.delay_ns:6.3f} "
              f"{pub_delay:5.2f} {r[1]:6.3f}  {power:8.1f} {pub_power:7.1f} {r[2]:6.3f}  {rep.n_cells:5d}")
    print(f"\ngeomean ours/published: area {_geomean(ratios['area']):.3f}  delay "
          f"{_geomean(ratios['delay']):.3f}  power {_geomean(ratios['power']):.3f}  "
          f"({len(ratios['area'])} circuits, {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
