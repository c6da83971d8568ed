"""The error of a clocked design, measured at its primary outputs over cycles and traces.

Both designs run on the same stimulus (`axc.runtime.cyclesim`: each bit lane of a machine word
is an independent trace, registers start at their init values, reset inputs are asserted in
the first cycle). Every (cycle, trace) pair is one sample of the metric, read from all primary
output bits as one number (first port least significant, as for combinational circuits):

* a single output port declared signed is read in two's complement, others as unsigned;
* the estimate is the mean over all samples: per-cycle metrics averaged over cycles;
* the bound is a one-sided 99 % upper confidence bound from the per-trace means (traces are
  independent; cycles of one trace are not): mean + z·s/√traces;
* `wce` is the largest error seen on the samples: for clocked designs it is sampled, not proven;
* the profile gives the mean error per tenth of the cycles, so error that accumulates through
  feedback (an accumulator) shows as a rising profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from axc.ir import InputError
from axc.ir.views import ClockedCore
from axc.runtime.cyclesim import CycleSimulator, CycleTrace, Stimulus

__all__ = ["ClockedError", "ClockedReference", "PROFILE_WINDOWS"]

PROFILE_WINDOWS = 10
_Z = 2.3263478740408408  # one-sided 99 %
_MAX_NUMERIC_BITS = 62


@dataclass(frozen=True)
class ClockedError:
    """A clocked design's measured error at the primary outputs."""

    metric: str
    estimate: float
    bound: float
    worst: float
    """The largest per-sample error (normalised), whatever the metric."""
    worst_cycle: float
    """The largest per-cycle mean of the metric."""
    cycles: int
    traces: int
    seed: int | None
    threshold: float
    source: str = ""
    """The stimulus, in words."""
    profile: tuple[float, ...] = field(default=())

    @property
    def holds(self) -> bool:
        return self.bound <= self.threshold * (1 + 1e-12)

    def describe(self) -> str:
        rise = (f"; by tenth of the cycles {' '.join(f'{p:.3g}' for p in self.profile)}"
                if self.profile else "")
        how = "largest seen (sampled, not proven)" if self.metric == "wce" else "99 % upper bound"
        return (f"{self.metric} {self.estimate:.4g} ({how} {self.bound:.4g}) over {self.source}; "
                f"worst sample {self.worst:.4g}{rise}")

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "estimate": self.estimate, "bound": self.bound, "holds": self.holds,
                "threshold": self.threshold, "worst_sample": self.worst, "worst_cycle_mean": self.worst_cycle,
                "cycles": self.cycles, "traces": self.traces, "seed": self.seed, "stimulus": self.source,
                "method": ("largest error on the sampled cycles and traces (not proven)" if self.metric == "wce"
                           else "mean over cycles and traces; one-sided 99 % upper confidence bound from the "
                                "per-trace means (normal approximation)"),
                "profile_by_tenth_of_cycles": list(self.profile)}


class ClockedReference:
    """The exact clocked design simulated once on a stimulus; `measure` compares a changed
    design (the same interface) against it."""

    def __init__(self, exact: ClockedCore, stimulus: Stimulus, seed: int | None = None) -> None:
        self.exact, self.stimulus, self.seed = exact, stimulus, seed
        self.cycles, self.traces = stimulus.n_cycles, stimulus.n_traces
        self.outputs = exact.output_ports
        width = sum(w for _, w in self.outputs)
        if width == 0:
            raise InputError("the clocked design has no primary outputs to measure")
        self.width = width
        signed_ports = exact.core.top_graph.attributes.get("signed_ports", ())
        self.signed = len(self.outputs) == 1 and self.outputs[0][0] in signed_ports
        self.gold = CycleSimulator(exact).run(self.stimulus)

    def measure(self, design: ClockedCore, metric: str, threshold: float) -> ClockedError:
        """The error of `design` (a bit-level cut with the same ports) against the exact one."""
        trace = CycleSimulator(design).run(self.stimulus)
        samples = self._samples(trace, metric)
        per_trace = samples.mean(axis=0)
        estimate = float(samples.mean()) if metric != "wce" else float(samples.max())
        if metric == "mre":
            estimate, per_trace = self._relative_mean(trace)
        if metric == "wce":
            bound = estimate
        else:
            spread = float(per_trace.std(ddof=1)) if per_trace.size > 1 else 0.0
            bound = estimate + _Z * spread / math.sqrt(per_trace.size)
        per_cycle = samples.mean(axis=1)
        windows = np.array_split(per_cycle, min(PROFILE_WINDOWS, per_cycle.size))
        worst = float(self._samples(trace, "mae").max()) if self.width <= _MAX_NUMERIC_BITS else float(samples.max())
        return ClockedError(metric, estimate, bound, worst, float(per_cycle.max()), self.cycles, self.traces,
                            self.seed, threshold, self.stimulus.describe(), tuple(float(w.mean()) for w in windows))

    def _numbers(self, trace: CycleTrace) -> np.ndarray:
        """The output as numbers (a single signed port is read in two's complement)."""
        if self.signed:
            return trace.port_values(self.outputs[0][0], signed=True).astype(np.float64)
        return self._values(trace).astype(np.float64)

    def _values(self, trace: CycleTrace) -> np.ndarray:
        total = np.zeros((self.cycles, self.traces), dtype=np.uint64)
        shift = 0
        for name, width in self.outputs:
            total |= trace.port_values(name).astype(np.uint64) << np.uint64(shift)
            shift += width
        return total

    def _samples(self, trace: CycleTrace, metric: str) -> np.ndarray:
        """The per-(cycle, trace) error, normalised, shape (cycles, traces)."""
        if self.width > _MAX_NUMERIC_BITS:
            if metric not in ("hd", "er"):
                raise InputError(f"clocked designs with more than {_MAX_NUMERIC_BITS} output bits are measured "
                                 f"with hd or er, not {metric}")
            return self._bit_samples(trace, metric)
        exact, approx = self._values(self.gold), self._values(trace)
        if metric == "hd":
            return np.bitwise_count(exact ^ approx).astype(np.float64) / self.width
        if metric == "er":
            return (exact != approx).astype(np.float64)
        exact, approx = self._numbers(self.gold), self._numbers(trace)
        diff = np.abs(exact - approx)
        scale = 2.0 ** self.width
        if metric == "mse":
            return (diff / scale) ** 2
        if metric == "mre":
            return np.where(exact != 0, diff / np.maximum(np.abs(exact), 1.0), 0.0)
        return diff / scale

    def _relative_mean(self, trace: CycleTrace) -> tuple[float, np.ndarray]:
        exact = self._numbers(self.gold)
        rel = np.abs(exact - self._numbers(trace)) / np.maximum(np.abs(exact), 1.0)
        nonzero = exact != 0
        count = nonzero.sum(axis=0)
        per_trace = np.where(count > 0, (rel * nonzero).sum(axis=0) / np.maximum(count, 1), 0.0)
        return float((rel * nonzero).sum() / max(1, int(nonzero.sum()))), per_trace

    def _bit_samples(self, trace: CycleTrace, metric: str) -> np.ndarray:
        differ = self.gold.outputs ^ trace.outputs  # (cycles, bits, words)
        bits = np.unpackbits(differ.view(np.uint8), axis=2, bitorder="little")[:, :, :self.traces]
        if metric == "er":
            return bits.any(axis=1).astype(np.float64)
        return bits.sum(axis=1, dtype=np.float64) / self.width
