"""SnaPEA: weight reordering for early ReLU termination (exact and predictive modes).

`order` builds per-kernel MAC orders; `windows` replays them over the real input windows of a
layer and counts the MACs each window executes; `search` finds predictive (Th, N) parameters
with Algorithm 1 of the SnaPEA paper.
"""

from __future__ import annotations

from .order import LayerPlan, exact_plan, predictive_plan
from .windows import WindowStats, im2col, simulate_layer

__all__ = ["LayerPlan", "WindowStats", "exact_plan", "im2col", "predictive_plan", "simulate_layer"]
