"""Stimulus for examples/mac.v: random operands, the enable high 90 % of the cycles, the clear
pulsed every `--clear-every` cycles, reset in cycle 0 (what a MAC sees between clears in a dot
product engine). Writes an .npz of per-cycle values, one array per input port, (cycles, traces):

    python examples/mac_stimulus.py mac_stim.npz --seed 1
    axc-opt examples/mac.v -p prune --err 0.01 --stimulus mac_stim.npz -o mac_approx.v
"""

from __future__ import annotations

import argparse

import numpy as np


def mac_stimulus(cycles: int, traces: int, clear_every: int, seed: int) -> dict[str, np.ndarray]:
    """The per-cycle port values (see the module docstring)."""
    rng = np.random.default_rng(seed)
    clr = np.zeros((cycles, traces), dtype=np.uint8)
    clr[clear_every::clear_every] = 1
    rst = np.zeros((cycles, traces), dtype=np.uint8)
    rst[0] = 1
    return {"a": rng.integers(0, 256, (cycles, traces), dtype=np.uint16),
            "b": rng.integers(0, 256, (cycles, traces), dtype=np.uint16),
            "en": (rng.random((cycles, traces)) < 0.9).astype(np.uint8), "clr": clr, "rst": rst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--cycles", type=int, default=400)
    parser.add_argument("--traces", type=int, default=128)
    parser.add_argument("--clear-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    np.savez(args.out, **mac_stimulus(args.cycles, args.traces, args.clear_every, args.seed))


if __name__ == "__main__":
    main()
