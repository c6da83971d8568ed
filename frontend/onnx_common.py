"""Translation tables shared by the ONNX importer and exporter.

Element types: ONNX `TensorProto` data types <-> IR dtype names. Tensors: ONNX `TensorProto` <->
numpy arrays as the IR keeps them (sub-byte integers widened to int8/uint8, bfloat16 widened to
float32; the IR value type still says `i4`/`bf16`). Attributes: ONNX `AttributeProto` <-> IR
attribute values; kinds the IR has no value for (graphs, sparse tensors, type protos) are kept as
`{"onnx_attribute": <base64 of the serialized AttributeProto>}` so they round-trip byte for byte.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import onnx
from axc.ir import DenseArray, FrozenDict, TensorType
from onnx import AttributeProto, TensorProto, helper, numpy_helper

__all__ = [
    "DTYPE_OF_ONNX",
    "ONNX_OF_DTYPE",
    "SERIALIZED_ATTR_KEY",
    "array_from_tensor",
    "attr_from_onnx",
    "attr_to_onnx",
    "dtype_name",
    "dtype_of_array",
    "storage_dtype",
    "tensor_from_array",
    "tensor_type_from_proto",
]

DTYPE_OF_ONNX: dict[int, str] = {
    TensorProto.FLOAT: "f32", TensorProto.UINT8: "u8", TensorProto.INT8: "i8",
    TensorProto.UINT16: "u16", TensorProto.INT16: "i16", TensorProto.INT32: "i32",
    TensorProto.INT64: "i64", TensorProto.STRING: "str", TensorProto.BOOL: "bool",
    TensorProto.FLOAT16: "f16", TensorProto.DOUBLE: "f64", TensorProto.UINT32: "u32",
    TensorProto.UINT64: "u64", TensorProto.BFLOAT16: "bf16", TensorProto.UINT4: "u4",
    TensorProto.INT4: "i4", TensorProto.UINT2: "u2", TensorProto.INT2: "i2",
}
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
        from onnx.external_data_helper import load_external_data_for_tensor

        load_external_data_for_tensor(tensor, base_dir or ".")
    arr = numpy_helper.to_array(tensor)
    if dtype == "str":
        arr = np.vectorize(lambda b: b.decode("utf-8", "surrogateescape"), otypes=[np.str_])(arr) if arr.size else arr.astype(np.str_)
    else:
        arr = arr.astype(storage_dtype(dtype))
    return np.ascontiguousarray(arr), dtype


def tensor_from_array(array: np.ndarray, dtype: str, name: str = "") -> TensorProto:
    """A TensorProto holding `array` with IR element type `dtype`."""
    elem = ONNX_OF_DTYPE[dtype]
    if dtype == "str":
        flat = [str(s).encode("utf-8", "surrogateescape") for s in np.asarray(array).ravel()]
        return helper.make_tensor(name, elem, list(np.shape(array)), flat)
    np_type = helper.tensor_dtype_to_np_dtype(elem)
    return numpy_helper.from_array(np.asarray(array).astype(np_type), name)


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


def _schema_kind(op_type: str, domain: str, opset: int | None, name: str) -> int | None:
    if opset is None:
        return None
    try:
        schema = onnx.defs.get_schema(op_type, opset, domain)
    except Exception:  # unknown op or domain: fall back to the value's own kind
        return None
    spec = schema.attributes.get(name)
    return int(spec.type) if spec is not None else None


def attr_to_onnx(name: str, value: Any, op_type: str, domain: str, opset: int | None) -> AttributeProto:
    """An ONNX attribute for IR value `value`, typed by the op schema where the value is ambiguous."""
    if isinstance(value, FrozenDict) and set(value) == {SERIALIZED_ATTR_KEY}:
        attr = AttributeProto()
        attr.ParseFromString(base64.b64decode(value[SERIALIZED_ATTR_KEY]))
        attr.name = name
        return attr
    kind = _schema_kind(op_type, domain, opset, name)
    if isinstance(value, DenseArray):
        return helper.make_attribute(name, tensor_from_array(value.array, dtype_of_array(value.array)))
    if kind == AttributeProto.FLOAT and isinstance(value, int | float):
        return helper.make_attribute(name, float(value), attr_type=AttributeProto.FLOAT)
    if kind == AttributeProto.INT and isinstance(value, int | float):
        return helper.make_attribute(name, int(value), attr_type=AttributeProto.INT)
    if kind == AttributeProto.FLOATS and isinstance(value, tuple):
        return helper.make_attribute(name, [float(v) for v in value], attr_type=AttributeProto.FLOATS)
    if kind == AttributeProto.INTS and isinstance(value, tuple):
        return helper.make_attribute(name, [int(v) for v in value], attr_type=AttributeProto.INTS)
    if kind == AttributeProto.STRINGS and isinstance(value, tuple):
        return helper.make_attribute(name, [str(v) for v in value], attr_type=AttributeProto.STRINGS)
    if isinstance(value, bool):
        return helper.make_attribute(name, int(value), attr_type=AttributeProto.INT)
    if isinstance(value, tuple) and not value:
        return helper.make_attribute(name, [], attr_type=AttributeProto.INTS)
    if isinstance(value, tuple) and any(isinstance(v, float) for v in value):
        return helper.make_attribute(name, [float(v) for v in value], attr_type=AttributeProto.FLOATS)
    return helper.make_attribute(name, value)
