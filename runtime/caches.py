"""Where axc-opt keeps what it computes once: compiled numba kernels and mapped netlists.

`cache_root()` is `$AXC_CACHE`, else `$XDG_CACHE_HOME/axc-opt`, else `~/.cache/axc-opt`.
Numba's compiled kernels go to `cache_root()/numba` unless `NUMBA_CACHE_DIR` is set: never beside
the installed package, so a read-only install works. Where neither is writable, kernels are
cached in the temporary folder (and, failing that, compiled afresh each run).

`watch_compilation(callback)` calls `callback()` once, when the first kernel of this process is
compiled rather than loaded from the cache: the CLI uses it to say why a first run is slow.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["cache_root", "configure_kernel_cache", "kernel_cache_dir", "watch_compilation"]


def cache_root() -> Path:
    """The user cache folder of axc-opt (`$AXC_CACHE`, `$XDG_CACHE_HOME/axc-opt`, ~/.cache/axc-opt)."""
    explicit = os.environ.get("AXC_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "axc-opt"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def kernel_cache_dir() -> Path | None:
    """Where numba keeps compiled kernels for this process (None: nowhere writable)."""
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    for folder in (cache_root() / "numba",
                   Path(tempfile.gettempdir()) / f"axc-opt-numba-{os.getuid()}"):
        if _writable(folder):
            return folder
    return None


def configure_kernel_cache() -> None:
    """Point numba's cache at `kernel_cache_dir()` (before any kernel is decorated)."""
    folder = kernel_cache_dir()
    if folder is None or os.environ.get("NUMBA_CACHE_DIR"):
        return
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:  # numba was imported first: make it read the variable again
        numba_config.reload_config()


def watch_compilation(callback: Callable[[], None]) -> None:
    """Call `callback()` once, at the first numba compilation (a cache miss) of this process."""
    from numba.core import event

    class _FirstCompile(event.Listener):
        fired = False

        def on_start(self, ev: event.Event) -> None:
            if not self.fired:
                self.fired = True
                callback()

        def on_end(self, ev: event.Event) -> None:
            pass

    event.register("numba:compile", _FirstCompile())
