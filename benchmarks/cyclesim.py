"""Cycle-simulation throughput: our bit-parallel cycle simulator vs Verilator (issue 17, item 2).

Both simulate the same clocked design on the same seeded random stimulus (reset asserted in
cycle 0 only) and their outputs are compared bit for bit over every cycle of every trace. The
unit of work is one cycle of one trace: cycles × traces / seconds. Ours: `CycleSimulator.run`
after JIT warm-up (word-level design cut at its registers, core lowered to gates and cleaned of
dead gates; `instrs` is what the kernel runs per cycle: the core's gates and the registers'
next-state gates, full adders fused), best of `--repeat`. Verilator 5 (`-O3`, C++ -O3) runs a fresh model per trace,
per cycle: inputs set, eval with clk=0, outputs sampled, clk=1, eval; timed inside the harness
around the trace loop, best of `--repeat`; its compile time is reported separately and counted
nowhere. Both single-threaded runs are timed in process CPU time (the machine is shared, wall
clocks are noisy; ratio 1T compares them); ours on `--threads` threads is timed by the wall
clock against Verilator's wall clock (ratio nT; one Verilator process, as Verilator runs a
model on one thread).

Designs: `examples/fir8.v`, `mac.v`, `sobel.v` when they are there (read with `axc.load`; the
same file goes to Verilator), else a pipelined 8-tap FIR generated here (IR and Verilog of the
same circuit: an 8-bit sample shift register with enable and synchronous reset, constant 8-bit
coefficients, registered products, a registered 19-bit sum).

    python benchmarks/cyclesim.py [--cycles 10000] [--traces 1000] [--designs fir8 mac sobel]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
from axc.ir import Module
from axc.ir.parser import parse_module
from axc.ir.views import ClockedCore
from axc.passes.circuit.lower_word import LowerWordPass
from axc.passes.common.dce import DeadCodePass
from axc.passes.infra.base import PassContext
from axc.runtime.cyclesim import CycleSimulator, Stimulus
from axc.runtime.verilator import HAVE_VERILATOR, VerilatorModel

from axc import load

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIR_COEFFS = (12, 37, 89, 127, 127, 89, 37, 12)


def fir_ir(coeffs: tuple[int, ...] = FIR_COEFFS) -> str:
    """The pipelined FIR as IR text (word level)."""
    n = len(coeffs)
    lines = ["module @fir8 {", "  hw.graph @fir8(%clk: i1, %rst: i1, %en: i1, %x: i8) -> (y: i19) {"]
    prev = "%x"
    for k in range(n):
        lines += [f'    %t{k} = seq.reg %clk {{name = "t{k}"}} : i8',
                  f"    seq.next %t{k}, {prev}, %en, %rst {{enable = true, srst_value = 0}}"]
        prev = f"%t{k}"
    for k, c in enumerate(coeffs):
        lines += [f"    %c{k} = word.const {{value = {c}}} : i8",
                  f"    %m{k} = word.mul %t{k}, %c{k} : i16",
                  f'    %p{k} = seq.reg %clk {{name = "p{k}"}} : i16',
                  f"    seq.next %p{k}, %m{k}",
                  f"    %z{k} = word.zext %p{k} : i19"]
    terms = [f"%z{k}" for k in range(n)]
    level = 0
    while len(terms) > 1:
        nxt = []
        for i in range(0, len(terms) - 1, 2):
            name = f"%s{level}_{i // 2}"
            lines.append(f"    {name} = word.add {terms[i]}, {terms[i + 1]} : i19")
            nxt.append(name)
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms, level = nxt, level + 1
    lines += ['    %y = seq.reg %clk {name = "y"} : i19', f"    seq.next %y, {terms[0]}", "    output %y",
              "  }", "}", ""]
    return "\n".join(lines)


def fir_verilog(coeffs: tuple[int, ...] = FIR_COEFFS) -> str:
    """The same FIR in Verilog."""
    n = len(coeffs)
    taps = "\n".join(f"  reg [7:0] t{k};\n  reg [15:0] p{k};" for k in range(n))
    shift = " ".join(f"t{k} <= {'x' if k == 0 else f't{k - 1}'};" for k in range(n))
    clear = " ".join(f"t{k} <= 8'd0;" for k in range(n))
    prods = "\n".join(f"    p{k} <= t{k} * 8'd{c};" for k, c in enumerate(coeffs))
    total = " + ".join(f"p{k}" for k in range(n))
    inits = "\n".join(f"    t{k} = 0; p{k} = 0;" for k in range(n))
    return f"""module fir8(input clk, input rst, input en, input [7:0] x, output [18:0] y);
{taps}
  reg [18:0] yr;
  initial begin
{inits}
    yr = 0;
  end
  always @(posedge clk) begin
    if (rst) begin {clear} end
    else if (en) begin {shift} end
{prods}
    yr <= {total};
  end
  assign y = yr;
