"""Network data for `--data`: `.npz`, ONNX `test_data_set_*` folders, MNIST IDX files.

`load_dataset(path, input_type)` reads samples (first axis) and optional integer labels, then
adapts them to the model input: the sample shape must equal the input's shape without its batch
dimension, up to axes of size 1 (MNIST's [N,28,28] feeds a [1,1,28,28] input as [N,1,28,28]),
and the values are cast to the input's element type without rescaling (mnist8 takes raw 0-255
pixels). Anything that does not fit is an `InputError` naming both shapes.

`Dataset.split(calib, eval)` gives the calibration slice (the first `calib` samples) and a
disjoint evaluation slice (the next `eval` samples, or all the rest).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from axc.ir import FileLoc, InputError, TensorType
from axc.ir.dtypes import storage_dtype

__all__ = ["DEFAULT_CALIB", "Dataset", "adapt_samples", "load_dataset", "read_idx", "read_raw_dataset"]

DEFAULT_CALIB = 500
"""Samples that calibrate when `--calib` is not given."""

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True)
class Dataset:
    """Samples `x` (first axis), optional integer labels `y`, and where they came from."""

    x: np.ndarray
    y: np.ndarray | None
    source: str
    offset: int = 0
    """Index of `x[0]` in the file (after a split)."""

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def slice(self, start: int, stop: int) -> Dataset:
        y = None if self.y is None else self.y[start:stop]
        return Dataset(self.x[start:stop], y, self.source, self.offset + start)

    def split(self, calib: int = DEFAULT_CALIB, eval: int | None = None) -> tuple[Dataset, Dataset]:
        """(first `calib` samples, the next `eval` samples or all the rest); disjoint."""
        n = len(self)
        if calib < 0 or (eval is not None and eval < 1):
            raise InputError(f"bad split: calib={calib}, eval={eval}", FileLoc(self.source, 1, 1))
        if calib >= n:
            raise InputError(
                f"calib={calib} leaves no samples to evaluate: the data has {n}", FileLoc(self.source, 1, 1)
            )
        stop = n if eval is None else min(n, calib + eval)
        return self.slice(0, calib), self.slice(calib, stop)


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST format), gzip-compressed or not."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"corrupt gzip data: {exc}", FileLoc(str(path), 1, 1)) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise InputError("not an IDX file (bad magic number)", FileLoc(str(path), 1, 1))
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(dims)) if dims else 1
    if len(raw) - header < count * dtype.itemsize:
        raise InputError(f"IDX file is truncated: {dims} needs {count * dtype.itemsize} bytes", FileLoc(str(path), 1, 1))
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def _idx_pair(path: Path) -> tuple[Path, Path | None]:
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if "images-idx3" in p.name or p.name.endswith(("-idx3-ubyte", "-idx3-ubyte.gz")))
        if len(images) != 1:
            raise InputError(f"expected one '*images-idx3-ubyte[.gz]' file in the folder, found {len(images)}", FileLoc(str(path), 1, 1))
        path = images[0]
    labels = path.with_name(path.name.replace("images-idx3", "labels-idx1").replace("-idx3-", "-idx1-"))
    return path, labels if labels.is_file() and labels != path else None


def _read_pb_tensor(path: Path) -> np.ndarray:
    import onnx
    from onnx import numpy_helper

    try:
        return numpy_helper.to_array(onnx.load_tensor(str(path)))
    except Exception as exc:  # protobuf raises DecodeError and others on corrupt files
        raise InputError(f"not an ONNX tensor file: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", FileLoc(str(path), 1, 1)) from None


def _test_data_sets(path: Path) -> list[Path]:
    if path.name.startswith("test_data_set_"):
        return [path]
    return sorted(path.glob("test_data_set_*"), key=lambda p: (len(p.name), p.name))


def read_raw_dataset(path: str | Path) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(samples, labels or None, reference outputs or None) from a data path, unadapted."""
    p = Path(path)
    where = FileLoc(str(p), 1, 1)
    if not p.exists():
        raise InputError("no such data file or folder", where)
    if p.suffix == ".npz":
        try:
            with np.load(p, allow_pickle=False) as z:
                if "x" not in z.files:
                    raise InputError(f"the .npz file has no array 'x' (it has: {', '.join(z.files) or 'nothing'})", where)
                return z["x"], (z["y"] if "y" in z.files else None), None
        except (ValueError, OSError) as exc:
            raise InputError(f"cannot read the .npz file: {exc}", where) from None
    if p.is_dir() and _test_data_sets(p):
        inputs, outputs = [], []
        for d in _test_data_sets(p):
            files = sorted(d.glob("input_*.pb"))
            if len(files) != 1:
                raise InputError(f"{d.name} has {len(files)} input_*.pb files; data for one model input is supported", FileLoc(str(d), 1, 1))
            inputs.append(_read_pb_tensor(files[0]))
            out = sorted(d.glob("output_*.pb"))
            outputs.append(_read_pb_tensor(out[0]) if out else None)
        refs = np.concatenate(outputs) if all(o is not None for o in outputs) else None
        return np.concatenate(inputs), None, refs
    if p.is_dir() or "idx3" in p.name:
        images_path, labels_path = _idx_pair(p)
        images = read_idx(images_path)
        labels = read_idx(labels_path).astype(np.int64) if labels_path is not None else None
        return images, labels, None
    raise InputError("unknown data format (use .npz with 'x' [and 'y'], a test_data_set_* folder, or MNIST IDX files)", where)


def adapt_samples(x: np.ndarray, input_type: TensorType, input_name: str, source: str) -> np.ndarray:
    """`x` (samples along axis 0) reshaped and cast to feed `input_type` (see the module docstring)."""
    where = FileLoc(source, 1, 1)
    want = tuple(input_type.shape[1:])
    have = tuple(int(d) for d in x.shape[1:])
    shape_text = "[" + ",".join(str(d) for d in input_type.shape) + "]"
    mismatch = InputError(
        f"data samples have shape [{','.join(map(str, have))}] but model input '{input_name}' is {shape_text}", where
    )
    if x.ndim == 0:
        raise mismatch
    if len(have) != len(want) or any(isinstance(w, int) and w != h for w, h in zip(want, have)):
        squeezed_have = [h for h in have if h != 1]
        squeezed_want = [w for w in want if w != 1]
        if len(squeezed_have) != len(squeezed_want) or any(
            isinstance(w, int) and w != h for w, h in zip(squeezed_want, squeezed_have)
        ):
            raise mismatch
        it = iter(squeezed_have)
        target = [1 if w == 1 else next(it) for w in want]
        x = x.reshape(x.shape[0], *target)
    if input_type.dtype == "str":
        raise InputError(f"model input '{input_name}' takes strings; only numeric data is supported", where)
    return np.ascontiguousarray(x.astype(storage_dtype(input_type.dtype), copy=False))


def load_dataset(path: str | Path, input_type: TensorType | None = None, input_name: str = "input") -> Dataset:
    """Read `path` and adapt it to `input_type` (when given); labels become int64 class indices."""
    x, y, _ = read_raw_dataset(path)
    source = str(path)
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 2:
            y = y.argmax(axis=1)
        if y.ndim != 1 or len(y) != len(x):
            raise InputError(f"labels 'y' have shape {list(y.shape)}, expected [{len(x)}]", FileLoc(source, 1, 1))
        y = y.astype(np.int64)
    if input_type is not None:
        x = adapt_samples(x, input_type, input_name, source)
    return Dataset(x, y, source)
