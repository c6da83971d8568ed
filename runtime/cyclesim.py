"""Cycle simulation of a clocked design, bit-parallel across traces (64 traces per uint64 word).

```python
cut = ClockedCore.cut(module)                      # core lowered to gates (lower-word) first
stim = Stimulus.random(cut, cycles=10_000, traces=1_000, seed=1)   # or .from_npz / .from_vcd
trace = CycleSimulator(cut).run(stim)              # threads=0: every core
trace.outputs                                      # (cycles × n_output_bits × n_words) uint64
trace.port_values("y", signed=False)               # (cycles × traces) integers
```

Each bit lane of a word is an independent trace: trace v lives in bit v % 64 of word v // 64.
Registers start at their `init` value. Per cycle: the data inputs of the cycle are applied; a
register whose asynchronous reset input is 1 reads `arst_value`; the combinational core settles
and the primary outputs are sampled (what a testbench sees just before the rising edge); at the
edge every register loads `arst_value` while its asynchronous reset is 1, else `srst_value`
while its synchronous reset is 1, else `d` when enabled (or without enable), else holds. The
whole cycle loop runs in one numba kernel (`axc.runtime.cyclekernels`) on the NOT/BUF-free
gate program of the logic simulator, extended by the registers' next-state gates
(`axc.runtime.cycleprogram`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
from axc.ir import InputError
from axc.ir.views import ClockedCore, LogicView

from . import cyclekernels as CK
from .cycleprogram import CycleProgram
from .cyclestim import Stimulus, data_ports, reset_levels, unpack_port
from .simvectors import tail_mask

__all__ = ["CycleSimulator", "CycleTrace", "Stimulus", "reset_levels"]


@dataclass(frozen=True)
class CycleTrace:
    """The primary outputs of a cycle simulation, per cycle and trace."""

    outputs: np.ndarray
    """(cycles × n_output_bits × n_words) uint64: output bit rows in port order, LSB first; bits
    past `n_traces` in the last word are zero."""
    n_traces: int
    output_ports: tuple[tuple[str, int], ...]
    stimulus: Stimulus | None = field(default=None, repr=False)

    @property
    def n_cycles(self) -> int:
        return int(self.outputs.shape[0])

    def port_rows(self, name: str) -> np.ndarray:
        """The packed rows of output port `name`: (cycles × width × n_words)."""
        lo = 0
        for port, width in self.output_ports:
            if port == name:
                return self.outputs[:, lo:lo + width]
            lo += width
        raise InputError(f"no output port '{name}' (ports: {[p for p, _ in self.output_ports]})")

    def port_values(self, name: str, signed: bool = False) -> np.ndarray:
        """The integer on output port `name` per cycle and trace: (cycles × traces)."""
        return unpack_port(self.port_rows(name), self.n_traces, signed)


class CycleSimulator:
    """Compiled cycle simulation of one bit-level `ClockedCore` (see the module docstring)."""

    def __init__(self, cut: ClockedCore) -> None:
        self.cut = cut
        try:
            view = LogicView.from_graph(cut.core.top_graph)
        except InputError as exc:
            raise InputError(f"the cycle simulator needs a bit-level core (run lower-word first): {exc.message}",
                             exc.loc) from None
        self.view = view
        self.data_ports = data_ports(cut)
        q_ports = tuple((slot.q_port, slot.width) for slot in cut.registers)
        if tuple(view.input_ports) != self.data_ports + q_ports:
            raise InputError(f"the core's inputs {view.input_ports} are not the design's data inputs "
                             f"followed by the register values {list(self.data_ports + q_ports)}")
        self.program = CycleProgram.build(cut, view, sum(w for _, w in self.data_ports))
        self.output_ports = tuple(cut.output_ports)

    def run(self, stimulus: Stimulus, threads: int = 1) -> CycleTrace:
        """Simulate every cycle of every trace of `stimulus`; `threads` > 1 (0: every core numba
        may use) splits the traces into as many word ranges, one per thread."""
        if tuple(stimulus.input_ports) != self.data_ports:
            raise InputError(f"the stimulus drives {list(stimulus.input_ports)}, the design's data inputs are "
                             f"{list(self.data_ports)}")
        stim = np.ascontiguousarray(stimulus.words, dtype=np.uint64)
        n_words = stim.shape[2]
        out = np.empty((stim.shape[0], self.program.out_sigs.size, n_words), dtype=np.uint64)
        p = self.program
        args = (p.ins, p.msk, p.codes, p.fanin_ptr, p.fanin, p.fmask, p.lut_ptr, p.lut_bits, p.n_signals, stim, p.n_state,
                p.edge_ins, p.edge_msk, p.init, p.arst, p.arst_value, p.out_sigs, p.out_masks, out)
        limit = numba.config.NUMBA_NUM_THREADS
        n_threads = min(limit if threads <= 0 else min(threads, limit), n_words)
        if n_threads <= 1:
            CK.run_cycles(*args, 0, n_words)
        else:
            previous = numba.get_num_threads()
            numba.set_num_threads(n_threads)
            try:
                CK.run_cycles_parallel(*args, n_threads)
            finally:
                numba.set_num_threads(previous)
        if n_words and stimulus.n_traces % 64:
            out[:, :, -1] &= tail_mask(stimulus.n_traces)[-1]
        return CycleTrace(out, stimulus.n_traces, self.output_ports, stimulus)
