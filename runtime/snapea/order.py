"""Per-kernel MAC orders for SnaPEA.

A kernel is one output channel's flattened weight vector w (C_in x kh x kw values) plus its bias.
The bias is the initial partial sum. Orders (decisions where the paper is silent):

- exact mode: positive weights first (largest first), then negative weights most-negative first,
  then zero weights. Once every positive weight has been applied, each further product is <= 0
  for non-negative inputs, so a partial sum <= 0 at that point or after any later MAC proves the
  ReLU output is 0: the window stops there. Lossless by construction.
- predictive mode with N groups and threshold Th: the weights sorted by ascending signed value are
  cut into N contiguous groups of near-equal size (`numpy.array_split`); the largest-magnitude
  weight of each group is computed first (the speculative prefix). If the partial sum after those
  N MACs is <= Th (the `<=` of Eq. 3.1), the output is predicted 0. Otherwise the remaining
  positives, then the remaining negatives (most negative first), then zeros follow, with the exact
  sign check once no positive weight is left.

`LayerPlan` holds the orders of all kernels of one layer as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from axc.ir import Op

__all__ = ["LayerPlan", "exact_plan", "kernel_order", "plan_from_op", "predictive_plan"]


@dataclass
class LayerPlan:
    """MAC orders of one conv layer.

    `perm[k]` is the order in which kernel k visits its flattened weights; `n_spec[k]` the length
    of its speculative prefix (0 in exact mode); `threshold[k]` its Th; `pos_end[k]` the number of
    MACs after which no positive weight is left (where exact sign checks start).
    """

    perm: np.ndarray
    n_spec: np.ndarray
    threshold: np.ndarray
    pos_end: np.ndarray

    @property
    def n_kernels(self) -> int:
        return int(self.perm.shape[0])

    @property
    def predictive(self) -> np.ndarray:
        return self.n_spec > 0

    def with_kernel(self, k: int, other: LayerPlan, k_other: int | None = None) -> LayerPlan:
        """A copy with kernel k's order taken from `other` (kernel `k_other`, default k)."""
        j = k if k_other is None else k_other
        plan = LayerPlan(self.perm.copy(), self.n_spec.copy(), self.threshold.copy(), self.pos_end.copy())
        plan.perm[k], plan.n_spec[k] = other.perm[j], other.n_spec[j]
        plan.threshold[k], plan.pos_end[k] = other.threshold[j], other.pos_end[j]
        return plan


def _sign_order(w: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, int]:
    vals = w[idx]
    pos = idx[vals > 0]
    neg = idx[vals < 0]
    zero = idx[vals == 0]
    pos = pos[np.argsort(-w[pos], kind="stable")]
    neg = neg[np.argsort(w[neg], kind="stable")]
    return np.concatenate([pos, neg, zero]), int(pos.size)


def kernel_order(w: np.ndarray, n_groups: int = 0) -> tuple[np.ndarray, int, int]:
    """(order, speculative prefix length, MACs until no positive weight is left) for one kernel."""
    w = np.asarray(w).ravel()
    everything = np.arange(w.size)
    if n_groups <= 0:
        order, n_pos = _sign_order(w, everything)
        return order, 0, n_pos
    n_groups = min(n_groups, w.size)
    ascending = np.argsort(w, kind="stable")
    spec = np.array([g[np.argmax(np.abs(w[g]))] for g in np.array_split(ascending, n_groups)], dtype=np.int64)
    rest_mask = np.ones(w.size, dtype=bool)
    rest_mask[spec] = False
    rest, n_pos = _sign_order(w, everything[rest_mask])
    return np.concatenate([spec, rest]), int(spec.size), int(spec.size) + n_pos


def exact_plan(weights: np.ndarray) -> LayerPlan:
    """Exact-mode orders for weights of shape [K, ...]."""
    return predictive_plan(weights, np.zeros(weights.shape[0], dtype=np.int64), np.zeros(weights.shape[0]))


def predictive_plan(weights: np.ndarray, n_groups: np.ndarray, thresholds: np.ndarray) -> LayerPlan:
    """Orders for weights [K, ...] with N groups and Th per kernel (N = 0: exact mode)."""
    flat = np.asarray(weights).reshape(weights.shape[0], -1)
    k, d = flat.shape
    perm = np.empty((k, d), dtype=np.int64)
    n_spec = np.zeros(k, dtype=np.int64)
    pos_end = np.zeros(k, dtype=np.int64)
    for i in range(k):
        perm[i], n_spec[i], pos_end[i] = kernel_order(flat[i], int(n_groups[i]))
    return LayerPlan(perm, n_spec, np.asarray(thresholds, dtype=np.float64).copy(), pos_end)


def plan_from_op(op: Op) -> LayerPlan:
    """The `LayerPlan` recorded on an `approx.early_relu` op."""
    return LayerPlan(np.asarray(op.attr("order").array, dtype=np.int64),
                     np.asarray(op.attr("n_spec").array, dtype=np.int64),
                     np.asarray(op.attr("threshold").array, dtype=np.float64),
                     np.asarray(op.attr("pos_end").array, dtype=np.int64))
