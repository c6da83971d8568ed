"""axc.ir: the unified dataflow IR of axc-opt (core, types, attributes, dialects, text form).

Import from here, not from the submodules: `from axc.ir import Graph, IntType, verify`.
This package imports neither onnx nor torch.
"""

from __future__ import annotations

from . import dialects
from .attributes import DenseArray, FrozenDict, TruthTable, canonical_attr
from .core import Graph, Module, Op, Use, Value
from .diagnostics import (
    AxcError,
    FileLoc,
    InputError,
    Location,
    NameLoc,
    ParseError,
    PassError,
    VerifyError,
)
from .dialect import AttrDef, Dialect, lookup_op, register_dialect, registered_dialects
from .extras import MissingExtra, check_extra, import_extra
from .types import IntType, TensorType, Type, i1
from .verifier import verify

__all__ = [
    "AttrDef", "AxcError", "DenseArray", "Dialect", "FileLoc", "FrozenDict",
    "Graph", "InputError", "IntType", "Location", "MissingExtra", "Module", "NameLoc", "Op", "ParseError",
    "PassError", "TensorType", "TruthTable", "Type", "Use", "Value", "VerifyError",
    "canonical_attr", "check_extra", "dialects", "import_extra", "i1", "lookup_op", "register_dialect", "registered_dialects",
    "verify",
]
