"""Post-training quantization of mnist8: our `quantize` pass beside onnxruntime.quantization.

Both quantizers calibrate on the same samples (the first `--calib` MNIST test images) and are
evaluated on the full MNIST test set (10,000 images) in ONNX Runtime, with exact integer kernels
(see `axc.runtime.onnx_run`). Printed: float top-1, ORT `quantize_static` (QDQ, MinMax, per
tensor and per channel; its per-channel model on this opset-8 network is expected not to load,
which is caught and printed), and ours at 8-bit per tensor, 8-bit per channel, 4-, 3- and 2-bit
per-channel weights (8-bit activations; the default affine scheme below 8 bits and the symmetric
one), plus the four activation calibration methods side by side at 8 and 4 bits (weights min/max
unless the row says mse; activations mse unless the row says otherwise).

    python benchmarks/quantize.py [--calib 500] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from axc.frontend.onnx_import import load_onnx
from axc.ir import Module
from axc.passes.infra.base import PassContext
from axc.passes.infra.manager import PassManager
from axc.passes.network.quantize import QuantizePass
from axc.runtime.nn_eval import dataset_for_module, top1
from axc.runtime.onnx_model import export_model
from axc.runtime.onnx_run import EXACT_INTEGER_KERNELS
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / ".." / "shared" / "corpora"
MODEL = CORPORA / "onnx" / "mnist8" / "model.onnx"
MNIST = CORPORA / "datasets" / "mnist"


class _Reader(CalibrationDataReader):
    def __init__(self, name: str, samples: np.ndarray) -> None:
        self.items = iter([{name: s[None]} for s in samples])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.items, None)


def _session(payload: bytes | str, threads: int = 0) -> ort.InferenceSession:
    """A session with exact integer kernels, as axc-opt's runner: x86 CPUs without VNNI saturate
    8-bit products by default, which would rank the quantizers by that noise."""
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.add_session_config_entry(EXACT_INTEGER_KERNELS, "1")
    if threads:
        so.intra_op_num_threads = so.inter_op_num_threads = threads
    return ort.InferenceSession(payload, so, providers=["CPUExecutionProvider"])


def _microseconds_per_image(session: ort.InferenceSession, x: np.ndarray, repeats: int = 5) -> float:
    """Median over `repeats` rounds of the mean single-image inference time (process CPU time
    of one thread, so a shared machine's load does not count)."""
    name = session.get_inputs()[0].name
    rounds = []
    for _ in range(repeats):
        start = time.process_time()
        for s in x:
            session.run(None, {name: s[None]})
        rounds.append((time.process_time() - start) / len(x) * 1e6)
    return float(np.median(rounds))


def _top1(session: ort.InferenceSession, x: np.ndarray, y: np.ndarray) -> float:
    name = session.get_inputs()[0].name
    out = np.concatenate([session.run(None, {name: s[None]})[0] for s in x])
    return float(np.mean(top1(out) == y))


def _ours_session(module: Module) -> ort.InferenceSession:
    return _session(export_model(module).model.SerializeToString())


def ort_static(calib: np.ndarray, per_channel: bool, workdir: Path) -> tuple[ort.InferenceSession | None, str, float]:
    out = workdir / f"ort_{'pc' if per_channel else 'pt'}.onnx"
    start = time.perf_counter()
    quantize_static(str(MODEL), str(out), _Reader("Input3", calib), quant_format=QuantFormat.QDQ,
                    per_channel=per_channel, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    seconds = time.perf_counter() - start
    try:
        return _session(str(out)), "", seconds
    except Exception as exc:  # ORT refuses some of its own per-channel models
        return None, str(exc).splitlines()[0][-170:], seconds


def ours(calib: np.ndarray, pipeline_prefix: str, **options: object) -> tuple[Module, float]:
    module = load_onnx(str(MODEL))
    if pipeline_prefix:
        PassManager.parse(pipeline_prefix).run(module)
    start = time.perf_counter()
    QuantizePass(**options).run(PassContext(quiet=True), module, calib)  # type: ignore[arg-type]
    return module, time.perf_counter() - start


def qat(x: np.ndarray, y: np.ndarray, calib: np.ndarray) -> None:
    """One epoch of quantization-aware training (torch backend) on 8,000 images, scored on 2,000."""
    import torch
    from axc.runtime.torch_net import to_torch, update_module_weights

    torch.set_num_threads(1)
    xt, yt = torch.from_numpy(x[:8000]), torch.from_numpy(y[:8000])
    for label, options in (("2-bit per-channel weights", {}), ("2-bit per-tensor weights", {"per_channel": False}),
                           ("2-bit per-channel symmetric weights", {"symmetric": True})):
        torch.manual_seed(0)
        module, _ = ours(calib, "", bits=8, weight_bits=2, **options)
        net = to_torch(module)
        before = _top1(_ours_session(module), x[8000:], y[8000:])
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        order = torch.randperm(8000)
        start = time.perf_counter()
        for i in range(0, 8000, 64):
            idx = order[i : i + 64]
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        update_module_weights(module, net)
        after = _top1(_ours_session(module), x[8000:], y[8000:])
        print(f"{'QAT 1 epoch (8,000 imgs), ' + label:62s} {100 * before:8.2f} -> {100 * after:.2f} on images 8000-9999 ({seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calib", type=int, default=500, help="calibration samples (first of the test set)")
    parser.add_argument("--quick", action="store_true", help="evaluate on 2,000 images only")
    args = parser.parse_args()
    data = dataset_for_module(str(MNIST), load_onnx(str(MODEL)))
    assert data.y is not None
    calib = data.x[: args.calib]
    n = 2000 if args.quick else len(data)
    x, y = data.x[:n], data.y[:n]
    print(f"mnist8 on {n} MNIST test images; both quantizers calibrate on the first {args.calib}")
    print(f"{'configuration':62s} {'top-1 %':>8s} {'quant s':>8s}")
    float_acc = _top1(_session(str(MODEL)), x, y)
    print(f"{'float (original model)':62s} {100 * float_acc:8.2f}")
    rows: dict[str, float] = {}
    timed: dict[str, ort.InferenceSession | bytes | str] = {"float (original model)": str(MODEL)}
    with tempfile.TemporaryDirectory() as tmp:
        for per_channel in (False, True):
            label = f"ORT quantize_static QDQ MinMax int8 {'per channel' if per_channel else 'per tensor'}"
            session, error, seconds = ort_static(calib, per_channel, Path(tmp))
            if session is None:
                print(f"{label:62s} {'--':>8s} {seconds:8.2f}  ORT refuses it: ...{error}")
            else:
                rows[label] = _top1(session, x, y)
                timed[label] = (Path(tmp) / f"ort_{'pc' if per_channel else 'pt'}.onnx").read_bytes()
                print(f"{label:62s} {100 * rows[label]:8.2f} {seconds:8.2f}")
    configs = [
        ("ours 8-bit per tensor", "", {"bits": 8, "per_channel": False}),
        ("ours 8-bit per channel", "", {"bits": 8}),
        ("ours 8-bit per channel, without folding biases first", "", {"bits": 8, "fold": False}),
        ("ours 4-bit per-channel weights (affine)", "", {"bits": 8, "weight_bits": 4}),
        ("ours 4-bit per-channel symmetric weights", "", {"bits": 8, "weight_bits": 4, "symmetric": True}),
        ("ours 3-bit per-channel weights (affine)", "", {"bits": 8, "weight_bits": 3}),
        ("ours 3-bit per-channel symmetric weights", "", {"bits": 8, "weight_bits": 3, "symmetric": True}),
        ("ours 2-bit per-channel weights (affine)", "", {"bits": 8, "weight_bits": 2}),
        ("ours 2-bit per-tensor weights (affine)", "", {"bits": 8, "weight_bits": 2, "per_channel": False}),
        ("ours 2-bit per-channel symmetric weights", "", {"bits": 8, "weight_bits": 2, "symmetric": True}),
        ("ours 2-bit per-channel symmetric weights, mse-clipped", "", {"bits": 8, "weight_bits": 2, "symmetric": True, "weight_range": "mse"}),
        ("ours 4-bit weights and activations, per channel", "", {"bits": 4}),
    ]
    for method in ("minmax", "percentile", "mse", "entropy"):
        configs.append((f"ours 8-bit per tensor, activations by {method}", "", {"bits": 8, "per_channel": False, "calibration": method}))
        configs.append((f"ours 4-bit weights and activations, activations by {method}", "", {"bits": 4, "calibration": method}))
    for label, prefix, options in configs:
        module, seconds = ours(calib, prefix, **options)
        rows[label] = _top1(_ours_session(module), x, y)
        if label.startswith("ours 8-bit per"):
            timed[label] = export_model(module).model.SerializeToString()
        print(f"{label:62s} {100 * rows[label]:8.2f} {seconds:8.2f}")
    print(f"\nONNX Runtime inference, one thread, one image at a time ({min(n, 2000)} images; CPU µs per image)")
    times = {label: _microseconds_per_image(_session(payload, threads=1), x[:2000]) for label, payload in timed.items()}
    ort_pt = times.get("ORT quantize_static QDQ MinMax int8 per tensor", float("nan"))
    for label, us in times.items():
        print(f"{label:62s} {us:8.1f} µs  {us / ort_pt:5.2f}x ORT quantize_static")
    qat(data.x, data.y, calib)
    best_ort = max((v for k, v in rows.items() if k.startswith("ORT")), default=float("nan"))
    print(f"\nours 8-bit per tensor - ORT per tensor: {100 * (rows['ours 8-bit per tensor'] - best_ort):+.2f} points;"
          f" ours 8-bit per channel - ORT: {100 * (rows['ours 8-bit per channel'] - best_ort):+.2f} points;"
          f" 4-bit per-channel - float: {100 * (rows['ours 4-bit per-channel weights (affine)'] - float_acc):+.2f} points")


if __name__ == "__main__":
    main()
