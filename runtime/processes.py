"""Child processes that do not outlive axc-opt.

`die_with_parent()` asks the kernel (Linux: `PR_SET_PDEATHSIG`) to kill the calling process as
soon as its parent dies, however the parent dies (SIGKILL included). Worker pools call it when a
worker starts, and external tools (Yosys) before they are executed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """See the module docstring (a no-op outside Linux)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
