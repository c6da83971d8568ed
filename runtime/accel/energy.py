"""Energy per access, from SnaPEA's Table 3.3 (pJ per bit, 45 nm, 16-bit fixed point).

| component | pJ/bit |
|---|---|
| register file access | 0.20 |
| 16-bit fixed-point PE op (MAC, incl. the predictive activation unit) | 0.30 |
| inter-PE communication | 0.40 |
| global buffer access | 1.20 |
| DDR4 access | 15.00 |

An event costs `pJ/bit x word_bits`. `mac_pj` overrides the PE-op energy per MAC, e.g. with the
energy of an approximate multiplier from the cost model (the cross-level link).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENERGY_PJ_PER_BIT", "EnergyTable"]

ENERGY_PJ_PER_BIT: dict[str, float] = {
    "register_file": 0.20,
    "pe_op": 0.30,
    "inter_pe": 0.40,
    "global_buffer": 1.20,
    "dram": 15.00,
}


@dataclass(frozen=True)
class EnergyTable:
    """Per-event energies in pJ for a datapath of `word_bits` bits."""

    word_bits: int = 16
    mac_pj: float | None = None
    register_file: float = ENERGY_PJ_PER_BIT["register_file"]
    pe_op: float = ENERGY_PJ_PER_BIT["pe_op"]
    inter_pe: float = ENERGY_PJ_PER_BIT["inter_pe"]
    global_buffer: float = ENERGY_PJ_PER_BIT["global_buffer"]
    dram: float = ENERGY_PJ_PER_BIT["dram"]

    def per_event(self, component: str) -> float:
        if component == "pe_op" and self.mac_pj is not None:
            return self.mac_pj
        return getattr(self, component) * self.word_bits

    def price(self, counts: dict[str, float]) -> dict[str, float]:
        """Energy (pJ) per component for event counts per component."""
        return {k: float(v) * self.per_event(k) for k, v in counts.items()}
