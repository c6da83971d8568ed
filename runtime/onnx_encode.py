"""Encoding IR values as ONNX: tensors and node attributes (the inverse of the frontend's reading).

Attributes are typed by the op's schema where the IR value is ambiguous (an int where the schema
wants a float); `{"onnx_attribute": ...}` dicts that the frontend kept are restored byte for byte.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import onnx
from axc.ir import DenseArray, FrozenDict
from axc.ir.dtypes import ONNX_OF_DTYPE, SERIALIZED_ATTR_KEY, dtype_of_array
from onnx import AttributeProto, TensorProto, helper, numpy_helper

__all__ = ["attr_to_onnx", "tensor_from_array"]


def tensor_from_array(array: np.ndarray, dtype: str, name: str = "") -> TensorProto:
    """A TensorProto holding `array` with IR element type `dtype`."""
    elem = ONNX_OF_DTYPE[dtype]
    if dtype == "str":
        flat = [str(s).encode("utf-8", "surrogateescape") for s in np.asarray(array).ravel()]
        return helper.make_tensor(name, elem, list(np.shape(array)), flat)
    np_type = helper.tensor_dtype_to_np_dtype(elem)
    return numpy_helper.from_array(np.asarray(array).astype(np_type), name)


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
