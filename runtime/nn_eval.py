"""Network quality: top-1 accuracy and agreement with the original model, measured in ORT.

`evaluate(module, data, reference=original)` emits the module with the ONNX backend, runs it in
ONNX Runtime over the samples (batched, or one by one when the model fixes batch 1), and
reports top-1 accuracy against the labels (when the data has them) and the share of samples
where its top-1 class equals the reference model's (always, when a reference is given).

`report_network_quality(ctx, module)` is the hook the pass manager calls after a pipeline on a
network when `--data` is given: it loads and adapts the data, evaluates the disjoint slice after
the `calib` calibration samples, stores the result under `ctx.report["network_quality"]` and logs
one line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from axc.ir import InputError, Module, TensorType

from .nn_data import DEFAULT_CALIB, Dataset, load_dataset
from .onnx_run import OnnxRunner

__all__ = ["EvalResult", "dataset_for_module", "evaluate", "predictions", "report_network_quality", "top1"]


@dataclass(frozen=True)
class EvalResult:
    """Quality of a network on `n` samples (fractions in [0, 1]; None when not measurable)."""

    n: int
    top1: float | None
    """Share of samples whose top-1 class equals the label (None without labels)."""
    agreement: float | None
    """Share of samples whose top-1 class equals the reference model's (None without one)."""
    reference_top1: float | None
    """The reference model's top-1 accuracy on the same samples."""
    max_abs_diff: float | None
    """Largest absolute difference between this model's and the reference's first output."""
    source: str
    first_sample: int
    """Index of the first evaluated sample in the data (the calibration samples come before)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        parts = [f"{self.n} samples"]
        if self.top1 is not None:
            parts.append(f"top-1 {100 * self.top1:.2f} %")
        if self.reference_top1 is not None:
            parts.append(f"original top-1 {100 * self.reference_top1:.2f} %")
        if self.agreement is not None:
            parts.append(f"agreement with the original {100 * self.agreement:.2f} %")
        return ", ".join(parts)


def top1(outputs: np.ndarray) -> np.ndarray:
    """Class index per sample: argmax over all non-batch axes ([N,C] or [N,C,1,1])."""
    return outputs.reshape(outputs.shape[0], -1).argmax(axis=1)


def predictions(model: Module | OnnxRunner, x: np.ndarray, batch: int = 256, progress: Any = None) -> np.ndarray:
    """The first output of `model` for samples `x`, run in ONNX Runtime (`progress`: see
    `OnnxRunner.run_batched`)."""
    runner = model if isinstance(model, OnnxRunner) else OnnxRunner(model)
    return runner.run_batched(x, batch=batch, progress=progress)


def evaluate(module: Module, data: Dataset, reference: Module | None = None, batch: int = 256,
             progress: Any = None) -> EvalResult:
    """Run `module` (and `reference`) on `data` and compare (see the module docstring)."""
    if len(data) == 0:
        raise InputError("no samples to evaluate")
    out = predictions(module, data.x, batch, progress)
    pred = top1(out)
    acc = float(np.mean(pred == data.y)) if data.y is not None else None
    agreement = ref_acc = diff = None
    if reference is not None:
        ref_out = predictions(reference, data.x, batch, progress)
        ref_pred = top1(ref_out)
        agreement = float(np.mean(pred == ref_pred))
        ref_acc = float(np.mean(ref_pred == data.y)) if data.y is not None else None
        if ref_out.shape == out.shape:
            diff = float(np.max(np.abs(out.astype(np.float64) - ref_out.astype(np.float64))))
    return EvalResult(len(data), acc, agreement, ref_acc, diff, data.source, data.offset)


def dataset_for_module(path: str, module: Module) -> Dataset:
    """Data at `path` adapted to the single input of `module`'s top graph."""
    graph = module.top_graph
    if len(graph.inputs) != 1:
        raise InputError(f"--data feeds one model input; the model has {len(graph.inputs)}")
    (x,) = graph.inputs
    if not isinstance(x.type, TensorType):
        raise InputError(f"model input '{x.name}' is not a tensor")
    return load_dataset(path, x.type, x.name or "input")


def report_network_quality(ctx: Any, module: Module) -> EvalResult | None:
    """Evaluate `module` against `ctx.original` on `ctx.options["data"]` (None without data).

    Skips the samples the passes used (`ctx.samples_seen`: calibration, search, verification,
    training), and at least `ctx.options["calib"]` (default `DEFAULT_CALIB`), then evaluates
    `ctx.options["eval"]` samples (default: the rest). When the data is too small to leave any
    sample, all samples are evaluated and the report says so.
    """
    path = ctx.options.get("data")
    if not path or module.top is None or module.top_graph.kind != "nn":
        return None
    data = dataset_for_module(str(path), module)
    calib = ctx.options.get("calib")
    seen = max(DEFAULT_CALIB if calib is None else int(calib), int(getattr(ctx, "samples_seen", 0)))
    eval_count = ctx.options.get("eval")
    note = ""
    if seen >= len(data):
        evaluated = data if eval_count is None else data.slice(0, int(eval_count))
        note = (f"the data has only {len(data)} samples and the passes used the first {seen}: "
                "evaluated on all of them, not held out")
    else:
        _, evaluated = data.split(seen, None if eval_count is None else int(eval_count))
        note = f"held out: samples {seen} to {seen + len(evaluated) - 1}, which no pass used"
    result = evaluate(module, evaluated, reference=ctx.original, progress=getattr(ctx, "progress", None))
    entry = result.to_dict()
    if note:
        entry["note"] = note
    ctx.report["network_quality"] = entry
    ctx.log(f"network quality: {result.summary()}" + (f" ({note})" if note else ""))
    return result
