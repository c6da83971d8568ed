"""Cycle-level model of the SnaPEA accelerator.

Organisation (SnaPEA §3.6): `rows x cols` PEs (8 x 8), each with `lanes` compute lanes (4), a
weight and an index buffer and an I/O RAM (`io_ram_bytes`, half inputs, half outputs); 500 MHz.
Kernels are spread over the vertical groups (kernel k to column k mod cols); output rows over the
horizontal groups (contiguous bands). A PE runs its kernels one after another; for each kernel the
lanes take adjacent windows (raster order) in groups of `lanes` and advance in lockstep with one
broadcast weight per cycle, so a group lasts as long as its slowest window (at least one cycle:
the activation step of a window that needs no MAC). A horizontal group gets its input in portions
that fit the input half of the I/O RAM; all PEs of the group wait for the slowest before the next
portion (the barrier). A layer ends when every horizontal group is done. Images run one after
another.

Energy events (priced by `EnergyTable`): one PE op per executed MAC (data-gated lanes cost
nothing); three register-file-class accesses per executed MAC (the input read from the PE's I/O
RAM, the accumulator read and write), two per busy PE cycle for the weight and index buffer
reads shared by the lanes, one per output written;
inter-PE transfers for inputs broadcast to the `cols` PEs of a horizontal group and weights to
the `rows` PEs of a vertical group; DRAM for the weights and indices of every layer, the input
of the first layer and the output of the last (activations stay on chip).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .energy import EnergyTable
from .workload import LayerResult, LayerWork

__all__ = ["SnapeaConfig", "row_bands", "simulate_snapea"]


@dataclass(frozen=True)
class SnapeaConfig:
    """SnaPEA array parameters (defaults: the paper's Table 3.2)."""

    rows: int = 8
    cols: int = 8
    lanes: int = 4
    freq_hz: float = 500e6
    io_ram_bytes: int = 20 * 1024
    word_bits: int = 16
    early_termination: bool = True
    energy: EnergyTable = field(default_factory=EnergyTable)

    @property
    def mac_units(self) -> int:
        return self.rows * self.cols * self.lanes


def row_bands(layer: LayerWork, config: SnapeaConfig) -> list[list[tuple[int, int]]]:
    """Per horizontal group, its input portions as (first, last+1) output rows."""
    oh = layer.out_hw[0]
    c, _, w_in = layer.in_shape
    kh, sh = layer.kernel[0], layer.stride[0]
    capacity = (config.io_ram_bytes // 2) * 8 // config.word_bits
    per_row = max(1, c * w_in)
    fit = (capacity // per_row - kh) // sh + 1
    rows_per_portion = max(1, int(fit))
    bands = []
    for band in np.array_split(np.arange(oh), config.rows):
        if band.size == 0:
            bands.append([])
            continue
        lo, hi = int(band[0]), int(band[-1]) + 1
        bands.append([(s, min(s + rows_per_portion, hi)) for s in range(lo, hi, rows_per_portion)])
    return bands


def _portion_input_words(layer: LayerWork, r0: int, r1: int) -> int:
    c, h, w_in = layer.in_shape
    kh, sh = layer.kernel[0], layer.stride[0]
    return c * min(h, (r1 - r0 - 1) * sh + kh) * w_in


def simulate_layer_snapea(layer: LayerWork, config: SnapeaConfig) -> LayerResult:
    ops = layer.window_ops() if config.early_termination else LayerWork(
        layer.name, layer.kernels, layer.in_shape, layer.kernel, layer.out_hw, layer.batch
    ).window_ops()
    b_n, k_n, _, ow = ops.shape
    column_of = np.arange(k_n) % config.cols
    row_time = np.zeros((b_n, config.rows), dtype=np.int64)
    busy_pe_cycles = 0
    input_words = 0
    for i, portions in enumerate(row_bands(layer, config)):
        for r0, r1 in portions:
            win = ops[:, :, r0:r1, :].reshape(b_n, k_n, (r1 - r0) * ow)
            pad = (-win.shape[2]) % config.lanes
            if pad:
                win = np.concatenate([win, np.zeros((b_n, k_n, pad), dtype=win.dtype)], axis=2)
            group = np.maximum(win.reshape(b_n, k_n, -1, config.lanes).max(axis=3), 1)
            per_kernel = group.sum(axis=2)
            per_pe = np.zeros((b_n, config.cols), dtype=np.int64)
            np.add.at(per_pe, (slice(None), column_of), per_kernel)
            row_time[:, i] += per_pe.max(axis=1)
            busy_pe_cycles += int(per_kernel.sum())
            input_words += b_n * _portion_input_words(layer, r0, r1)
    cycles = int(row_time.max(axis=1).sum())
    macs = int(ops.sum())
    weights = layer.kernels * layer.depth
    outputs = layer.batch * layer.kernels * layer.windows
    counts = {
        "pe_op": macs,
        "register_file": 3 * macs + 2 * busy_pe_cycles + outputs,
        "inter_pe": input_words * config.cols + weights * config.rows,
        "global_buffer": 0,
        "dram": 2 * weights
        + (layer.batch * int(np.prod(layer.in_shape)) if layer.is_first else 0)
        + (outputs if layer.is_last else 0),
    }
    return LayerResult(
        name=layer.name,
        cycles=cycles,
        time_s=cycles / config.freq_hz,
        energy_pj=config.energy.price(counts),
        macs=macs,
        dense_macs=layer.dense_macs,
        utilization=macs / max(1, cycles * config.mac_units),
        extra={"busy_pe_cycles": busy_pe_cycles},
    )


def simulate_snapea(layers: list[LayerWork], config: SnapeaConfig | None = None) -> list[LayerResult]:
    """Per-layer results of a network on the SnaPEA array."""
    config = config or SnapeaConfig()
    return [simulate_layer_snapea(layer, config) for layer in layers]