endmodule
"""


def bit_level(module: Module) -> ClockedCore:
    """The design cut at its registers, its core lowered to gates without dead ones."""
    cut = ClockedCore.cut(module)
    core = cut.core
    ctx = PassContext(quiet=True)
    LowerWordPass().apply(ctx, core)
    DeadCodePass().apply(ctx, core)
    return dataclasses.replace(cut, core=core)


def designs(names: list[str]) -> list[tuple[str, Module, str, str]]:
    """(name, module, Verilog text, top) per design: the examples when present, else the FIR."""
    found = []
    for name in names:
        path = EXAMPLES / f"{name}.v"
        if path.exists():
            found.append((name, load(path), path.read_text(), name))
        elif name == "fir8":
            print("examples/fir8.v not found: using the FIR generated here", file=sys.stderr)
            found.append((name, parse_module(fir_ir()), fir_verilog(), "fir8"))
        else:
            print(f"examples/{name}.v not found: skipped", file=sys.stderr)
    return found


def best_of(repeat: int, run, clock=time.process_time) -> tuple[float, object]:
    """The least time of `repeat` calls of `run` by `clock`, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = clock()
        result = run()
        best = min(best, clock() - start)
    return best, result


def measure(name: str, module: Module, verilog: str, top: str, args: argparse.Namespace) -> bool:
    """Time both simulators on one design, print its row; whether the outputs are identical."""
    work = args.cycles * args.traces
    cut = bit_level(module)
    sim = CycleSimulator(cut)
    stim = Stimulus.random(cut, args.cycles, args.traces, args.seed)
    sim.run(Stimulus.random(cut, 2, 64, 0))
    sim.run(Stimulus.random(cut, 2, 128, 0), threads=args.threads)
    t1, ours = best_of(args.repeat, partial(sim.run, stim))
    tn, ours_n = best_of(args.repeat, partial(sim.run, stim, threads=args.threads), time.perf_counter)
    inputs = [(n, w) for n, w in cut.input_ports if n != cut.clock]
    model = VerilatorModel.compile(verilog, top, cut.clock, inputs, cut.output_ports)
    runs = [model.run(stim) for _ in range(args.repeat)]
    model.close()
    tv = min(r.run_seconds for r in runs)
    tv_wall = min(r.wall_seconds for r in runs)
    same = all(np.array_equal(r.outputs, ours.outputs) for r in runs) and np.array_equal(ours.outputs, ours_n.outputs)
    print(f"{name:8} {sim.view.n_gates:6d} {sim.program.ins.shape[0]:6d} {cut.n_state_bits:7d} {work / tv:16.4g} {work / t1:14.4g} "
          f"{tv / t1:8.2f} {work / tn:14.4g} {tv_wall / tn:8.2f} {model.compile_seconds:9.1f} {same}", flush=True)
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--traces", type=int, default=1_000)
    parser.add_argument("--designs", nargs="+", default=["fir8", "mac", "sobel"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="threads of the parallel run (0: all numba has)")
    args = parser.parse_args(argv)
    if not HAVE_VERILATOR:
        print("Verilator is not installed", file=sys.stderr)
        return 1
    header = (f"{'design':8} {'gates':>6} {'instrs':>6} {'regbits':>7} {'verilator c·t/s':>16} {'ours 1T c·t/s':>14} "
              f"{'ratio 1T':>8} {'ours nT c·t/s':>14} {'ratio nT':>8} {'compile s':>9} identical")
    print(f"{args.cycles} cycles × {args.traces} traces, seed {args.seed}")
    print(header, flush=True)
    for name, module, verilog, top in designs(args.designs):
        if not measure(name, module, verilog, top, args):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
