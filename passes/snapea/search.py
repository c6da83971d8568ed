"""Algorithm 1 of SnaPEA: predictive parameters (Th, N) per kernel under an accuracy budget.

Choices the paper leaves open, as made here:

- error: the drop of top-1 accuracy against the labels relative to the exact-mode network on
  the same samples (without labels: the share of samples whose top-1 class changes);
  a configuration is acceptable when error <= epsilon;
- candidate grid: N in `n_grid` (capped at the kernel size) and, for each N, thresholds at the
  quantiles `quantiles` of the kernel's speculative partial sums over the profiled windows, so
  that a threshold at quantile q predicts about a share q of the windows zero; thresholds are
  tried from the mildest up and the first unacceptable one ends that N (error grows with Th);
- exact mode is every kernel's last candidate (a dedicated sentinel, not (0, 1));
- layers on approximate multipliers stay in exact mode: their speculative partial sum would have
  to go through f on a masked kernel, which the emitted network cannot express;
- the comparison is `<=` (Eq. 3.1) both for the threshold and for the exact sign check;
- data: kernels are profiled and layers configured on the first `profile_samples` calibration
  samples, the global pass checks the whole calibration slice, MAC counts come from
  `ops_samples` samples; the caller verifies the result on a disjoint slice;
- local pass: configuration t sets every kernel of the layer to its t-th candidate (its last,
  exact, when it has fewer), as the prose describes, for t < `max_configs`;
- global pass: merit -Δerr/Δops over the layers' remaining configurations (a configuration that
  lowers the error without adding MACs has infinite merit); when no configuration is left the
  layer with the largest error falls back to exact mode;
- reclaim (our addition): once within budget, each layer in turn tries its configurations with
  fewer MACs than its current one, most aggressive first, and keeps the first that stays within
  budget. The global pass can overshoot when it swaps a whole layer's configuration; this takes
  back what the budget still allows, so a larger budget never ends with more MACs for the same
  candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from axc.runtime.snapea.order import LayerPlan, exact_plan, kernel_order, predictive_plan
from axc.runtime.snapea.windows import im2col, simulate_layer

from .network import ConvLayer
from .probe import NetworkProbe

__all__ = ["SearchOptions", "SearchResult", "search"]


@dataclass(frozen=True)
class SearchOptions:
    """Knobs of the search (see the module docstring)."""

    epsilon: float
    n_grid: tuple[int, ...] = (1, 2, 4, 8, 16)
    quantiles: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.45, 0.6)
    profile_samples: int = 1000
    ops_samples: int = 32
    max_configs: int = 8


@dataclass
class SearchResult:
    """Chosen plan per layer, the calibration error reached, and the search log."""

    plans: list[LayerPlan]
    error: float
    evaluations: int
    log: list[str] = field(default_factory=list)


class _Scorer:
    def __init__(self, probe: NetworkProbe, x: np.ndarray, y: np.ndarray | None) -> None:
        self.probe, self.x, self.y = probe, x, y
        self.base, _ = probe.run(probe.exact, x)
        self.base_acc = float(np.mean(self.base == y)) if y is not None else 1.0
        self.evaluations = 0

    def error(self, plans: list[LayerPlan]) -> float:
        self.evaluations += 1
        pred, _ = self.probe.run(plans, self.x)
        if self.y is not None:
            return self.base_acc - float(np.mean(pred == self.y))
        return float(np.mean(pred != self.base))


def _kernel_ops(cols: np.ndarray, w: np.ndarray, b: float, order: tuple, th: float) -> float:
    perm, n_spec, pos_end = order
    plan = LayerPlan(perm[None, :], np.array([n_spec]), np.array([th]), np.array([pos_end]))
    return simulate_layer(cols, w[None, :], np.array([b]), plan).macs / cols.shape[0]


def _profile_layer(layer: ConvLayer, cols: np.ndarray, li: int, scorer: _Scorer, exact: list[LayerPlan],
                   opts: SearchOptions) -> list[list[tuple[float, int, float]]]:
    """Per kernel: acceptable (th, n, ops per image) sorted by ops; exact last."""
    flat = layer.weight.reshape(layer.kernels, -1)
    per_kernel = []
    for k in range(layer.kernels):
        w, b = flat[k], float(layer.bias[k])
        exact_order = kernel_order(w, 0)
        entries = [(np.nan, 0, _kernel_ops(cols, w, b, exact_order, 0.0))]
        for n in sorted({min(n, w.size) for n in opts.n_grid}):
            order = kernel_order(w, n)
            spec = order[0][: order[1]]
            partial = b + cols[:, :, spec].astype(np.float64) @ w[spec].astype(np.float64)
            for q in opts.quantiles:
                th = float(np.quantile(partial, q))
                plans = list(exact)
                single = exact_plan(layer.weight)
                single.perm[k], single.n_spec[k], single.pos_end[k] = order
                single.threshold[k] = th
                plans[li] = single
                if scorer.error(plans) > opts.epsilon:
                    break
                entries.append((th, n, _kernel_ops(cols, w, b, order, th)))
        exact_entry = entries.pop(0)
        entries.sort(key=lambda e: e[2])
        per_kernel.append([*entries, exact_entry])
    return per_kernel


def _layer_plan(layer: ConvLayer, choices: list[tuple[float, int, float]]) -> LayerPlan:
    n = np.array([c[1] for c in choices])
    th = np.array([0.0 if c[1] == 0 else c[0] for c in choices])
    return predictive_plan(layer.weight, n, th)


def search(probe: NetworkProbe, x: np.ndarray, y: np.ndarray | None, opts: SearchOptions,
           progress: Callable[[str], None] | None = None) -> SearchResult:
    """Run kernel profiling, the local and the global pass on calibration samples `x` (`y`)."""
    say = progress or (lambda _msg: None)
    log: list[str] = []
    exact = list(probe.exact)
    profile = _Scorer(probe, x[: opts.profile_samples], None if y is None else y[: opts.profile_samples])
    _, acts = probe.run(exact, x[: opts.ops_samples], activations=True)
    layer_configs: list[list[tuple[LayerPlan, float, float]]] = []
    for li, layer in enumerate(probe.layers):
        if not layer.predictive_ok:
            log.append(f"{layer.name}: approximate multiplier, kept in exact mode")
            layer_configs.append([(exact[li], 0.0, 0.0)])
            continue
        cols, _ = im2col(acts[li], layer.weight.shape[2:], layer.strides, layer.pads, layer.dilations)
        say(f"profiling {layer.name} ({layer.kernels} kernels)")
        per_kernel = _profile_layer(layer, cols, li, profile, exact, opts)
        t_max = min(opts.max_configs, max(len(p) for p in per_kernel))
        configs = []
        for t in range(t_max):
            choice = [p[min(t, len(p) - 1)] for p in per_kernel]
            if all(c[1] == 0 for c in choice):
                continue
            plan = _layer_plan(layer, choice)
            plans = list(exact)
            plans[li] = plan
            err = profile.error(plans)
            ops = float(sum(c[2] for c in choice))
            if err <= opts.epsilon:
                configs.append((plan, ops, err))
        exact_ops = float(sum(p[-1][2] for p in per_kernel))
        configs.sort(key=lambda c: c[1])
        configs.append((exact[li], exact_ops, 0.0))
        log.append(f"{layer.name}: {len(configs) - 1} predictive configurations within budget")
        layer_configs.append(configs)

    full = _Scorer(probe, x, y)
    current = [configs[0] for configs in layer_configs]
    remaining = [configs[1:] for configs in layer_configs]
    err = full.error([c[0] for c in current])
    say(f"global pass: calibration error {err:.4f} (budget {opts.epsilon})")
    while err > opts.epsilon:
        best, best_merit = None, -np.inf
        for li, options in enumerate(remaining):
            for t, cand in enumerate(options):
                d_err = cand[2] - current[li][2]
                d_ops = cand[1] - current[li][1]
                if d_err >= 0:
                    continue
                merit = np.inf if d_ops <= 0 else -d_err / d_ops
                if merit > best_merit:
                    best, best_merit = (li, t), merit
        if best is None:
            li = int(np.argmax([c[2] for c in current]))
            current[li] = layer_configs[li][-1]
            remaining[li] = []
            if all(c[0] is e for c, e in zip(current, exact)):
                err = 0.0
                break
        else:
            li, t = best
            current[li] = remaining[li].pop(t)
        err = full.error([c[0] for c in current])
        log.append(f"global: {probe.layers[li].name} -> {current[li][1]:.0f} MACs/image, error {err:.4f}")
    for li, configs in enumerate(layer_configs):
        for cand in configs:
            if cand[1] >= current[li][1]:
                break
            trial = [c[0] for c in current]
            trial[li] = cand[0]
            trial_err = full.error(trial)
            if trial_err <= opts.epsilon:
                current[li], err = cand, trial_err
                log.append(f"reclaim: {probe.layers[li].name} -> {cand[1]:.0f} MACs/image, error {err:.4f}")
                break
    return SearchResult([c[0] for c in current], err, profile.evaluations + full.evaluations, log)
