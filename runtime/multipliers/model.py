"""`MultiplierModel`: an integer multiplier f(x, w) with an activation port and a weight port.

A model knows its operand widths and signedness, evaluates f on numpy arrays (from an analytic
form or from its lookup table), builds its LUT on demand and measures its own error against the
exact product.

LUT layout (used by every kernel, the torch path and the ONNX lowering): an int32 array of shape
(2^x_bits, 2^w_bits) indexed by *offset* operands, `lut[x - x_min, w - w_min]`, where x_min is
-2^(x_bits-1) for a signed port and 0 for an unsigned one. Flattened, the index of (x, w) is
(x - x_min) * 2^w_bits + (w - w_min).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from axc.ir import InputError

__all__ = ["LUT_LIMIT_BITS", "METRICS_SAMPLES", "MultiplierModel", "error_metrics", "sign_extracted"]

LUT_LIMIT_BITS = 20
"""Largest x_bits + w_bits for which a model may be tabulated (2^20 int32 entries = 4 MiB)."""

METRICS_SAMPLES = 1 << 20
"""Operand pairs sampled (seeded) for the metrics of models too wide to enumerate."""


def operand_range(bits: int, signed: bool) -> tuple[int, int]:
    """Inclusive (min, max) of a `bits`-wide operand."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def error_metrics(
    approx: np.ndarray, exact: np.ndarray, x_bits: int, w_bits: int, exhaustive: bool = True
) -> dict[str, Any]:
    """MAE, WCE, EP, MRE, MSE, WCRE and bias of `approx` against `exact`, plus EvoApprox forms.

    Normalised forms follow EvoApproxLib: MAE% = MAE / 2^(x_bits+w_bits) * 100, likewise WCE%;
    EP% is the share of operand pairs with any error; MRE% and WCRE% are the mean and maximum of
    |error| / |exact| over the pairs with a non-zero exact product (EvoApproxLib's definition).
    """
    a = np.asarray(approx, dtype=np.int64).ravel()
    e = np.asarray(exact, dtype=np.int64).ravel()
    err = a - e
    abs_err = np.abs(err)
    nonzero = e != 0
    rel = abs_err[nonzero] / np.abs(e[nonzero])
    scale = float(1 << (x_bits + w_bits))
    mae = float(abs_err.mean())
    wce = int(abs_err.max()) if abs_err.size else 0
    return {
        "mae": mae,
        "wce": wce,
        "ep%": 100.0 * float(np.count_nonzero(err)) / max(1, err.size),
        "mre%": 100.0 * float(rel.mean()) if rel.size else 0.0,
        "wcre%": 100.0 * float(rel.max()) if rel.size else 0.0,
        "mse": float((err.astype(np.float64) ** 2).mean()),
        "bias": float(err.mean()),
        "mae%": 100.0 * mae / scale,
        "wce%": 100.0 * wce / scale,
        "pairs": int(err.size),
        "exhaustive": exhaustive,
    }


