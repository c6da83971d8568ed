"""Reading ONNX values into the IR: tensors, value types and node attributes.

Tensors become numpy arrays in the IR's storage form (`axc.ir.dtypes`); attribute kinds the IR
has no value for (graphs, sparse tensors, type protos, undecodable strings) are kept as
`{"onnx_attribute": <base64 of the serialized AttributeProto>}`, which the ONNX backend writes
back byte for byte.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import onnx
from axc.ir import DenseArray, FrozenDict, TensorType
from axc.ir.dtypes import DTYPE_OF_ONNX, SERIALIZED_ATTR_KEY, storage_dtype
from onnx import AttributeProto, TensorProto, numpy_helper
from onnx.external_data_helper import load_external_data_for_tensor

__all__ = ["array_from_tensor", "attr_from_onnx", "dtype_name", "tensor_type_from_proto"]


def dtype_name(elem_type: int) -> str:
    """The IR dtype of an ONNX element type; ValueError for types the IR cannot hold."""
    try:
        return DTYPE_OF_ONNX[elem_type]
    except KeyError:
        name = TensorProto.DataType.Name(elem_type) if elem_type in TensorProto.DataType.values() else elem_type
        raise ValueError(f"element type {name} is not supported") from None


def array_from_tensor(tensor: TensorProto, base_dir: str | None = None) -> tuple[np.ndarray, str]:
    """A TensorProto as (numpy array in IR storage form, IR dtype)."""
    dtype = dtype_name(tensor.data_type)
    if tensor.data_location == TensorProto.EXTERNAL:
        load_external_data_for_tensor(tensor, base_dir or ".")
    arr = numpy_helper.to_array(tensor)
    if dtype == "str":
        arr = np.vectorize(lambda b: b.decode("utf-8", "surrogateescape"), otypes=[np.str_])(arr) if arr.size else arr.astype(np.str_)
    else:
        arr = arr.astype(storage_dtype(dtype))
    return np.ascontiguousarray(arr), dtype


def tensor_type_from_proto(type_proto: onnx.TypeProto) -> TensorType | None:
    """The IR tensor type of an ONNX type (None when it is not a tensor or has no element type)."""
    if type_proto.WhichOneof("value") != "tensor_type":
        return None
    tt = type_proto.tensor_type
    if tt.elem_type == 0:
        return None
    try:
        dtype = dtype_name(tt.elem_type)
    except ValueError:
        return None
    if not tt.HasField("shape"):
        return None
    dims: list[int | str] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            dims.append(d.dim_param)
        else:
            dims.append("?")
    return TensorType(tuple(dims), dtype)


def _serialized(attr: AttributeProto) -> FrozenDict:
    return FrozenDict({SERIALIZED_ATTR_KEY: base64.b64encode(attr.SerializeToString()).decode("ascii")})


def attr_from_onnx(attr: AttributeProto) -> Any:
    """The IR value of an ONNX node attribute."""
    if attr.ref_attr_name:
        return _serialized(attr)
    kind = attr.type
    if kind == AttributeProto.INT:
        return int(attr.i)
    if kind == AttributeProto.FLOAT:
        return float(np.float32(attr.f))
    if kind == AttributeProto.STRING:
        try:
            return attr.s.decode("utf-8")
        except UnicodeDecodeError:
            return _serialized(attr)
    if kind == AttributeProto.INTS:
        return tuple(int(v) for v in attr.ints)
    if kind == AttributeProto.FLOATS:
        return tuple(float(np.float32(v)) for v in attr.floats)
    if kind == AttributeProto.STRINGS:
        try:
            return tuple(s.decode("utf-8") for s in attr.strings)
        except UnicodeDecodeError:
            return _serialized(attr)
    if kind == AttributeProto.TENSOR:
        try:
            arr, dtype = array_from_tensor(attr.t)
        except ValueError:
            return _serialized(attr)
        if dtype in ("f32", "f64", "f16", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "bool"):
            return DenseArray(arr)
        return _serialized(attr)
    return _serialized(attr)
