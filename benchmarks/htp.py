"""Approximate multipliers in networks: EvoApproxLib fidelity, MNIST accuracy, CPU throughput.

    python benchmarks/htp.py                      # all sections
    python benchmarks/htp.py --section evoapprox  # | mnist | throughput
    python benchmarks/htp.py --quick              # fewer circuits/images/runs

1. evoapprox: every EvoApproxLib v2022 mul8s/mul8u circuit through our Verilog frontend and
   exhaustive simulation; its metrics against the published header (MAE, WCE, EP%, MRE%, MSE),
   then the best HTP model and its fidelity against the LUT (exact or surrogate).
2. mnist: mnist8, 8-bit quantization, each multiplier attached to every layer: top-1 on MNIST
   images 8000-9999 with LUT and HTP execution, before and after one epoch of retraining (HTP in
   the forward pass, straight-through gradient) on images 0-7999.
3. throughput: mnist8 and resnet8_cifar10 at batch 32 in torch on this CPU: float, fake-quant,
   LUT (numba kernels), LUT (plain numpy gather baseline) and HTP inference; medians and ratios.
4. signs: mnist8 at 8 bits with EvoApproxLib multipliers given by name (mul8u_FTA, mul8u_L93,
   mul8s_1L2H): top-1 on images 8000-9999 with signed weights reaching an unsigned design by
   sign extraction (the default) and by the +128 shift, and unsigned activations reaching the
   signed design as codes 0..127 (the default) or shifted by -128, each without and with
   error-bias compensation (calibrated on images 0-499), next to exact 8-bit (LUT execution).
5. crosslevel (not in `all`: bmf takes minutes): the exact mul8u_1JJQ through `bmf{err=0.005}`,
   the resulting circuit as every multiplier of mnist8: its area/power saving against an exact
   multiplier next to the network's top-1 (LUT, bit-exact) before and after retraining.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import axc

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / ".." / "shared" / "corpora"
EVO = CORPORA / "evoapprox" / "v2022"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
RESNET8 = CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"
MNIST = str(CORPORA / "datasets" / "mnist")

MNIST_MULTIPLIERS = [
    f"{EVO}/8x8_unsigned/mul8u_1JJQ.v", f"{EVO}/8x8_unsigned/mul8u_GTR.v",
    f"{EVO}/8x8_unsigned/mul8u_L93.v", f"{EVO}/8x8_unsigned/mul8u_18UH.v",
    "trunc{l=2,m=2}", "drum{k=4}", "mitchell{k=4}",
]


def _short(spec: str) -> str:
    return Path(spec).stem if spec.endswith(".v") else spec


def evoapprox_section(quick: bool) -> None:
    from axc.passes.circuit.logic_checks import bit_level
    from axc.runtime.htp import best_htp
    from axc.runtime.multipliers import model_from_graph
    from axc.runtime.multipliers.evoapprox import is_signed_name, published_metrics

    paths = sorted(p for p in EVO.glob("8x8_*/mul8*.v") if not p.stem.endswith("_pdk45"))
    if quick:
        paths = paths[::6]
    print(f"\n== EvoApproxLib v2022: {len(paths)} 8x8 multipliers, exhaustive simulation ==")
    head = (f"{'circuit':12} {'MAE':>9} {'pub':>7} {'WCE':>6} {'pub':>6} {'EP%':>6} {'pub':>6} "
            f"{'match':>5} | {'HTP':9} {'terms':>5} {'convs':>5} {'mean|h-f|':>9} "
            f"{'max|h-f|':>8} {'bias':>7} {'exact%':>6}")
    print(head)
    n_match = n_exact = 0
    for path in paths:
        module = axc.load(path)
        model = model_from_graph(module, signed=is_signed_name(path), origin=str(path),
                                 with_cost=False, bit_level=bit_level(module).top_graph)
        ours, pub = model.metrics(), published_metrics(path)
        match = (ours["wce"] == pub["WCE"] and abs(ours["mae"] - pub["MAE"]) <= 0.5 + 0.005 * pub["MAE"]
                 and abs(ours["ep%"] - pub["EP%"]) <= 0.006)
        h = best_htp(model)
        f = h.fidelity
        n_match += match
        n_exact += h.exact
        print(f"{path.stem:12} {ours['mae']:9.2f} {pub['MAE']:7.0f} {ours['wce']:6d} "
              f"{pub['WCE']:6.0f} {ours['ep%']:6.2f} {pub['EP%']:6.2f} {'yes' if match else 'NO':>5} | "
              f"{h.label:9} {len(h.terms):5d} {h.n_convs:5d} {f['mean_abs']:9.3f} "
              f"{f['max_abs']:8.2f} {f['bias']:7.3f} {f['bit_exact%']:6.1f}", flush=True)
    print(f"published metrics reproduced: {n_match}/{len(paths)}; HTP exact: {n_exact}/{len(paths)}"
          f" (the rest are labelled surrogates)")


def _quantized_mnist8(calib: int = 500):
    from axc.passes.infra.base import PassContext
    from axc.passes.network.quantize import QuantizePass

    from axc.formats import get_loader

    module = get_loader("onnx")(str(MNIST8), {})
    QuantizePass(bits=8, calib=calib, data=MNIST).apply(PassContext(quiet=True), module)
    return module


def _layers(net):
    from axc.runtime.torch_approx import ApproxLayerModule

    return [m for m in net.modules() if isinstance(m, ApproxLayerModule)]


def _top1(net, x: np.ndarray, y: np.ndarray, batch: int = 250) -> tuple[float, np.ndarray]:
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = net(torch.from_numpy(np.ascontiguousarray(x[i:i + batch], np.float32)))
            preds.append(out.reshape(out.shape[0], -1).argmax(1).numpy())
    p = np.concatenate(preds)
    return 100.0 * float((p == y).mean()), p


def _lut_and_htp(module, model_lut):
    """(top-1 LUT, top-1 HTP, disagreements) of an approx.htp module on the eval slice."""
    from axc.runtime.torch_net import to_torch

    net = to_torch(module)
    htp_acc, htp_pred = _top1(net, *EVAL)
    for layer in _layers(net):
        layer.lut, layer.mode = model_lut, "lut"
    lut_acc, lut_pred = _top1(net, *EVAL)
    return lut_acc, htp_acc, int((lut_pred != htp_pred).sum())


EVAL: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))


def mnist_section(quick: bool) -> None:
    global EVAL
    from axc.ir.dialects import approx
    from axc.passes.infra.base import PassContext
    from axc.passes.network.approx_mul import ApproxMulPass
    from axc.passes.network.htp import HtpPass
    from axc.passes.network.retrain import RetrainPass
    from axc.runtime.nn_eval import dataset_for_module

    from axc.api import read_file

    base = _quantized_mnist8()
    data = dataset_for_module(MNIST, base)
    n_train, n_eval = (2000, 500) if quick else (8000, 2000)
    EVAL = (data.x[n_train:n_train + n_eval], data.y[n_train:n_train + n_eval])
    print(f"\n== mnist8, 8-bit per-channel quantization; top-1 % on MNIST images "
          f"{n_train}-{n_train + n_eval - 1}; retraining 1 epoch on images 0-{n_train - 1} ==")
    print(f"{'multiplier':16} {'MAE%':>7} {'HTP':9} | {'LUT':>6} {'HTP':>6} {'diff':>5} | "
          f"{'LUT+rt':>6} {'HTP+rt':>6} {'diff':>5} | {'rt s':>5}")
    for spec in MNIST_MULTIPLIERS:
        module = base.clone()
        ctx = PassContext(quiet=True, reader=read_file)
        ApproxMulPass(multiplier=spec).apply(ctx, module)
        lut_table = np.asarray(module.top_graph.ops_of(approx.MulOp)[0].operand(4).owner
                               .attr("value").array)
        HtpPass(allow_surrogate=True).apply(ctx, module)
        label = next(iter(ctx.report["htp"]["models"].values()))["label"]
        before = _lut_and_htp(module, lut_table)
        t0 = time.perf_counter()
        RetrainPass(epochs=1, samples=n_train, eval_samples=0, data=MNIST).apply(ctx, module)
        seconds = time.perf_counter() - t0
        after = _lut_and_htp(module, lut_table)
        mae = ctx.report["approx-mul"]["multiplier"]["metrics"]["mae%"]
        print(f"{_short(spec):16} {mae:7.3f} {label:9} | {before[0]:6.2f} {before[1]:6.2f} "
              f"{before[2]:5d} | {after[0]:6.2f} {after[1]:6.2f} {after[2]:5d} | {seconds:5.0f}",
              flush=True)
    print("diff: images whose LUT and HTP predictions differ (0 required for exact HTP models)")


SIGN_MULTIPLIERS = ["mul8u_FTA", "mul8u_L93", "mul8s_1L2H"]


def signs_section(quick: bool) -> None:
    from axc.ir.dialects import approx
    from axc.passes.infra.base import PassContext
    from axc.passes.network.approx_mul import ApproxMulPass
    from axc.runtime.nn_eval import dataset_for_module
    from axc.runtime.torch_net import to_torch

    from axc.api import read_file

    base = _quantized_mnist8()
    data = dataset_for_module(MNIST, base)
    start, count = (8000, 500) if quick else (8000, 2000)
    x, y = data.x[start:start + count], data.y[start:start + count]
    exact, _ = _top1(to_torch(base), x, y)
    print(f"\n== mnist8, 8-bit quantization, named EvoApproxLib multipliers on every layer; top-1 % "
          f"on MNIST images {start}-{start + count - 1} (exact 8-bit: {exact:.2f}) ==")
    print(f"{'multiplier':12} {'signs':8} {'bias comp.':10} {'top-1':>6} {'vs exact':>8}  how the operands reach it")
    for name in SIGN_MULTIPLIERS:
        for signs in ("extract", "shift"):
            for compensate in (False, True):
                module = base.clone()
                ctx = PassContext(quiet=True, reader=read_file)
                ApproxMulPass(multiplier=name, multiplier_path=(str(CORPORA / "evoapprox"),), signs=signs,
                              bias_compensation=compensate, data=MNIST, calib=500).prepare(ctx).apply(ctx, module)
                op = module.top_graph.ops_of(approx.MulOp)[0]
                how = ("weights by sign extraction" if op.attr("sign_extraction") else
                       "weights shifted by +128" if not op.attr("mul_w_signed") else
                       f"signed design, activations {op.attr('x_min')}..{op.attr('x_max')} "
                       f"(zero at {op.attr('x_zero_point')})")
                acc, _ = _top1(to_torch(module), x, y)
                print(f"{name:12} {signs:8} {'yes' if compensate else 'no':10} {acc:6.2f} {acc - exact:+8.2f}  {how}",
                      flush=True)


def _median_time(net, x: torch.Tensor, runs: int) -> float:
    """Median seconds of `net(x)` over `runs` calls after one warm-up call."""
    net(x)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        net(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _network(path: Path, data: str, calib: int):
    from axc.passes.infra.base import PassContext
    from axc.passes.network.quantize import QuantizePass

    from axc.formats import get_loader

    float_module = get_loader("onnx")(str(path), {})
    quant = float_module.clone()
    QuantizePass(bits=8, calib=calib, data=data).apply(PassContext(quiet=True), quant)
    return float_module, quant


def throughput_section(quick: bool) -> None:
    from axc.passes.infra.base import PassContext
    from axc.passes.network.approx_mul import ApproxMulPass
    from axc.passes.network.htp import HtpPass
    from axc.runtime.nn_eval import dataset_for_module
    from axc.runtime.torch_net import to_torch

    from axc.api import read_file

    runs = 3 if quick else 9
    batch = 32
    print(f"\n== CPU throughput, batch {batch}, median of {runs} runs, torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads) ==")
    nets = [("mnist8", MNIST8, MNIST, 200),
            ("resnet8_cifar10", RESNET8, str(RESNET8.parent / "test_data_set_0"), 1)]
    multipliers = [f"{EVO}/8x8_signed/mul8s_1L2L.v", f"{EVO}/8x8_unsigned/mul8u_GTR.v"]
    print(f"{'network':16} {'multiplier':11} {'float':>8} {'fakeq':>8} {'LUT':>8} {'numpyLUT':>9}"
          f" {'HTP':>8} | {'LUT/HTP':>7} {'HTP/fq':>6} {'np/LUT':>6}  (ms per batch)")
    ratios: list[tuple[float, float, float]] = []
    for name, path, data, calib in nets:
        float_module, quant = _network(path, data, calib)
        x1 = dataset_for_module(data, quant).x[:batch]
        x = torch.from_numpy(np.ascontiguousarray(np.resize(x1, (batch, *x1.shape[1:])), np.float32))
        with torch.no_grad():
            t_float = _median_time(to_torch(float_module), x, runs)
            t_fq = _median_time(to_torch(quant), x, runs)
            for spec in multipliers:
                lut_module = quant.clone()
                ApproxMulPass(multiplier=spec).apply(PassContext(quiet=True, reader=read_file), lut_module)
                htp_module = lut_module.clone()
                HtpPass(allow_surrogate=True).apply(PassContext(quiet=True, reader=read_file), htp_module)
                lut_net = to_torch(lut_module)
                t_lut = _median_time(lut_net, x, runs)
                for layer in _layers(lut_net):
                    layer.kernel = "numpy"
                t_np = _median_time(lut_net, x, max(1, runs // 3))
                t_htp = _median_time(to_torch(htp_module), x, runs)
                ratios.append((t_lut / t_htp, t_htp / t_fq, t_np / t_lut))
                print(f"{name:16} {_short(spec):11} {1e3 * t_float:8.2f} {1e3 * t_fq:8.2f} "
                      f"{1e3 * t_lut:8.2f} {1e3 * t_np:9.2f} {1e3 * t_htp:8.2f} | "
                      f"{t_lut / t_htp:7.2f} {t_htp / t_fq:6.2f} {t_np / t_lut:6.1f}", flush=True)
    geo = [float(np.exp(np.mean(np.log([r[i] for r in ratios])))) for i in range(3)]
    print(f"geomean: HTP {geo[0]:.2f}x faster than our LUT path (goal >= 2.7), HTP = "
          f"{geo[1]:.2f}x fake-quant time (goal <= 2), LUT path {geo[2]:.1f}x faster than the "
          f"numpy gather baseline (goal >= 10)")


def crosslevel_section(quick: bool) -> None:
    import tempfile

    from axc.passes.bmf.bmf_pass import BmfPass
    from axc.passes.infra.base import PassContext
    from axc.passes.network.approx_mul import ApproxMulPass
    from axc.passes.network.retrain import RetrainPass
    from axc.runtime.nn_eval import dataset_for_module

    from axc.api import read_file
    from axc.formats import get_loader, get_saver

    source = EVO / "8x8_unsigned" / "mul8u_1JJQ.v"
    circuit = get_loader("v")(str(source), {})
    t0 = time.perf_counter()
    BmfPass(err=0.005).apply(PassContext(quiet=True), circuit)
    bmf_seconds = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "m.v")
        get_saver("v")(circuit, path, {})
        base = _quantized_mnist8()
        module = base.clone()
        ctx = PassContext(quiet=True, reader=read_file)
        ApproxMulPass(circuit=path).apply(ctx, module)
    data = dataset_for_module(MNIST, base)
    n_train, n_eval = (2000, 500) if quick else (8000, 2000)
    x, y = data.x[n_train:n_train + n_eval], data.y[n_train:n_train + n_eval]
    from axc.runtime.torch_net import to_torch

    exact_acc = _top1(to_torch(base), x, y)[0]
    before = _top1(to_torch(module), x, y)[0]
    RetrainPass(epochs=1, samples=n_train, eval_samples=0, data=MNIST).apply(ctx, module)
    after = _top1(to_torch(module), x, y)[0]
    rep = ctx.report["approx-mul"]
    cost, exact, saving = rep["multiplier"]["cost"], rep["exact_multiplier_cost"], rep["saving%"]
    metrics = rep["multiplier"]["metrics"]
    print(f"\n== cross-level: bmf{{err=0.005}} on mul8u_1JJQ ({bmf_seconds:.0f} s), then mnist8 ==")
    print(f"circuit: MAE% {metrics['mae%']:.3f}, WCE {metrics['wce']}, area {cost['area']:.1f} um2 "
          f"(exact {exact['area']:.1f}, saving {saving['area']:.1f} %), power {cost['power']:.1f} uW "
          f"(exact {exact['power']:.1f}, saving {saving['power']:.1f} %)")
    print(f"mnist8 top-1 on images {n_train}-{n_train + n_eval - 1}: exact multiplier {exact_acc:.2f} %,"
          f" bmf multiplier {before:.2f} % ({before - exact_acc:+.2f}), after 1 epoch of retraining "
          f"{after:.2f} % ({after - exact_acc:+.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["all", "evoapprox", "mnist", "throughput", "signs", "crosslevel"],
                        default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and numba threads for every path (default 1: on a shared "
                             "2-core machine torch's OpenMP pool otherwise spins for ms per op)")
    args = parser.parse_args(argv)
    import numba

    torch.set_num_threads(args.threads)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    torch.manual_seed(0)
    if args.section in ("all", "evoapprox"):
        evoapprox_section(args.quick)
    if args.section in ("all", "mnist"):
        mnist_section(args.quick)
    if args.section in ("all", "throughput"):
        throughput_section(args.quick)
    if args.section in ("all", "signs"):
        signs_section(args.quick)
    if args.section == "crosslevel":
        crosslevel_section(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
