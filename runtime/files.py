"""Files written whole or not at all, through a temporary file that nobody can redirect.

`write_atomically(path, write)` creates an unpredictable temporary file beside `path`
(exclusively, so a planted symlink or FIFO cannot capture the data), hands it to `write` as an
open file object, and renames it over `path` only when `write` returned; on any error the
temporary file is removed and `path` is left as it was. `destination(path)` is what gets
replaced: the path itself, or the file a symlink points to (writing goes through symlinks, as
editors do); anything that is not a regular file (a device such as /dev/stdout, a FIFO, a
folder) is refused with one line instead of being replaced by a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from axc.ir import InputError

__all__ = ["destination", "write_atomically", "write_text_atomically"]


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
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=parent)
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
