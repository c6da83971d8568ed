"""Multiplier models f(x, w) for approximate networks: analytic families, LUTs from circuits.

`load_multiplier(spec, ...)` gives the model of a family spec (`exact`, `trunc{l=2,m=2}`,
`drum{k=6}`, `mitchell{k=4}`); `resolve_spec` turns a circuit name (`mul8u_FTA`) into its file
through the search path (`--multiplier-path`, `$AXC_MULTIPLIER_PATH`); `model_from_graph` tabulates a circuit graph whose ports are the
activation operand x, the weight operand w and the product (the passes read circuit files and
hand their graphs over). Every model carries its error metrics (and, for circuits, its cost).
"""

from __future__ import annotations

from .circuit import model_from_graph
from .model import LUT_LIMIT_BITS, MultiplierModel, error_metrics, operand_range, sign_extracted
from .names import SEARCH_PATH_ENV, resolve_spec, search_path
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
    "error_metrics", "is_circuit_path", "load_multiplier", "model_from_graph", "operand_range",
    "parse_spec", "resolve_spec", "search_path", "SEARCH_PATH_ENV", "sign_extracted",
]
