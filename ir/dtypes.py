"""Tensor element types: how the IR holds them in numpy, and their ONNX element-type codes.

The IR names element types the short way (`f32`, `i8`, `u4`, ...; see `axc.ir.types.DTYPES`).
Elements are held in numpy arrays of a storage dtype: sub-byte integers widened to int8/uint8,
bfloat16 widened to float32 (the value type still says `i4`/`bf16`). The ONNX codes are the
`TensorProto.DataType` numbers of the ONNX standard, kept here as plain data so that the IR
imports no ONNX code; the ONNX frontend and backend translate through them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DTYPE_OF_ONNX", "ONNX_OF_DTYPE", "SERIALIZED_ATTR_KEY", "dtype_of_array", "storage_dtype"]

DTYPE_OF_ONNX: dict[int, str] = {
    1: "f32", 2: "u8", 3: "i8", 4: "u16", 5: "i16", 6: "i32", 7: "i64", 8: "str", 9: "bool",
    10: "f16", 11: "f64", 12: "u32", 13: "u64", 16: "bf16", 21: "u4", 22: "i4", 25: "u2", 26: "i2",
}
"""ONNX element-type code -> IR dtype name."""
ONNX_OF_DTYPE: dict[str, int] = {v: k for k, v in DTYPE_OF_ONNX.items()}

SERIALIZED_ATTR_KEY = "onnx_attribute"
"""Key of the one-entry dict that carries an ONNX attribute the IR cannot express natively."""

_STORAGE: dict[str, Any] = {
    "f32": np.float32, "f64": np.float64, "f16": np.float16, "bf16": np.float32,
    "i2": np.int8, "i4": np.int8, "i8": np.int8, "i16": np.int16, "i32": np.int32,
    "i64": np.int64, "u2": np.uint8, "u4": np.uint8, "u8": np.uint8, "u16": np.uint16,
    "u32": np.uint32, "u64": np.uint64, "bool": np.bool_, "str": np.str_,
}


def storage_dtype(dtype: str) -> np.dtype:
    """The numpy dtype the IR uses to hold elements of IR dtype `dtype`."""
    return np.dtype(_STORAGE[dtype])


def dtype_of_array(array: np.ndarray) -> str:
    """The IR dtype that holds a numpy array without conversion (`str` for text)."""
    if array.dtype.kind in "UO":
        return "str"
    for name in ("f32", "f64", "f16", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "bool"):
        if np.dtype(_STORAGE[name]) == array.dtype:
            return name
    raise ValueError(f"numpy dtype {array.dtype} has no IR element type")
