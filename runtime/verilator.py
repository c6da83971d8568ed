"""Clocked Verilog under Verilator, driven by a cycle `Stimulus` (the cycle simulator's yardstick).

```python
model = VerilatorModel.compile(verilog_text, "fir8", "clk", inputs, outputs)   # compile_seconds
result = model.run(stimulus)          # outputs packed like CycleTrace.outputs, run_seconds
```

A wrapper module with plain port names instantiates the design, and a generated C++ harness
reads the stimulus of every trace from a binary file (trace-major, then cycle, then input port,
each port in ⌈width/8⌉ little-endian bytes), runs each trace on a fresh model for every cycle
(inputs set, `eval` with clk=0, outputs sampled, clk=1, `eval`), and writes the outputs the same
way. Before the first cycle every input is 0 and the model is evaluated once, so a reset
asserted in cycle 0 is a rising edge. `run_seconds` (process CPU time) and `wall_seconds` are
measured inside the harness around the trace loop only (no file I/O, no compilation);
`compile_seconds` is the Verilator build.
Registers without an initial value start at 0 (`--x-initial 0`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from axc.ir import InputError

from .cyclestim import Stimulus, pack_port
from .simvectors import n_words_for, tail_mask

__all__ = ["HAVE_VERILATOR", "VerilatorModel", "VerilatorRun"]

HAVE_VERILATOR = shutil.which("verilator") is not None
_WRAPPER = "axc_cycle_top"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _ident(name: str) -> str:
    return name if _PLAIN.fullmatch(name) else f"\\{name} "


def _nbytes(width: int) -> int:
    return (width + 7) // 8


@dataclass(frozen=True)
class VerilatorRun:
    """Outputs of one Verilator run, packed like `CycleTrace.outputs`."""

    outputs: np.ndarray
    """(cycles × n_output_bits × n_words) uint64, output ports in order, LSB first."""
    n_traces: int
    run_seconds: float
    """Process CPU time of the trace loop inside the harness (model construction, evals,
    sampling; CPU time, as the machines we measure on are shared)."""
    wall_seconds: float
    """Wall-clock time of the same loop."""


class VerilatorModel:
    """A Verilog design compiled by Verilator with a cycle harness (see the module docstring)."""

    def __init__(self, workdir: Path, binary: Path, inputs: tuple[tuple[str, int], ...],
                 outputs: tuple[tuple[str, int], ...], compile_seconds: float, owned: tempfile.TemporaryDirectory | None
                 ) -> None:
        self.workdir, self.binary = workdir, binary
        self.inputs, self.outputs = inputs, outputs
        self.compile_seconds = compile_seconds
        self._owned = owned

    @classmethod
    def compile(cls, verilog: str, top: str, clock: str, inputs: Sequence[tuple[str, int]],
                outputs: Sequence[tuple[str, int]], workdir: str | Path | None = None,
                optimize: bool = True) -> VerilatorModel:
        """Build `top` of `verilog` with its data `inputs` (without the clock) and `outputs`.

        `optimize` compiles the model with -O3 (Verilator's own best, for benchmarks); without
        it, -O1 (quicker to build, for tests). Raises `InputError` with Verilator's messages when
        the build fails.
        """
        if not HAVE_VERILATOR:
            raise InputError("Verilator is not installed")
        owned = None
        if workdir is None:
            owned = tempfile.TemporaryDirectory(prefix="axc-verilator-cycles-")
            workdir = owned.name
        work = Path(workdir)
        work.mkdir(parents=True, exist_ok=True)
        inputs, outputs = tuple(inputs), tuple(outputs)
        (work / "design.v").write_text(verilog)
        (work / "wrapper.v").write_text(_wrapper(top, clock, inputs, outputs))
        (work / "harness.cpp").write_text(_harness(inputs, outputs))
        opt = "-O3" if optimize else "-O1"
        command = ["verilator", "--cc", "--exe", "--build", "-j", "2", "-Wno-fatal", "-Wno-lint", "-Wno-style",
                   "--x-assign", "0", "--x-initial", "0", "--top-module", _WRAPPER,
                   *(["-O3"] if optimize else []),
                   "-MAKEFLAGS", f"OPT_FAST={opt} OPT_SLOW=-O1 OPT_GLOBAL={opt}",
                   "-Mdir", "obj", "-o", "sim", "wrapper.v", "design.v", "harness.cpp"]
        start = time.perf_counter()
        build = subprocess.run(command, cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if build.returncode != 0:
            tail = "\n".join((build.stderr or build.stdout).splitlines()[-15:])
            raise InputError(f"Verilator could not build '{top}':\n{tail}")
        return cls(work, work / "obj" / "sim", inputs, outputs, seconds, owned)

    def run(self, stimulus: Stimulus) -> VerilatorRun:
        """Run every trace of `stimulus` (its data inputs must be this model's inputs)."""
        if tuple(stimulus.input_ports) != self.inputs:
            raise InputError(f"the stimulus drives {list(stimulus.input_ports)}, the model takes {list(self.inputs)}")
        cycles, traces = stimulus.n_cycles, stimulus.n_traces
        columns = [_bytes_of(stimulus.port_values(name), width) for name, width in self.inputs]
        data = (np.concatenate(columns, axis=2) if columns
                else np.zeros((traces, cycles, 0), dtype=np.uint8))
        in_path, out_path = self.workdir / "stim.bin", self.workdir / "out.bin"
        np.ascontiguousarray(data).tofile(in_path)
        del data, columns
        run = subprocess.run([str(self.binary), str(in_path), str(out_path), str(cycles), str(traces)],
                             cwd=self.workdir, capture_output=True, text=True)
        if run.returncode != 0:
            raise InputError(f"the Verilator harness failed: {run.stderr.strip() or run.stdout.strip()}")
        m = re.search(r"run_seconds ([0-9.eE+-]+) wall_seconds ([0-9.eE+-]+)", run.stdout)
        if m is None:
            raise InputError(f"unexpected harness output: {run.stdout!r}")
        out_bytes = sum(_nbytes(w) for _, w in self.outputs)
        raw = np.fromfile(out_path, dtype=np.uint8).reshape(traces, cycles, out_bytes)
        in_path.unlink()
        out_path.unlink()
        n_words = n_words_for(traces)
        rows, lo = [], 0
        for name, width in self.outputs:
            values = _ints_of(raw[:, :, lo:lo + _nbytes(width)], width).T
            rows.append(pack_port(name, values, width, n_words))
            lo += _nbytes(width)
        packed = (np.concatenate(rows, axis=1) if rows
                  else np.zeros((cycles, 0, n_words), dtype=np.uint64))
        packed &= tail_mask(traces)
        return VerilatorRun(packed, traces, float(m.group(1)), float(m.group(2)))

    def close(self) -> None:
        """Remove the build folder when this model made it."""
        if self._owned is not None:
            self._owned.cleanup()
            self._owned = None


def _bytes_of(values: np.ndarray, width: int) -> np.ndarray:
    """(cycles × traces) integers → (traces × cycles × ⌈width/8⌉) little-endian bytes."""
    n = _nbytes(width)
    if values.dtype != object:
        raw = np.ascontiguousarray(values.T.astype("<u8")).view(np.uint8)
        return raw.reshape(values.shape[1], values.shape[0], 8)[:, :, :n]
    flat = [int(x).to_bytes(n, "little") for x in values.T.ravel()]
    return np.frombuffer(b"".join(flat), dtype=np.uint8).reshape(values.shape[1], values.shape[0], n)


def _ints_of(raw: np.ndarray, width: int) -> np.ndarray:
    """(traces × cycles × ⌈width/8⌉) little-endian bytes → (traces × cycles) integers."""
    n = raw.shape[2]
    if width <= 64:
        padded = np.zeros(raw.shape[:2] + (8,), dtype=np.uint8)
        padded[:, :, :n] = raw
        return padded.view("<u8")[:, :, 0].astype(np.uint64)
    values = np.empty(raw.shape[:2], dtype=object)
    for idx in np.ndindex(*raw.shape[:2]):
        values[idx] = int.from_bytes(raw[idx].tobytes(), "little")
    return values


def _wrapper(top: str, clock: str, inputs: tuple[tuple[str, int], ...], outputs: tuple[tuple[str, int], ...]) -> str:
    """A module with ports clk, i0 …, o0 … around `top`, so the C++ names are predictable."""
    ports = ["input clk"] + [f"input [{w - 1}:0] i{k}" for k, (_, w) in enumerate(inputs)]
    ports += [f"output [{w - 1}:0] o{k}" for k, (_, w) in enumerate(outputs)]
    conns = [f".{_ident(clock)}(clk)"] + [f".{_ident(n)}(i{k})" for k, (n, _) in enumerate(inputs)]
    conns += [f".{_ident(n)}(o{k})" for k, (n, _) in enumerate(outputs)]
    return (f"module {_WRAPPER}({', '.join(ports)});\n"
            f"  {_ident(top)} dut ({', '.join(conns)});\nendmodule\n")


def _set(port: str, width: int, offset: int) -> str:
    n = _nbytes(width)
    if width <= 64:
        return f"    top->{port} = ld(ip + {offset}, {n});"
    return "\n".join(f"    top->{port}[{k}] = (uint32_t)ld(ip + {offset + 4 * k}, {min(4, n - 4 * k)});"
                     for k in range((n + 3) // 4))


def _get(port: str, width: int, offset: int) -> str:
    n = _nbytes(width)
    if width <= 64:
        return f"    st(op + {offset}, (uint64_t)top->{port}, {n});"
    return "\n".join(f"    st(op + {offset + 4 * k}, (uint64_t)top->{port}[{k}], {min(4, n - 4 * k)});"
                     for k in range((n + 3) // 4))


def _harness(inputs: tuple[tuple[str, int], ...], outputs: tuple[tuple[str, int], ...]) -> str:
    sets, off = [], 0
    for k, (_, w) in enumerate(inputs):
        sets.append(_set(f"i{k}", w, off))
        off += _nbytes(w)
    in_bytes = off
    gets, off = [], 0
    for k, (_, w) in enumerate(outputs):
        gets.append(_get(f"o{k}", w, off))
        off += _nbytes(w)
    zero = "\n".join(f"    top->i{k} = 0;" if w <= 64 else
                     "\n".join(f"    top->i{k}[{j}] = 0;" for j in range((_nbytes(w) + 3) // 4))
                     for k, (_, w) in enumerate(inputs))
    return (_MAIN.replace("IN_BYTES", str(in_bytes)).replace("OUT_BYTES", str(off))
            .replace("ZERO_INPUTS", zero).replace("SET_INPUTS", "\n".join(sets))
            .replace("GET_OUTPUTS", "\n".join(gets)))


_MAIN = f"""#include "V{_WRAPPER}.h"
#include "verilated.h"
#include <chrono>
#include <cstdint>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
static inline uint64_t ld(const uint8_t* p, int n) {{ uint64_t v = 0; memcpy(&v, p, n); return v; }}
static inline void st(uint8_t* p, uint64_t v, int n) {{ memcpy(p, &v, n); }}
int main(int argc, char** argv) {{
  if (argc != 5) {{ fprintf(stderr, "usage: sim IN OUT CYCLES TRACES\\n"); return 2; }}
  const long cycles = atol(argv[3]), traces = atol(argv[4]);
  std::vector<uint8_t> in((size_t)cycles * traces * IN_BYTES + 8), out((size_t)cycles * traces * OUT_BYTES + 8);
  FILE* f = fopen(argv[1], "rb");
  if (!f) {{ fprintf(stderr, "cannot open %s\\n", argv[1]); return 1; }}
  size_t want = (size_t)cycles * traces * IN_BYTES;
  if (fread(in.data(), 1, want, f) != want) {{ fprintf(stderr, "short stimulus\\n"); return 1; }}
  fclose(f);
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  for (long tr = 0; tr < traces; ++tr) {{
    VerilatedContext* ctx = new VerilatedContext;
    V{_WRAPPER}* top = new V{_WRAPPER}{{ctx}};
    top->clk = 0;
ZERO_INPUTS
    top->eval();
    for (long c = 0; c < cycles; ++c) {{
      const uint8_t* ip = in.data() + ((size_t)tr * cycles + c) * IN_BYTES;
      uint8_t* op = out.data() + ((size_t)tr * cycles + c) * OUT_BYTES;
SET_INPUTS
      top->clk = 0;
      top->eval();
GET_OUTPUTS
      top->clk = 1;
      top->eval();
    }}
    top->final();
    delete top;
    delete ctx;
  }}
  std::clock_t c1 = std::clock();
  auto t1 = std::chrono::steady_clock::now();
  printf("run_seconds %.6f wall_seconds %.6f\\n", (double)(c1 - c0) / CLOCKS_PER_SEC,
         std::chrono::duration<double>(t1 - t0).count());
  f = fopen(argv[2], "wb");
  if (!f) {{ fprintf(stderr, "cannot write %s\\n", argv[2]); return 1; }}
  fwrite(out.data(), 1, (size_t)cycles * traces * OUT_BYTES, f);
  fclose(f);
  return 0;
}}
"""
