"""Logic-simulation throughput: our bit-parallel simulator vs Icarus Verilog and Verilator.

All three simulate the same Verilog file on the same seeded random vectors and their outputs
are compared bit for bit. The unit of work is the AIG node: each circuit's AIG node count comes
from Yosys (`proc; flatten; aigmap` of the file as written, no optimisation; the EPFL `.aig`
count is printed beside it), and node evaluations/s = AIG nodes × vectors / seconds for every
simulator. Times are process CPU times (the machine is shared; wall clocks are noisy). Ours runs
single-threaded (outputs only, `keep_signals=False`), best of 3 after JIT warm-up; Verilator
(`--cc -O3`, C++ -O3) is timed (`std::clock`) around its loop of one `eval()` per vector, best
of 3 runs; Icarus (`vvp`, child CPU time) as (T(n) − T(1)) / (n − 1) per vector. Icarus is far
slower, so it runs the first `--icarus-vectors` of the vectors (stated in the table).

    python benchmarks/logicsim.py [--vectors 100000] [--circuits multiplier c6288 adder]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from axc.ir.views import LogicView
from axc.runtime.logicsim import Simulator, VectorSet, unpack_ints
from axc.runtime.yosys import run_yosys

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
CIRCUITS = {
    "multiplier": CORPORA / "epfl" / "arithmetic" / "multiplier.v",
    "c6288": CORPORA / "iscas85" / "verilog_circuitgraph" / "c6288.v",
    "adder": CORPORA / "epfl" / "arithmetic" / "adder.v",
    "sin": CORPORA / "epfl" / "arithmetic" / "sin.v",
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def aig_nodes(path: Path) -> int:
    """AND nodes of the file's circuit mapped to an AIG as written (Yosys aigmap)."""
    script = "read_verilog design.v\nhierarchy -auto-top\nproc\nflatten\naigmap\nopt_clean\nwrite_aiger out.aig\n"
    out = run_yosys(script, {"design.v": path.read_text()}, outputs=("out.aig",)).outputs["out.aig"]
    return int(out.split("\n", 1)[0].split()[5])


def _actual(name: str) -> str:
    return name if _IDENT.match(name) else f"\\{name} "


def wrapper(view: LogicView, module: str) -> str:
    """A module `axc_wrap(in, out)` packing the circuit's ports into two bit vectors."""
    conns, lo = [], 0
    for name, width in view.input_ports:
        conns.append(f".{_actual(name)}(in[{lo + width - 1}:{lo}])" if width > 1
                     else f".{_actual(name)}(in[{lo}])")
        lo += width
    lo = 0
    for name, width in view.output_ports:
        conns.append(f".{_actual(name)}(out[{lo + width - 1}:{lo}])" if width > 1
                     else f".{_actual(name)}(out[{lo}])")
        lo += width
    return (f"module axc_wrap(input [{view.n_inputs - 1}:0] in, output [{view.n_outputs - 1}:0] out);\n"
            f"  {_actual(module)} dut(" + ",\n    ".join(conns) + ");\nendmodule\n")


def _testbench(n_in: int, n_out: int, n_vectors: int) -> str:
    return f"""`timescale 1ns/1ps
module tb;
  reg [{n_in - 1}:0] vec [0:{n_vectors - 1}];
  reg [{n_in - 1}:0] in;
  wire [{n_out - 1}:0] out;
  integer i, fd;
  axc_wrap w(.in(in), .out(out));
  initial begin
    $readmemh("vectors.hex", vec);
    fd = $fopen("icarus.hex", "w");
    for (i = 0; i < {n_vectors}; i = i + 1) begin
      in = vec[i];
      #1;
      $fwrite(fd, "%h\\n", out);
    end
    $fclose(fd);
    $finish;
  end
endmodule
"""


