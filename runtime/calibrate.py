"""Activation statistics of a float network on calibration data, measured in ONNX Runtime.

`observe_values(module, values, samples)` exposes the chosen intermediate values of the top
graph as extra outputs, emits the model through the ONNX backend, runs the samples through ONNX
Runtime and feeds each value's tensors to an `ActivationObserver`. The module is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from axc.ir import InputError, Module, Value

from .onnx_run import OnnxRunner
from .quant import ActivationObserver

__all__ = ["observe_values"]


def observe_values(
    module: Module,
    values: Sequence[Value],
    samples: np.ndarray,
    batch: int = 64,
    progress: Callable[[Iterable[int], str, int], Iterable[int]] | None = None,
    make_observer: Callable[[Value], Any] | None = None,
) -> dict[Value, Any]:
    """Observers of `values` (of the top graph) over `samples` fed to the graph's first input:
    `ActivationObserver`s, or what `make_observer(value)` makes (anything with `observe(array)`
    and a `counts` that is None until it has seen data)."""
    g = module.top_graph
    if len(g.inputs) != 1:
        raise InputError(f"calibration feeds one input; graph @{g.name} has {len(g.inputs)}")
    old_values, old_names = g.outputs, g.output_names
    taken = set(old_names) | {v.name for v in g.inputs if v.name}
    extra_names = []
    for i, v in enumerate(values):
        name = f"axc_calib_{i}_{v.name or 'value'}"
        while name in taken:
            name += "_"
        taken.add(name)
        extra_names.append(name)
    g.set_outputs([*old_values, *values], [*old_names, *extra_names])
    try:
        runner = OnnxRunner(module)
    finally:
        g.set_outputs(old_values, old_names)
    dim = runner.batch_dim()
    step = dim if isinstance(dim, int) else batch
    observers = {v: make_observer(v) if make_observer else ActivationObserver() for v in values}
    starts = range(0, len(samples), step)
    if progress is not None:
        starts = progress(starts, "calibrating", len(starts))
    feed_name = runner.input_names[0]
    want = runner.output_names[len(old_values):]
    for start in starts:
        chunk = samples[start : start + step]
        if isinstance(dim, int) and len(chunk) != dim:
            break
        outs = runner.session.run(want, {feed_name: chunk.astype(np.float32, copy=False)})
        for v, out in zip(values, outs):
            observers[v].observe(out)
    for v, obs in observers.items():
        if obs.counts is None:
            raise InputError(f"no calibration sample reached value %{v.name}")
    return observers