@dataclass(frozen=True, eq=False)
class MultiplierModel:
    """An approximate (or exact) integer multiplier f(x, w); x is the activation operand."""

    name: str
    """Canonical spec (`drum{k=4}`, `exact`) or circuit name (`mul8u_GTR`)."""
    x_bits: int
    """Width of the activation operand x."""
    w_bits: int
    """Width of the weight operand w."""
    signed: bool
    """Both operands (and the product) are two's complement (unless `x_signed`/`w_signed` say
    otherwise for one operand)."""
    function: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    """Vectorised analytic form on int64 arrays, when one exists."""
    table: np.ndarray | None = None
    """The LUT (see the module docstring) when the model comes from a circuit or table."""
    family: str | None = None
    """Analytic family name (`exact`, `trunc`, `drum`, `mitchell`) or None."""
    params: Mapping[str, int] = field(default_factory=dict)
    """Family parameters (`l`, `m`, `k`)."""
    origin: str = "analytic"
    """Where the model came from: `analytic`, a circuit file path, or `@graph` of the module."""
    cost: Mapping[str, float] | None = None
    """Circuit cost from the cost model (`area`, `power`, `delay`, ...) when known."""
    x_port: str | None = None
    """Circuit port used as the activation operand."""
    w_port: str | None = None
    """Circuit port used as the weight operand."""
    net: str | None = None
    """The net of a clocked circuit file that is this multiplier (its combinational cone)."""
    x_signed: bool | None = None
    """Signedness of the activation operand when it differs from `signed`."""
    w_signed: bool | None = None
    """Signedness of the weight operand when it differs from `signed`."""
    sign_extraction: bool = False
    """An unsigned design used on signed weights: g(x, w) = sign(w) f(x, |w|) (see `sign_extracted`)."""

    def __post_init__(self) -> None:
        if self.function is None and self.table is None:
            raise InputError(f"multiplier '{self.name}' has neither an analytic form nor a table")
        if self.table is not None:
            expected = (1 << self.x_bits, 1 << self.w_bits)
            if self.table.shape != expected:
                raise InputError(
                    f"multiplier '{self.name}': table shape {self.table.shape} != {expected}"
                )

    @property
    def x_is_signed(self) -> bool:
        return self.signed if self.x_signed is None else self.x_signed

    @property
    def w_is_signed(self) -> bool:
        return self.signed if self.w_signed is None else self.w_signed

    @property
    def x_range(self) -> tuple[int, int]:
        return operand_range(self.x_bits, self.x_is_signed)

    @property
    def w_range(self) -> tuple[int, int]:
        return operand_range(self.w_bits, self.w_is_signed)

    @property
    def is_exact_family(self) -> bool:
        return self.family == "exact"

    @property
    def tabulable(self) -> bool:
        return self.x_bits + self.w_bits <= LUT_LIMIT_BITS

    def __call__(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """f(x, w) elementwise (int64); operands must lie in their ranges."""
        x = np.asarray(x, dtype=np.int64)
        w = np.asarray(w, dtype=np.int64)
        if self.function is not None:
            return self.function(x, w)
        assert self.table is not None
        return self.table[x - self.x_range[0], w - self.w_range[0]].astype(np.int64)

    def operand_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """All (x, w) pairs as two (2^x_bits, 2^w_bits) arrays in LUT order."""
        xs = np.arange(self.x_range[0], self.x_range[1] + 1, dtype=np.int64)
        ws = np.arange(self.w_range[0], self.w_range[1] + 1, dtype=np.int64)
        return np.meshgrid(xs, ws, indexing="ij")

    def lut(self) -> np.ndarray:
        """The int32 LUT; InputError when the model is wider than the LUT limit."""
        return self._lut

    @cached_property
    def _lut(self) -> np.ndarray:
        if self.table is not None:
            return np.ascontiguousarray(self.table, dtype=np.int32)
        if not self.tabulable:
            raise InputError(
                f"multiplier '{self.name}' is {self.x_bits}x{self.w_bits} bits: its table would "
                f"need 2^{self.x_bits + self.w_bits} entries (limit 2^{LUT_LIMIT_BITS})"
            )
        x, w = self.operand_grid()
        table = self(x, w)
        if np.abs(table).max() >= 1 << 31:
            raise InputError(f"multiplier '{self.name}': products exceed int32")
        return np.ascontiguousarray(table, dtype=np.int32)

    def metrics(self) -> dict[str, Any]:
        """Error metrics vs the exact product: exhaustive, or sampled (seed 0) when too wide."""
        return self._metrics

    @cached_property
    def _metrics(self) -> dict[str, Any]:
        if self.tabulable:
            x, w = self.operand_grid()
            return error_metrics(self.lut(), x * w, self.x_bits, self.w_bits)
        rng = np.random.default_rng(0)
        x = rng.integers(self.x_range[0], self.x_range[1] + 1, METRICS_SAMPLES)
        w = rng.integers(self.w_range[0], self.w_range[1] + 1, METRICS_SAMPLES)
        return error_metrics(self(x, w), x * w, self.x_bits, self.w_bits, exhaustive=False)

    def describe(self) -> dict[str, Any]:
        """A JSON-able record: name, widths, signedness, origin, metrics, cost."""
        out: dict[str, Any] = {
            "name": self.name,
            "x_bits": self.x_bits,
            "w_bits": self.w_bits,
            "signed": self.signed,
            "x_signed": self.x_is_signed,
            "w_signed": self.w_is_signed,
            "sign_extraction": self.sign_extraction,
            "origin": self.origin,
            "metrics": self.metrics(),
        }
        if self.x_port is not None:
            out["ports"] = {"x": self.x_port, "w": self.w_port}
        if self.cost:
            out["cost"] = dict(self.cost)
        return out


def sign_extracted(model: MultiplierModel) -> MultiplierModel:
    """An unsigned multiplier used on signed weights the way hardware wires it (and the
    Mitchell/DRUM literature makes unsigned designs signed): |w| goes through the design and the
    sign is re-applied, g(x, w) = sign(w) f(x, |w|) for unsigned x. The weight operand becomes
    signed of the same width (|w| <= 2^(bits-1) fits the unsigned port); zero stays zero, and
    x >= 0, w <= 0 gives a product <= 0."""
    if model.x_is_signed or model.w_is_signed:
        raise InputError(f"sign extraction needs an unsigned multiplier; '{model.name}' is signed")

    def product(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.sign(w) * model(x, np.abs(w))

    return MultiplierModel(
        name=model.name, x_bits=model.x_bits, w_bits=model.w_bits, signed=False, function=product,
        family=model.family, params=model.params, origin=model.origin, cost=model.cost,
        x_port=model.x_port, w_port=model.w_port, x_signed=False, w_signed=True, sign_extraction=True,
    )
