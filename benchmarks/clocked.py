"""Approximating a clocked design end to end, judged by Verilator on fresh stimulus (issue 17).

For each method (`bmf`, `truncate`: operand truncation chosen per cone at the same error) the
command users type runs as a subprocess:

    axc-opt examples/fir8.v -p METHOD --err 0.01 -o OUT.v --report OUT.json

Then Verilator compiles the original source (`examples/fir8.v`, not our rewrite of it) and the
written design, and runs both on `--check-cycles` cycles × `--check-traces` traces of fresh
random stimulus (a seed no run used; reset asserted in cycle 0). The table gives the area by
the cost model (logic + registers, from the run report), the wall time of the run, and the
error Verilator measures at the output: the mean |y − y'| over all cycles and traces as a
fraction of full scale (2^width; a signed port is read in two's complement), and the largest.

    python benchmarks/clocked.py [--design fir8] [--err 0.01] [--check-cycles 100000]
    python examples/mac_stimulus.py s1.npz --seed 1; python examples/mac_stimulus.py s2.npz --seed 2
    python benchmarks/clocked.py --design mac --methods prune --stimulus s1.npz --check-stimulus s2.npz
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from axc.ir.views import ClockedCore
from axc.runtime.cyclesim import Stimulus
from axc.runtime.cyclestim import data_ports, unpack_port
from axc.runtime.verilator import HAVE_VERILATOR, VerilatorModel

from axc import load

ROOT = Path(__file__).resolve().parent.parent
FRESH_SEED = 0xF1E5


def _run(design: Path, method: str, err: float, out: Path, extra: list[str]) -> float:
    report = out.with_suffix(".json")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "axc", str(design), "-p", method, "--err", str(err), "-o", str(out),
                          "--report", str(report), "-q", *extra], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{method} failed: {run.stderr.strip()}")
    return seconds


def _outputs(verilog: Path, cut: ClockedCore, stimulus: Stimulus, top: str) -> np.ndarray:
    model = VerilatorModel.compile(verilog.read_text(), top, cut.clock, data_ports(cut), cut.output_ports)
    try:
        run = model.run(stimulus)
    finally:
        model.close()
    name, width = cut.output_ports[0]
    signed = name in cut.core.top_graph.attributes.get("signed_ports", ())
    return unpack_port(run.outputs[:, :width], stimulus.n_traces, signed=signed).astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--design", default="fir8", help="an example name (examples/NAME.v)")
    parser.add_argument("--err", type=float, default=0.01)
    parser.add_argument("--methods", nargs="+", default=["bmf", "truncate"])
    parser.add_argument("--check-cycles", type=int, default=100_000)
    parser.add_argument("--check-traces", type=int, default=4)
    parser.add_argument("--stimulus", help="measure the runs on this .npz/.vcd (passed as --stimulus)")
    parser.add_argument("--check-stimulus", help="check with Verilator on this .npz/.vcd instead of random")
    args = parser.parse_args()
    if not HAVE_VERILATOR:
        raise SystemExit("this benchmark needs verilator on the PATH")
    source = ROOT / "examples" / f"{args.design}.v"
    module = load(str(source))
    cut = ClockedCore.cut(module)
    top = module.top_graph.name
    if len(cut.output_ports) != 1:
        raise SystemExit("this benchmark reads designs with one output port")
    width = cut.output_ports[0][1]
    if args.check_stimulus:
        stimulus = (Stimulus.from_vcd(args.check_stimulus, cut) if args.check_stimulus.endswith(".vcd")
                    else Stimulus.from_npz(args.check_stimulus, cut))
    else:
        stimulus = Stimulus.random(cut, args.check_cycles, args.check_traces, FRESH_SEED)
    extra = ["--stimulus", args.stimulus] if args.stimulus else []
    with tempfile.TemporaryDirectory() as tmp:
        gold = _outputs(source, cut, stimulus, top)
        rows = []
        for method in args.methods:
            out = Path(tmp) / f"{args.design}_{method}.v"
            seconds = _run(source, method, args.err, out, extra)
            details = json.loads(out.with_suffix(".json").read_text())
            found = _find(details, "refused_on_fresh_stimulus")
            approx = _outputs(out, cut, stimulus, top)
            diff = np.abs(gold - approx) / 2.0 ** width
            rows.append((method, found["area_before"]["total"], found["area_after"], seconds,
                         float(diff.mean()), float(diff.max()), found["error"]["estimate"],
                         [c["port"] for c in found["cones"] if c["in_written_design"]]))
    print(f"{args.design}: err {args.err:g}; Verilator on {stimulus.describe()}, error as a fraction of 2^{width}")
    print(f"{'method':<10}{'area':>10}{'logic':>9}{'regs':>9}{'vs exact':>10}{'time s':>8}"
          f"{'Verilator mean':>16}{'max':>9}{'our check':>11}  cones changed")
    for method, before, after, seconds, mean, worst, ours, cones in rows:
        print(f"{method:<10}{after['total']:>10.1f}{after['logic']:>9.1f}{after['registers']:>9.1f}"
              f"{after['total'] / before:>10.3f}{seconds:>8.1f}{mean:>16.5f}{worst:>9.4f}{ours:>11.5f}  "
              f"{', '.join(cones) or '-'}")
    print(f"exact design: {rows[0][1]:.1f} µm² (logic + registers)")


def _find(data: object, key: str) -> dict:
    """The first dict under `data` holding `key` (the pass's section of the run report)."""
    if isinstance(data, dict):
        if key in data:
            return data
        for value in data.values():
            found = _find(value, key)
            if found:
                return found
    if isinstance(data, list):
        for value in data:
            found = _find(value, key)
            if found:
                return found
    return {}


if __name__ == "__main__":
    main()
