"""An Eyeriss-like row-stationary baseline with the same MAC count and on-chip memory.

`pe_rows x pe_cols` PEs (16 x 16 = 256 MACs, one each), a global buffer (1.25 MB), 500 MHz.
Row-stationary mapping: a PE set of kh rows x E columns (E = output rows, folded to at most
pe_cols) computes one (kernel, input channel) 2-D convolution, each PE a 1-D row convolution
of kw MACs per output pixel; as many sets as fit run in parallel. Dense: every MAC runs, so
cycles per image = ceil(units / parallel sets) x kw x ow x ceil(kh / pe_rows), with units =
K x C x ceil(oh / E).

Energy events: one PE op and four register-file accesses (weight, input, partial-sum read and
write) per MAC; inter-PE partial-sum forwarding across the kh rows of a set; global-buffer reads
of the input once per group of `pe_rows` kernels, of the weights once per image, and partial-sum
traffic per group of `pe_rows` input channels; DRAM as for SnaPEA (weights of every layer, input
of the first layer, output of the last).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .energy import EnergyTable
from .workload import LayerResult, LayerWork

__all__ = ["EyerissConfig", "simulate_eyeriss"]


@dataclass(frozen=True)
class EyerissConfig:
    """Baseline array parameters (256 MACs, 1.25 MB global buffer, 500 MHz)."""

    pe_rows: int = 16
    pe_cols: int = 16
    freq_hz: float = 500e6
    global_buffer_bytes: int = 1280 * 1024
    word_bits: int = 16
    energy: EnergyTable = field(default_factory=EnergyTable)

    @property
    def mac_units(self) -> int:
        return self.pe_rows * self.pe_cols


def simulate_layer_eyeriss(layer: LayerWork, config: EyerissConfig) -> LayerResult:
    c, h, w = layer.in_shape
    kh, kw = layer.kernel
    oh, ow = layer.out_hw
    e_fold = min(oh, config.pe_cols)
    row_folds = math.ceil(kh / config.pe_rows)
    sets = max(1, config.pe_rows // min(kh, config.pe_rows)) * max(1, config.pe_cols // e_fold)
    units = layer.kernels * c * math.ceil(oh / e_fold)
    cycles = math.ceil(units / sets) * kw * ow * row_folds * layer.batch
    macs = layer.dense_macs
    outputs = layer.batch * layer.kernels * layer.windows
    weights = layer.kernels * layer.depth
    inputs = layer.batch * c * h * w
    counts = {
        "pe_op": macs,
        "register_file": 4 * macs,
        "inter_pe": outputs * c * (kh - 1),
        "global_buffer": inputs * math.ceil(layer.kernels / config.pe_rows)
        + layer.batch * weights
        + outputs * (2 * math.ceil(c / config.pe_rows) - 1),
        "dram": weights + (inputs if layer.is_first else 0) + (outputs if layer.is_last else 0),
    }
    return LayerResult(
        name=layer.name,
        cycles=int(cycles),
        time_s=cycles / config.freq_hz,
        energy_pj=config.energy.price(counts),
        macs=macs,
        dense_macs=macs,
        utilization=macs / max(1, cycles * config.mac_units),
    )


def simulate_eyeriss(layers: list[LayerWork], config: EyerissConfig | None = None) -> list[LayerResult]:
    """Per-layer results of a network on the baseline array (dense; SnaPEA's savings do not apply)."""
    config = config or EyerissConfig()
    return [simulate_layer_eyeriss(layer, config) for layer in layers]


