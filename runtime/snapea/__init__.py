"""SnaPEA: weight reordering for early ReLU termination (exact and predictive modes).

`order` builds per-kernel MAC orders (and reads them back from `approx.early_relu` ops);
`windows` replays them over the real input windows of a layer and counts the MACs each window
executes. The search for predictive parameters is pass code: `axc.passes.snapea`.
"""

from __future__ import annotations

from .order import LayerPlan, exact_plan, plan_from_op, predictive_plan
from .windows import WindowStats, im2col, simulate_layer

__all__ = ["LayerPlan", "WindowStats", "exact_plan", "im2col", "plan_from_op", "predictive_plan",
           "simulate_layer"]
