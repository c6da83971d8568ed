"""The `.npz` sidecar of an `.ir` file: its arrays' headers checked before any data is read.

`check_sidecar` reads every array header and refuses (before decompressing anything) a sidecar
that is not a plain `.npz`, holds Python objects or would take more than `MAX_SIDECAR_BYTES`;
`Tensors` hands the parser each array's shape and dtype up front and its data only on request.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .diagnostics import FileLoc, InputError

__all__ = ["MAX_SIDECAR_BYTES", "Tensors", "check_sidecar", "member_reader", "tensor_elements"]


class Tensors:
    """The tensors `dense_resource` attributes name: each one's shape and dtype known up front,
    its data read (for a sidecar: decompressed) only when an attribute that matches it asks."""

    def __init__(self, headers: Mapping[str, tuple[tuple[int, ...], np.dtype]],
                 read: Callable[[str], np.ndarray]) -> None:
        self.headers = dict(headers)
        self.read = read

    @classmethod
    def of_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Tensors:
        """Tensors already in memory."""
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        return cls({k: (tuple(a.shape), a.dtype) for k, a in arrays.items()}, arrays.__getitem__)


def tensor_elements(shape: Any) -> int:
    """Elements of a shape (symbolic dimensions count as 1)."""
    count = 1
    for d in shape:
        count *= d if isinstance(d, int) and d > 0 else 1
    return count


def member_reader(data: Any, side: Path) -> Callable[[str], np.ndarray]:
    """Reads one array of an open `.npz`; a located InputError when its data is broken."""
    def read(name: str) -> np.ndarray:
        try:
            return data[name]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot read '{name}' from the sidecar {side}: {str(exc).splitlines()[0]}",
                             FileLoc(str(side), 1, 1)) from None
    return read


MAX_SIDECAR_BYTES = 1 << 30
"""The most the tensors of one `.npz` sidecar may take in memory (1 GiB)."""


def check_sidecar(side: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Read every array header of the sidecar and refuse it, before decompressing anything, when
    it is not a plain `.npz`, holds objects, or would take more than `MAX_SIDECAR_BYTES`; the
    (shape, dtype) of each array, by name."""
    where = FileLoc(str(side), 1, 1)
    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    total = 0
    try:
        with zipfile.ZipFile(side) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(member)
                if dtype.hasobject:
                    raise InputError(f"sidecar {side}: array '{info.filename}' holds Python objects", where)
                total += tensor_elements(shape) * dtype.itemsize
                headers[info.filename.removesuffix(".npy")] = (tuple(shape), dtype)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read the sidecar {side}: {str(exc).splitlines()[0]}", where) from None
    if total > MAX_SIDECAR_BYTES:
        raise InputError(f"sidecar {side}: its tensors would take {total} bytes (limit {MAX_SIDECAR_BYTES})", where)
    return headers
