"""How closely `bmf{time_budget=T}` keeps to T on large EPFL circuits (issue 16, item "Budgets").

Each point runs the command line a user would, in a fresh process, and reads its JSON report:
the pass's wall time against the budget (the limit is T + max(10 %, 2 s)), the written
design's bound against `err`, its mapped area ratio, and which limit stopped the search.
`--cold` gives every run an empty cost cache (`AXC_CACHE`), so mappings are timed as on a
first run (numba's compiled kernels stay where they are: compiling them is a one-time cost of
an installation, not of a run); by default the user's cache is used, as on a second run.

    python benchmarks/time_budget.py [--runs 3] [--cold] [--points sin-10,square-30]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from axc.runtime.caches import cache_root

EPFL = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "epfl" / "arithmetic"
# id, circuit, budget (s), err, metric
POINTS = [
    ("sin-10", "sin.blif", 10.0, 0.05, "hd"),
    ("square-30", "square.blif", 30.0, 0.05, "hd"),
]


def run_point(circuit: str, budget: float, err: float, metric: str, cold: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if cold:
            env["AXC_CACHE"] = str(Path(tmp) / "cache")
            env.setdefault("NUMBA_CACHE_DIR", str(cache_root() / "numba"))
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "axc", str(EPFL / circuit), "-p", f"bmf{{time_budget={budget:g}}}",
                   "--err", str(err), "--metric", metric, "-o", str(Path(tmp) / "out.v"), "-q",
                   "--report", str(report)]
        subprocess.run(command, check=True, env=env)
        data = json.loads(report.read_text())
    result = data["results"]["bmf"]
    return {"seconds": data["passes"][0]["seconds"], "bound": result["bound"], "area_ratio": result["area_ratio"],
            "stopped_by": result["stopped_by"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="an empty cost cache for every run")
    parser.add_argument("--points", default="", help="comma-separated point ids (default: all)")
    args = parser.parse_args()
    wanted = set(filter(None, args.points.split(",")))
    print(f"{'point':<10} {'run':>3} {'pass s':>7} {'limit s':>7} {'ratio':>6} {'bound':>9} {'err':>6} "
          f"{'area':>7}  stopped by")
    failures = 0
    for point, circuit, budget, err, metric in POINTS:
        if wanted and point not in wanted:
            continue
        limit = budget + max(0.1 * budget, 2.0)
        for run in range(1, args.runs + 1):
            r = run_point(circuit, budget, err, metric, args.cold)
            ok = r["seconds"] <= limit and r["bound"]["holds"]
            failures += not ok
            print(f"{point:<10} {run:>3} {r['seconds']:>7.2f} {limit:>7.1f} {r['seconds'] / budget:>6.2f} "
                  f"{r['bound']['bound']:>9.5f} {err:>6g} {r['area_ratio']:>7.1%}  {r['stopped_by']}"
                  f"{'' if ok else '  OVER'}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
