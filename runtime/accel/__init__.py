"""Cycle-level accelerator models: SnaPEA and an Eyeriss-like baseline (same MACs, same memory)."""

from __future__ import annotations

from .energy import ENERGY_PJ_PER_BIT, EnergyTable
from .eyeriss import EyerissConfig, simulate_eyeriss
from .snapea_array import SnapeaConfig, simulate_snapea
from .workload import LayerResult, LayerWork

__all__ = [
    "ENERGY_PJ_PER_BIT", "EnergyTable", "EyerissConfig", "LayerResult", "LayerWork",
    "SnapeaConfig", "simulate_eyeriss", "simulate_snapea",
]