def _cxx_assign(var: str, width: int, src: str) -> str:
    """C++ statements copying 32-bit words `src[k]` into Verilator port `var`."""
    if width <= 32:
        return f"top->{var} = {src}[0];"
    if width <= 64:
        return f"top->{var} = (uint64_t){src}[0] | ((uint64_t){src}[1] << 32);"
    return " ".join(f"top->{var}[{k}] = {src}[{k}];" for k in range((width + 31) // 32))


def _cxx_read(var: str, width: int, dst: str) -> str:
    if width <= 32:
        return f"{dst}[0] = top->{var};"
    if width <= 64:
        return f"{dst}[0] = (uint32_t)top->{var}; {dst}[1] = (uint32_t)(top->{var} >> 32);"
    return " ".join(f"{dst}[{k}] = top->{var}[{k}];" for k in range((width + 31) // 32))


def _verilator_main(n_in: int, n_out: int) -> str:
    wi, wo = (n_in + 31) // 32, (n_out + 31) // 32
    return f"""#include "Vaxc_wrap.h"
#include "verilated.h"
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <vector>
int main(int argc, char** argv) {{
  FILE* f = std::fopen(argv[1], "rb");
  std::vector<uint32_t> vin;
  uint32_t word;
  while (std::fread(&word, 4, 1, f) == 1) vin.push_back(word);
  std::fclose(f);
  size_t n = vin.size() / {wi};
  std::vector<uint32_t> vout(n * {wo});
  VerilatedContext ctx;
  Vaxc_wrap* top = new Vaxc_wrap{{&ctx}};
  std::clock_t t0 = std::clock();
  for (size_t v = 0; v < n; ++v) {{
    const uint32_t* src = &vin[v * {wi}];
    uint32_t* dst = &vout[v * {wo}];
    {_cxx_assign("in", n_in, "src")}
    top->eval();
    {_cxx_read("out", n_out, "dst")}
  }}
  std::clock_t t1 = std::clock();
  std::printf("%.9f\\n", double(t1 - t0) / CLOCKS_PER_SEC);
  FILE* g = std::fopen(argv[2], "wb");
  std::fwrite(vout.data(), 4, vout.size(), g);
  std::fclose(g);
  delete top;
  return 0;
}}
"""


def _words32(values: np.ndarray, width: int) -> np.ndarray:
    n_words = (width + 31) // 32
    out = np.zeros((values.size, n_words), dtype=np.uint32)
    for k in range(n_words):
        out[:, k] = np.array([(int(x) >> (32 * k)) & 0xFFFFFFFF for x in values], dtype=np.uint32)
    return out


def _from_words32(raw: np.ndarray, width: int) -> list[int]:
    n_words = (width + 31) // 32
    rows = raw.reshape(-1, n_words)
    return [sum(int(w) << (32 * k) for k, w in enumerate(row)) for row in rows]


def run_circuit(name: str, path: Path, n_vectors: int, icarus_vectors: int, seed: int,
                tools: set[str], threads: int = 1) -> dict:
    from axc.frontend.verilog import load_verilog

    module = load_verilog(str(path), {})
    view = LogicView.from_graph(module.top_graph)
    nodes = aig_nodes(path)
    vectors = VectorSet.random(view, n_vectors, seed)
    sim = Simulator(view)
    sim.run(vectors, keep_signals=False)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        ours = sim.run(vectors, keep_signals=False)
        best = min(best, time.process_time() - start)
    ours_out = unpack_ints(ours.packed, n_vectors)
    if threads != 1:
        sim.run(vectors, keep_signals=False, threads=threads)
        wall = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            par = sim.run(vectors, keep_signals=False, threads=threads)
            wall = min(wall, time.perf_counter() - start)
        assert unpack_ints(par.packed, n_vectors).tolist() == ours_out.tolist()
    inputs = unpack_ints(vectors.words, n_vectors)
    row = {"circuit": name, "aig_nodes": nodes, "gates": view.n_gates, "vectors": n_vectors,
           "ours_s": best, "ours_evals": nodes * n_vectors / best}
    if threads != 1:
        row["threads_evals"] = nodes * n_vectors / wall
    aig = path.with_suffix(".aig")
    if aig.is_file():
        row["aig_file_nodes"] = int(aig.read_bytes().split(b"\n", 1)[0].split()[5])
    with tempfile.TemporaryDirectory(prefix="axc-simbench-") as tmp:
        d = Path(tmp)
        (d / "circuit.v").write_text(path.read_text())
        (d / "wrap.v").write_text(wrapper(view, module.top_graph.name))
        digits = (view.n_inputs + 3) // 4
        if "verilator" in tools and shutil.which("verilator"):
            (d / "main.cpp").write_text(_verilator_main(view.n_inputs, view.n_outputs))
            _words32(inputs, view.n_inputs).tofile(d / "vectors.bin")
            subprocess.run(["verilator", "--cc", "--exe", "--build", "-O3", "-j", "2", "--x-assign",
                            "fast", "--x-initial", "fast", "-Wno-fatal", "-Wno-lint", "-Wno-style",
                            "-CFLAGS", "-O3", "--top-module", "axc_wrap", "-o", "simv",
                            "circuit.v", "wrap.v", "main.cpp"],
                           cwd=d, check=True, capture_output=True, text=True)
            seconds = float("inf")
            for _ in range(3):
                proc = subprocess.run([str(d / "obj_dir" / "simv"), "vectors.bin", "out.bin"],
                                      cwd=d, check=True, capture_output=True, text=True)
                seconds = min(seconds, float(proc.stdout.split()[-1]))
            got = _from_words32(np.fromfile(d / "out.bin", dtype=np.uint32), view.n_outputs)
            row["verilator_s"] = seconds
            row["verilator_evals"] = nodes * n_vectors / seconds
            row["verilator_match"] = got == [int(x) for x in ours_out]
        if "icarus" in tools and shutil.which("iverilog"):
            k = min(icarus_vectors, n_vectors)
            times = {}
            for count in (1, k):
                (d / "vectors.hex").write_text("".join(f"{int(x):0{digits}x}\n" for x in inputs[:count]))
                (d / "tb.v").write_text(_testbench(view.n_inputs, view.n_outputs, count))
                subprocess.run(["iverilog", "-o", "tb.vvp", "circuit.v", "wrap.v", "tb.v"], cwd=d,
                               check=True, capture_output=True, text=True)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(["vvp", "-n", "tb.vvp"], cwd=d, check=True, capture_output=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                times[count] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            per_vector = max(times[k] - times[1], 1e-9) / max(1, k - 1)
            got = [int(line, 16) for line in (d / "icarus.hex").read_text().split()]
            row["icarus_vectors"] = k
            row["icarus_s_per_vector"] = per_vector
            row["icarus_evals"] = nodes / per_vector
            row["icarus_match"] = got == [int(x) for x in ours_out[:k]]
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=100_000)
    ap.add_argument("--icarus-vectors", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--circuits", nargs="*", default=["multiplier", "c6288", "adder"],
                    choices=sorted(CIRCUITS))
    ap.add_argument("--tools", nargs="*", default=["icarus", "verilator"])
    ap.add_argument("--threads", type=int, default=1,
                    help="also time ours on this many threads (wall clock; 0 = every core)")
    args = ap.parse_args()
    rows = [run_circuit(c, CIRCUITS[c], args.vectors, args.icarus_vectors, args.seed,
                        set(args.tools), args.threads) for c in args.circuits]
    print("AIG-node evaluations per second (AIG nodes from Yosys aigmap of each file; "
          f"{args.vectors} random vectors, seed {args.seed}; ours single-threaded; CPU time)\n")
    print(f"{'circuit':<11} {'AIG nodes':>9} {'ours':>9} {'verilator':>9} {'icarus':>9}  "
          f"{'ours/veril.':>11} {'ours/icarus':>11}  {'vectors/s ours':>14}  outputs equal")
    for r in rows:
        ver = r.get("verilator_evals")
        ica = r.get("icarus_evals")
        match = []
        if "verilator_match" in r:
            match.append(f"verilator {'yes' if r['verilator_match'] else 'NO'}")
        if "icarus_match" in r:
            match.append(f"icarus {'yes' if r['icarus_match'] else 'NO'} (first {r['icarus_vectors']})")
        print(f"{r['circuit']:<11} {r['aig_nodes']:>9} {r['ours_evals']:9.2e} "
              f"{ver if ver else float('nan'):9.2e} {ica if ica else float('nan'):9.2e}  "
              f"{r['ours_evals'] / ver if ver else float('nan'):11.1f} "
              f"{r['ours_evals'] / ica if ica else float('nan'):11.0f}  "
              f"{r['vectors'] / r['ours_s']:14.3e}  {', '.join(match)}")
        if "threads_evals" in r:
            print(f"{'':<11} ours on {args.threads or 'all'} threads: {r['threads_evals']:.2e} "
                  "node-evals/s (wall clock)")
        if "aig_file_nodes" in r:
            print(f"{'':<11} (EPFL .aig file: {r['aig_file_nodes']} nodes; our IR has {r['gates']} gates)")
    ok = all(r.get("verilator_match", True) and r.get("icarus_match", True) for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
