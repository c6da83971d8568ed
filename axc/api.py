"""The Python API: load and save modules in any registered format.

```python
import axc

module = axc.load("examples/adder.v")
result = axc.PassManager.parse("dce,cse").run(module)
axc.save(result.module, "out.v")
```

Formats come from the file extension (see `axc.formats`). `PassManager` is the pass manager of
`axc.passes` with `load` as the reader through which passes open the files their options name
(`approx-mul{circuit=m.v}`, `check-equiv{against=ref.v}`). Saving is atomic: the backend writes
into a private temporary folder beside the destination, and only a complete result (the file and
any sidecar, such as the `.npz` of an `.ir` file) is renamed into place; a sidecar of an earlier
file at that path which the new one does not have is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from axc.formats import format_of, get_loader, get_saver
from axc.frontend.limits import Limits
from axc.ir import FileLoc, InputError, Module
from axc.ir.printer import sidecar_path
from axc.passes.infra import manager
from axc.runtime.files import destination, remove_stale_staging, staging_prefix

__all__ = ["PassManager", "load", "read_file", "save"]


def load(path: str | os.PathLike[str], *, format: str | None = None, **options: Any) -> Module:
    """Read `path` into a `Module`; `format` overrides the extension (`ir`, `v`, `onnx`, ...).

    Options are passed to the frontend (`frontend="yosys"`, `genlib=...`), with the size limits
    (`max_bus_width=...`, see `axc.frontend.limits`) filled in from their defaults. Raises
    `InputError` for a missing file, an unknown format or a limit out of range, `ParseError` for
    malformed text.
    """
    text_path = os.fspath(path)
    if not Path(text_path).is_file():
        reason = "is a directory" if Path(text_path).is_dir() else "no such file"
        raise InputError(f"cannot read input: {reason}", FileLoc(text_path, 1, 1))
    loader = get_loader(format or format_of(text_path))
    return loader(text_path, {**options, **Limits.of(options).as_options()})


def save(
    module: Module, path: str | os.PathLike[str], *, format: str | None = None, **options: Any
) -> None:
    """Write `module` to `path` atomically, in the format of its extension (or `format`).

    On any error nothing is left behind: neither a partial file nor a temporary one. A symlink
    is written through; a path that is not a regular file (a device, a FIFO, a folder) is refused.
    """
    dest = destination(path)
    fmt = format or format_of(Path(os.fspath(path)))
    saver = get_saver(fmt)
    parent = dest.parent if str(dest.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write output: folder '{parent}' does not exist", FileLoc(str(dest), 1, 1))
    remove_stale_staging(dest)
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(dest), suffix=".tmp", dir=parent))
    try:
        staged = staging / dest.name
        saver(module, str(staged), dict(options))
        if not staged.is_file():
            raise InputError(f"the backend wrote no file for '{dest.name}'", FileLoc(str(dest), 1, 1))
        stale = sidecar_path(dest) if fmt == "ir" else None
        if stale is not None and not (staging / stale.name).exists() and stale.is_file():
            stale.unlink()
        for extra in staging.iterdir():
            if extra != staged:
                os.replace(extra, parent / extra.name)
        os.replace(staged, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_file(path: str, options: dict[str, Any]) -> Module:
    """`load(path, **options)` in the form passes call it (`PassContext.reader`)."""
    return load(path, **options)


class PassManager(manager.PassManager):
    """The pass manager (`axc.passes.infra.manager.PassManager`) with `load` as the passes' file reader."""

    def __init__(self, pipeline: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reader", read_file)
        super().__init__(pipeline, **kwargs)
