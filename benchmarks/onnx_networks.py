"""Networks through axc-opt: import/export cost, round-trip fidelity and mnist8 accuracy.

For each model (mnist8, resnet8, the onnx wheel's light models) it times `load_onnx` and
`export_model` against `onnx.load` + `onnx.checker` on the same file (the ratio is what our
layer costs beyond ONNX's own parsing and checking), runs the original file and our emitted model in
ONNX Runtime on the same random input and prints whether the outputs are bit-identical. Then
it evaluates mnist8 on the full MNIST test set through `axc.runtime.nn_eval.evaluate` (the
emitted model in ORT) beside a plain ORT loop over the original file, and prints both top-1s
and the time ratio.

    python benchmarks/onnx_networks.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import onnx
from axc.frontend.onnx_import import load_onnx
from axc.runtime.nn_eval import dataset_for_module, evaluate, top1
from axc.runtime.onnx_model import export_model
from axc.runtime.onnx_run import OnnxRunner

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / ".." / "shared" / "corpora"
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def round_trips(paths: list[Path]) -> None:
    print(f"{'model':28s} {'ops':>5s} {'ours ms':>8s} {'onnx ms':>8s} {'ratio':>6s}  identical")
    for path in paths:
        module = load_onnx(str(path), {})
        ours = _best(lambda p=path: export_model(load_onnx(str(p), {})))
        peer = _best(lambda p=path: onnx.checker.check_model(onnx.load(str(p)), full_check=True))
        x = module.top_graph.inputs[0]
        shape = tuple(d if isinstance(d, int) else 4 for d in x.type.shape)
        feed = {x.name: np.random.default_rng(0).random(shape, dtype=np.float32)}
        same = all(
            np.array_equal(a, b)
            for a, b in zip(OnnxRunner(module).run(feed), OnnxRunner(str(path)).run(feed), strict=True)
        )
        name = path.parent.name if path.stem == "model" else path.stem
        print(f"{name:28s} {len(module.top_graph):5d} {1e3 * ours:8.1f} {1e3 * peer:8.1f} {ours / peer:6.2f}  {same}")


def mnist_accuracy() -> None:
    model_path = CORPORA / "onnx" / "mnist8" / "model.onnx"
    module = load_onnx(str(model_path), {})
    data = dataset_for_module(str(CORPORA / "datasets" / "mnist"), module)
    t = time.perf_counter()
    result = evaluate(module, data)
    ours = time.perf_counter() - t
    runner = OnnxRunner(str(model_path))
    t = time.perf_counter()
    peer_pred = np.concatenate([top1(runner.run({"Input3": data.x[i : i + 1]})[0]) for i in range(len(data))])
    peer = time.perf_counter() - t
    peer_acc = float(np.mean(peer_pred == data.y))
    print(f"mnist8 float top-1 on {result.n} MNIST test images: ours {100 * result.top1:.2f} %, "
          f"plain ORT on the original file {100 * peer_acc:.2f} %")
    print(f"evaluation time: ours {ours:.2f} s (export + session + run), plain ORT loop {peer:.2f} s, ratio {ours / peer:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the large light models")
    args = parser.parse_args()
    paths = [CORPORA / "onnx" / "mnist8" / "model.onnx", CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"]
    heavy = {"light_vgg19", "light_bvlc_alexnet", "light_zfnet512"}
    paths += [p for p in sorted(LIGHT.glob("light_*.onnx")) if not (args.quick and p.stem in heavy)]
    round_trips(paths)
    mnist_accuracy()


if __name__ == "__main__":
    main()
