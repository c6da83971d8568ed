"""Running a network with any SnaPEA configuration, and counting the MACs it executes.

`NetworkProbe` holds one ONNX Runtime session of the instrumented network (see
`network.instrument`). A configuration is a `LayerPlan` per layer; the probe turns each plan into
the masked speculative kernel and thresholds the session takes as inputs, runs the samples and
returns the top-1 predictions and, on request, every layer's real input activations, from which
`count_macs` replays the plans window by window.

Models with a fixed batch size of 1 (mnist-8) are re-batched for the probe only
(`axc.ir.network.rebatch`); the probe checks on the first samples that this changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from axc.ir import InputError, Module
from axc.ir.network import rebatch
from axc.runtime.onnx_run import OnnxRunner
from axc.runtime.snapea.order import LayerPlan, exact_plan
from axc.runtime.snapea.windows import im2col, simulate_layer

from .network import ConvLayer, instrument

__all__ = ["NetworkProbe"]


class NetworkProbe:
    """One session over the instrumented network; runs configurations on samples."""

    def __init__(self, module: Module, layers: list[ConvLayer], batch: int = 256) -> None:
        self.layers = layers
        self.batch = batch
        probe_module, self.exposed = instrument(module, layers)
        self.rebatched = rebatch(probe_module)
        self.runner = OnnxRunner(probe_module)
        self.input_name = module.top_graph.inputs[0].name
        self.exact = [exact_plan(layer.weight) for layer in layers]
        if self.rebatched:
            self.batch_check = OnnxRunner(module)

    def feeds(self, plans: list[LayerPlan]) -> dict[str, np.ndarray]:
        """The session inputs that realise `plans` (one per layer)."""
        out: dict[str, np.ndarray] = {}
        for i, (layer, plan) in enumerate(zip(self.layers, plans)):
            if not layer.predictive_ok:
                continue
            flat = layer.weight.reshape(layer.kernels, -1)
            mask = np.zeros_like(flat, dtype=bool)
            for k in range(layer.kernels):
                mask[k, plan.perm[k, : plan.n_spec[k]]] = True
            th = np.where(plan.n_spec > 0, plan.threshold, -np.inf).astype(np.float32)
            out[f"snapea{i}.spec_w"] = np.where(mask, flat, 0).reshape(layer.weight.shape).astype(np.float32)
            out[f"snapea{i}.th"] = th.reshape(1, -1, 1, 1)
        return out

    def _chunks(self, x: np.ndarray) -> Iterator[np.ndarray]:
        for start in range(0, len(x), self.batch):
            yield x[start : start + self.batch]

    def run(self, plans: list[LayerPlan], x: np.ndarray, activations: bool = False
            ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Top-1 predictions for samples `x` under `plans`, and the layers' inputs if asked."""
        consts = self.feeds(plans)
        preds, acts = [], [[] for _ in self.layers]
        names = [self.runner.output_names[0], *(self.exposed if activations else [])]
        for chunk in self._chunks(x):
            outs = self.runner.session.run(names, {self.input_name: chunk, **consts})
            preds.append(outs[0].reshape(len(chunk), -1).argmax(axis=1))
            for i, a in enumerate(outs[1:]):
                acts[i].append(a)
        pred = np.concatenate(preds)
        return pred, ([np.concatenate(a) for a in acts] if activations else None)

    def check_rebatching(self, x: np.ndarray, samples: int = 4) -> None:
        """Raise InputError if the re-batched probe disagrees with the original network."""
        if not self.rebatched:
            return
        want = self.batch_check.run_batched(x[:samples])
        consts = self.feeds(self.exact)
        got = self.runner.session.run([self.runner.output_names[0]], {self.input_name: x[:samples], **consts})[0]
        if not np.allclose(want.reshape(got.shape), got, rtol=1e-4, atol=1e-4):
            raise InputError("cannot batch this fixed-batch network for the SnaPEA search")

    def count_macs(self, plans: list[LayerPlan], activations: list[np.ndarray], chunk: int = 64
                   ) -> list[tuple[int, int, np.ndarray | None]]:
        """Per layer (executed MACs, dense MACs, per-window ops of the first chunk)."""
        results = []
        for layer, plan, act in zip(self.layers, plans, activations):
            executed = dense = 0
            first = None
            integer = layer.integer
            for start in range(0, len(act), chunk):
                part = act[start : start + chunk]
                if integer is None:
                    cols, _ = im2col(part, layer.weight.shape[2:], layer.strides, layer.pads, layer.dilations)
                    stats = simulate_layer(cols, layer.weight, layer.bias, plan)
                else:
                    cols, _ = im2col(integer.quantize(part), layer.weight.shape[2:], layer.strides,
                                     layer.pads, layer.dilations, pad_value=integer.x_zero)
                    stats = simulate_layer(cols, integer.w_int, integer.bias, plan, integer.products())
                executed += stats.macs
                dense += stats.ops.size * layer.depth
                if first is None:
                    first = stats.ops
            results.append((executed, dense, first))
        return results
