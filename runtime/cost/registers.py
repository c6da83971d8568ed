"""The area of a register, per bit, from the NanGate 45 nm Open Cell Library (X1 cells).

The genlib files the mapper uses hold combinational cells only, so a register is costed here:
a D flip-flop per bit (DFF_X1, 4.522 µm²; DFFR_X1, 5.320 µm², with an asynchronous reset), a
2-input multiplexer per bit for a load enable (MUX2_X1, 1.862 µm²) and a 2-input gate per bit
for a synchronous reset (AND2_X1, 1.064 µm²). The same figures are used whatever the library of
the combinational logic.
"""

from __future__ import annotations

from axc.ir.views import RegisterSlot

__all__ = ["REGISTER_CELLS", "register_area"]

REGISTER_CELLS = {"DFF_X1": 4.522, "DFFR_X1": 5.320, "MUX2_X1": 1.862, "AND2_X1": 1.064}
"""NanGate45 OCL areas in µm²."""


def register_area(slot: RegisterSlot) -> float:
    """µm² of one register: flip-flops, enable multiplexers and reset gates, all bits."""
    per_bit = REGISTER_CELLS["DFFR_X1" if slot.arst_port else "DFF_X1"]
    if slot.en_port:
        per_bit += REGISTER_CELLS["MUX2_X1"]
    if slot.srst_port:
        per_bit += REGISTER_CELLS["AND2_X1"]
    return per_bit * slot.width
