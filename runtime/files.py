"""Files written whole or not at all, through a temporary file that nobody can redirect.

`write_atomically(path, write)` creates an unpredictable temporary file beside `path`
(exclusively, so a planted symlink or FIFO cannot capture the data), hands it to `write` as an
open file object, and renames it over `path` only when `write` returned; on any error the
temporary file is removed and `path` is left as it was. `destination(path)` is what gets
replaced: the path itself, or the file a symlink points to (writing goes through symlinks, as
editors do); anything that is not a regular file (a device such as /dev/stdout, a FIFO, a
folder) is refused with one line instead of being replaced by a file.

Staging files and folders are named `.NAME.axc-staging-PID-….tmp`: a run that is killed leaves at
most that one behind, and the next run writing NAME removes those whose process is gone
(`remove_stale_staging`).
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from axc.ir import InputError

__all__ = ["STAGING_MARK", "destination", "remove_stale_staging", "staging_prefix", "write_atomically", "write_text_atomically"]

STAGING_MARK = "axc-staging"


def staging_prefix(dest: Path) -> str:
    """The name prefix of this process's staging files for `dest` (see the module docstring)."""
    return f".{dest.name}.{STAGING_MARK}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(dest: Path) -> int:
    """Remove the staging files and folders for `dest` left by processes that no longer run;
    how many were removed."""
    parent = dest.parent if str(dest.parent) else Path(".")
    base = f".{dest.name}.{STAGING_MARK}-"
    removed = 0
    for stale in parent.glob(glob.escape(base) + "*.tmp"):
        pid = stale.name[len(base):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
        removed += 1
    return removed


def destination(path: str | os.PathLike[str]) -> Path:
    """The file that writing `path` replaces (see the module docstring)."""
    given = Path(path)
    if given.exists() and not given.is_file():  # follows symlinks: devices, FIFOs, folders
        raise InputError(f"cannot write '{path}': it is not a regular file")
    target = given.resolve() if given.is_symlink() else given
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write '{path}': folder '{parent}' does not exist")
    return target


def write_atomically(path: str | os.PathLike[str], write: Callable[[IO[Any]], None], mode: str = "w",
                     **open_options: Any) -> None:
    """Write `path` through `write(file)` (see the module docstring)."""
    dest = destination(path)
    parent = dest.parent if str(dest.parent) else Path(".")
    remove_stale_staging(dest)
    fd, tmp = tempfile.mkstemp(prefix=staging_prefix(dest), suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, mode, **open_options) as fh:
            write(fh)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """`write_atomically` of a text."""
    write_atomically(path, lambda fh: fh.write(text))
