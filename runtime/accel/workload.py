"""What an accelerator model runs: one layer's shape and its real per-window MAC counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LayerResult", "LayerWork"]


@dataclass
class LayerWork:
    """One conv (or fully connected, as a 1x1 conv on a 1x1 map) layer over a batch.

    `ops` [B, K, oh*ow] are the MACs each window executes (None: dense, every window runs all
    `C*kh*kw` MACs). `in_shape` is (C, H, W) of one image's input.
    """

    name: str
    kernels: int
    in_shape: tuple[int, int, int]
    kernel: tuple[int, int]
    out_hw: tuple[int, int]
    batch: int
    stride: tuple[int, int] = (1, 1)
    ops: np.ndarray | None = None
    is_first: bool = False
    is_last: bool = False

    @property
    def depth(self) -> int:
        """MACs of one window (C * kh * kw)."""
        return self.in_shape[0] * self.kernel[0] * self.kernel[1]

    @property
    def windows(self) -> int:
        return self.out_hw[0] * self.out_hw[1]

    @property
    def dense_macs(self) -> int:
        return self.batch * self.kernels * self.windows * self.depth

    @property
    def executed_macs(self) -> int:
        return self.dense_macs if self.ops is None else int(self.ops.sum(dtype=np.int64))

    def window_ops(self) -> np.ndarray:
        """[B, K, oh, ow] MACs per window (dense when `ops` is None)."""
        shape = (self.batch, self.kernels, *self.out_hw)
        if self.ops is None:
            return np.full(shape, self.depth, dtype=np.int64)
        return self.ops.reshape(shape).astype(np.int64)


@dataclass
class LayerResult:
    """Cycles, time and energy of one layer on one accelerator model."""

    name: str
    cycles: int
    time_s: float
    energy_pj: dict[str, float]
    macs: int
    dense_macs: int
    utilization: float
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def total_energy_pj(self) -> float:
        return float(sum(self.energy_pj.values()))
