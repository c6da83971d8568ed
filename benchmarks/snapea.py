"""SnaPEA on real networks: MACs saved, speedup and energy against the baseline, lane sensitivity.

    python benchmarks/snapea.py            # calibrate on 8,000 MNIST images, verify on 2,000
    python benchmarks/snapea.py --quick    # smaller slices and grids (a few minutes)

Prints (1) exact mode on mnist8 (MNIST) and resnet8_cifar10 (random inputs in [0, 1]): outputs
identical to the original in ONNX Runtime, MACs executed per layer and in total; (2) speedup and
energy saving of the SnaPEA array over the Eyeriss-like baseline in exact mode and at 1, 2 and
3 % accuracy loss on mnist8, beside the paper's averages; (3) the same network at 2, 4, 8 and 16
lanes per PE with 256 MACs in all.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from axc.frontend.onnx_import import load_onnx
from axc.ir import Module
from axc.passes.infra.base import PassContext
from axc.passes.snapea import SnapeaPass
from axc.runtime.accel.network import simulate_network
from axc.runtime.lowering import lower_approx
from axc.runtime.onnx_run import OnnxRunner

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
RESNET8 = CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"
MNIST = CORPORA / "datasets" / "mnist"
PAPER = {0.0: (1.28, 1.16), 0.01: (1.38, None), 0.02: (1.63, None), 0.03: (1.9, None)}


def _snapea(path: Path, data: str, **options: object) -> tuple[Module, Module, dict]:
    module = load_onnx(str(path), {})
    original = module.clone()
    ctx = PassContext(quiet=False)
    pass_ = SnapeaPass(data=data, **options)
    pass_.requires(module)
    pass_.apply(ctx, module)
    return module, original, ctx.report["snapea"]


def _identical(module: Module, original: Module, x: np.ndarray) -> bool:
    lowered = module.clone()
    lower_approx(lowered)
    return bool(np.array_equal(OnnxRunner(lowered).run_batched(x), OnnxRunner(original).run_batched(x)))


def exact_mode(calib: int, verify: int) -> None:
    print("\n== exact mode: outputs and MACs executed ==")
    rng = np.random.default_rng(0)
    resnet_data = Path("/tmp/axc_resnet8_random.npz")
    np.savez(resnet_data, x=rng.random((64 + 256, 32, 32, 3), dtype=np.float32))
    cases = [("mnist8", MNIST8, str(MNIST), calib, verify), ("resnet8", RESNET8, str(resnet_data), 64, 256)]
    for label, path, data, c, v in cases:
        t = time.perf_counter()
        module, original, report = _snapea(path, data, calib=c, verify=v)
        from axc.runtime.nn_eval import dataset_for_module

        x = dataset_for_module(data, original).x[c : c + 64]
        same = _identical(module, original, x)
        print(f"{label}: ORT outputs identical to the original: {same} ({time.perf_counter() - t:.1f} s)")
        for entry in report["layers"]:
            print(f"  {entry['layer'][-34:]:>34}  MACs executed {100 * entry['fraction']:6.2f} % of dense")
        print(f"  {'total':>34}  MACs executed {100 * report['total']['fraction']:6.2f} % "
              f"({report['total']['samples']} samples); skipped: {len(report['skipped'])} conv(s)")
        for entry in report["skipped"]:
            print(f"  skipped {entry['layer']}: {entry['reason']}")


def budgets(calib: int, verify: int, quick: bool) -> Module:
    print("\n== speedup and energy vs the Eyeriss-like baseline on mnist8 ==")
    print(f"{'budget':>7} {'top-1 loss':>10} {'MACs':>8} {'speedup':>8} {'energy':>8}   paper speedup / energy")
    grid = dict(profile_samples=300, n_grid=(2, 4, 8), quantiles=(0.05, 0.15, 0.3), max_configs=4) if quick else {}
    last = None
    for loss in (0.0, 0.01, 0.02, 0.03):
        t = time.perf_counter()
        module, _, report = _snapea(MNIST8, str(MNIST), accuracy_loss=loss, calib=calib, verify=verify, **grid)
        sim = simulate_network(module, {"data": str(MNIST), "calib": calib, "sim_samples": verify})
        total = sim["total"]
        drop = report["verification"].get("accuracy_loss", 0.0)
        paper = PAPER[loss]
        energy_paper = f"{paper[1]:.2f}x" if paper[1] else "-"
        print(f"{100 * loss:6.0f}% {100 * drop:9.2f}pt {100 * report['total']['fraction']:7.1f}% "
              f"{total['speedup']:7.2f}x {total['energy_saving']:7.2f}x   {paper[0]:.2f}x / {energy_paper}"
              f"   ({time.perf_counter() - t:.0f} s)")
        if loss == 0.03:
            last = module
    return last


def lanes(module: Module, calib: int, samples: int) -> None:
    print("\n== lane sensitivity (256 MACs in all, mnist8 at the 3 % configuration) ==")
    for n in (2, 4, 8, 16):
        cols = 256 // (8 * n)
        sim = simulate_network(module, {"data": str(MNIST), "calib": calib, "sim_samples": samples,
                                        "lanes": n, "rows": 8, "cols": cols})
        t = sim["total"]
        print(f"  {n:2d} lanes x {8 * cols:3d} PEs: {t['cycles']:>10} cycles, speedup {t['speedup']:.2f}x, "
              f"energy saving {t['energy_saving']:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small slices and grids")
    args = parser.parse_args()
    calib, verify = (2000, 500) if args.quick else (8000, 2000)
    exact_mode(calib, verify)
    module = budgets(calib, verify, args.quick)
    lanes(module, calib, verify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
