"""Multiplier models f(x, w) for approximate networks: analytic families, LUTs from circuits.

`load_multiplier(spec, ...)` is the entry point: a family spec (`exact`, `trunc{l=2,m=2}`,
`drum{k=6}`, `mitchell{k=4}`) or a circuit file (Verilog/BLIF/IR) whose ports are the activation
operand x, the weight operand w and the product. `model_from_graph` builds one from a circuit
graph of a module. Every model carries its error metrics (and, for circuits, its cost).
"""

from __future__ import annotations

from . import circuit
from .model import LUT_LIMIT_BITS, MultiplierModel, error_metrics, operand_range
from .spec import (
    FAMILIES,
    analytic_model,
    canonical_spec,
    is_circuit_path,
    load_multiplier,
    parse_spec,
)

__all__ = [
    "FAMILIES", "LUT_LIMIT_BITS", "MultiplierModel", "analytic_model", "canonical_spec",
    "error_metrics", "is_circuit_path", "load_multiplier", "model_from_circuit_file",
    "model_from_graph", "operand_range", "parse_spec",
]


def __getattr__(name: str):  # circuit support imports the frontends lazily
    if name in ("model_from_graph", "model_from_circuit_file"):
        return getattr(circuit, name)
    raise AttributeError(name)
