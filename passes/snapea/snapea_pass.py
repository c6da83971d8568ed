"""The `snapea` pass: weight reordering for early ReLU termination (SnaPEA, ISCA 2018).

Implementation notes (the choices the paper leaves open are listed in
`axc.runtime.snapea.order` and `axc.passes.snapea.search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from axc.ir import DenseArray, InputError, Module
from axc.ir.dialects import approx
from axc.ir.rewrite import Builder
from axc.runtime.accel.network import simulate_network
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.snapea.order import LayerPlan

from ..infra.base import ModulePass, PassContext, PassResult
from .network import ConvLayer, find_layers
from .probe import NetworkProbe
from .search import SearchOptions, search

__all__ = ["SnapeaPass"]


@dataclass(frozen=True)
class SnapeaPass(ModulePass):
    """Reorder conv weights so that ReLU outputs can stop early (SnaPEA).

    Applies to 2-D convolutions (bias and per-channel Mul/Add such as folded BatchNorm allowed)
    whose output goes straight into a ReLU and whose input is provably non-negative (a ReLU,
    pooling or shape op of non-negative values, or a graph input that `--data` shows to be
    non-negative). Every other conv is listed in the report with the reason.

    Composition: after `quantize` the order acts on the integer products (their float form has the
    same signs); on `approx-mul`/`htp` layers it acts on the integer products f(x, w) the
    multiplier computes (zero-point terms of Eq. 9 folded in), and such a layer is used only when
    the multiplier's table gives products <= 0 for every activation >= 0 and weight <= 0 (else
    it is skipped, with the reason); it then stays in exact mode even when others are predictive.

    Exact mode (`accuracy_loss=0`): per output channel, the bias is the initial partial sum,
    positive weights come first, then negative weights most-negative first; once no positive
    weight is left, a partial sum <= 0 stops the window. Outputs are identical to the original.
    Predictive mode (`accuracy_loss>0`, needs `--data`): per kernel a threshold Th and a group
    count N are found by Algorithm 1 on the first `calib` samples and verified on the next
    `verify` samples; the window output is 0 when the partial sum of the N speculative weights is
    <= Th. The ReLU becomes an `approx.early_relu` op holding the orders, N, Th and the measured
    MAC savings; `lower-approx` emits it as standard ops (predictive layers as
    `relu * (speculative conv > Th)`), so ONNX Runtime measures the real accuracy.
    """

    name: ClassVar[str] = "snapea"
    accuracy_loss: float = 0.0
    """Accepted top-1 accuracy drop as a fraction (0.01 = 1 point); 0 selects exact mode."""
    data: str | None = None
    """Samples (`--data`): checks input signs, measures MACs, calibrates predictive mode."""
    calib: int | None = None
    """Calibration samples (default: 80 % of the data, at most 8000)."""
    verify: int = 2000
    """Verification samples after the calibration slice (fewer when the data has fewer)."""
    simulate: int = 64
    """Samples (after the verification slice) run on the cycle-level SnaPEA array model to report
    the speedup and energy saving of early termination alone; 0 skips it."""
    profile_samples: int = 1000
    """Calibration samples used to profile kernels and layers (the global pass uses all)."""
    ops_samples: int = 32
    """Samples whose windows are replayed to count MACs during the search."""
    n_grid: tuple[int, ...] = (1, 2, 4, 8, 16)
    """Candidate group counts N per kernel."""
    quantiles: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.45, 0.6)
    """Candidate thresholds, as quantiles of a kernel's speculative partial sums."""
    max_configs: int = 8
    """Configurations per layer in the local pass (T of Algorithm 1)."""
    layers: tuple[str, ...] = ()
    """Only these conv layers (ONNX node names); empty: all eligible layers."""

    def requires(self, module: Module) -> None:
        if module.top is None or module.top_graph.kind != "nn":
            raise InputError("snapea works on networks (ONNX models); this module has no network graph")
        if not 0 <= self.accuracy_loss < 1:
            raise InputError(f"accuracy_loss must be in [0, 1), got {self.accuracy_loss}")
        if self.accuracy_loss > 0 and not self.data:
            raise InputError("snapea: predictive mode (accuracy_loss > 0) needs calibration data: give --data")

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        graph = module.top_graph
        dataset = None
        if self.data:
            dataset = dataset_for_module(self.data, module)
        nonneg = {v.name: bool(dataset is not None and np.min(dataset.x) >= 0) for v in graph.inputs}
        layers, skipped = find_layers(module, nonneg, ctx)
        if self.layers:
            skipped += [{"layer": lay.name, "reason": "not selected"} for lay in layers if lay.name not in self.layers]
            layers = [lay for lay in layers if lay.name in self.layers]
        if dataset is None:
            for entry in skipped:
                if entry["reason"] == "input is not provably non-negative":
                    entry["reason"] += " (no --data to check the graph input)"
        report: dict[str, Any] = {"mode": "predictive" if self.accuracy_loss > 0 else "exact",
                                  "skipped": skipped, "layers": []}
        ctx.report[self.name] = report
        for entry in skipped:
            ctx.log(f"snapea: {entry['layer']} skipped: {entry['reason']}")
        if not layers:
            why = "no conv+ReLU layer" if not skipped else "every conv+ReLU layer was skipped (reasons above)"
            ctx.log(f"snapea: nothing to do: {why}")
            report["total"] = {"macs_executed": 0, "macs_dense": 0, "fraction": 1.0}
            return PassResult(modified=False, stats={"layers": 0}, notes=[f"nothing to do: {why}"])
        probe = NetworkProbe(module, layers)
        plans = list(probe.exact)
        calib_x = calib_y = verify_x = verify_y = None
        if dataset is not None:
            probe.check_rebatching(dataset.x)
            n = len(dataset)
            calib = self.calib if self.calib is not None else min(5000, max(1, n // 2))
            calib = min(calib, n - 1) if n > 1 else n
            stop = min(n, calib + self.verify)
            if self.accuracy_loss > 0:  # the thresholds are fitted and checked on these samples
                ctx.saw_samples(stop)
            calib_x, verify_x = dataset.x[:calib], dataset.x[calib:stop]
            if dataset.y is not None:
                calib_y, verify_y = dataset.y[:calib], dataset.y[calib:stop]
        if self.accuracy_loss > 0:
            opts = SearchOptions(self.accuracy_loss, self.n_grid, self.quantiles, self.profile_samples,
                                 self.ops_samples, self.max_configs)
            result = search(probe, calib_x, calib_y, opts, progress=ctx.log)
            plans = result.plans
            report["search"] = {"calibration_error": result.error, "evaluations": result.evaluations,
                                "log": result.log, "calibration_samples": len(calib_x)}
        errors = self._measure(probe, plans, verify_x, verify_y, report)
        for layer, plan, entry in zip(layers, plans, report["layers"] or [{}] * len(layers)):
            _rewrite(module, layer, plan, entry, errors)
        total = report.get("total", {})
        summary = f"snapea: {len(layers)} layer(s) in {report['mode']} mode"
        if total.get("macs_dense"):
            summary += f", MACs executed {100 * total['fraction']:.1f} % of dense on {total['samples']} samples"
        ctx.log(summary)
        if dataset is not None and self.simulate > 0:
            report["simulated"] = self._simulate(ctx, module, stop)
        return PassResult(modified=True, stats={"layers": len(layers), **{k: v for k, v in total.items()}},
                          errors=errors)

    def _simulate(self, ctx: PassContext, module: Module, start: int) -> dict[str, Any]:
        """Early termination alone on the SnaPEA array model: the rewritten network against the
        same array with early termination off (`axc.runtime.accel.network`)."""
        sim = simulate_network(module, {"data": self.data, "calib": start, "sim_samples": self.simulate})
        total = sim["total"]
        entry = {"samples": sim["samples"], "early_termination_speedup": total["early_termination_speedup"],
                 "early_termination_energy_saving": total["early_termination_energy_saving"],
                 "cycles": total["cycles"], "dense_cycles": total["dense"]["cycles"]}
        ctx.log(f"snapea: on the SnaPEA array model ({sim['samples']} samples), early termination alone is "
                f"{entry['early_termination_speedup']:.2f}x faster and uses "
                f"{entry['early_termination_energy_saving']:.2f}x less energy")
        return entry

    def _measure(self, probe: NetworkProbe, plans: list[LayerPlan], x: np.ndarray | None,
                 y: np.ndarray | None, report: dict[str, Any]) -> dict[str, Any]:
        if x is None or len(x) == 0:
            report["layers"] = [{"layer": lay.name, "kernels": lay.kernels,
                                 "note": "no --data: MAC savings not measured"} for lay in probe.layers]
            return {}
        pred, acts = probe.run(plans, x, activations=True)
        base, _ = probe.run(probe.exact, x)
        errors: dict[str, Any] = {"verify_samples": len(x), "agreement": float(np.mean(pred == base))}
        if y is not None:
            errors["top1"] = float(np.mean(pred == y))
            errors["top1_exact_mode"] = float(np.mean(base == y))
            errors["accuracy_loss"] = errors["top1_exact_mode"] - errors["top1"]
        report["verification"] = errors
        executed_total = dense_total = 0
        for layer, plan, (executed, dense, _) in zip(probe.layers, plans, probe.count_macs(plans, acts)):
            report["layers"].append({
                "layer": layer.name, "kernels": layer.kernels,
                "mode": "predictive" if plan.n_spec.any() else "exact",
                "predictive_kernels": int((plan.n_spec > 0).sum()),
                "macs_executed": executed, "macs_dense": dense, "fraction": executed / max(1, dense),
            })
            executed_total += executed
            dense_total += dense
        report["total"] = {"macs_executed": executed_total, "macs_dense": dense_total,
                           "fraction": executed_total / max(1, dense_total), "samples": len(x)}
        return errors


def _rewrite(module: Module, layer: ConvLayer, plan: LayerPlan, entry: dict[str, Any], errors: dict) -> None:
    graph = module.top_graph
    relu = layer.relu
    attrs: dict[str, Any] = {
        "origin": "nn.relu",
        "error": {k: v for k, v in errors.items() if isinstance(v, float | int)},
        "conv": layer.name,
        "mode": "predictive" if plan.n_spec.any() else "exact",
        "order": DenseArray(plan.perm.astype(np.int32)),
        "n_spec": DenseArray(plan.n_spec.astype(np.int32)),
        "threshold": DenseArray(plan.threshold.astype(np.float32)),
        "pos_end": DenseArray(plan.pos_end.astype(np.int32)),
        "weight": DenseArray(layer.weight),
        "bias": DenseArray(layer.bias.astype(np.float32)),
        "strides": layer.strides, "pads": layer.pads, "dilations": layer.dilations,
    }
    if "fraction" in entry:
        attrs["macs_fraction"] = float(entry["fraction"])
    early = graph.create(approx.EarlyReluOp, [relu.operand(0), layer.conv.operand(0)], [relu.result.type], attrs,
                         relu.loc, [relu.result.name])
    Builder(graph).replace(relu, [early.result])
