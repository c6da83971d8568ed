"""The `quant` attribute: the integer view of a quantized conv/gemm/matmul layer.

`quantize` records it on every layer it quantizes (`nn.conv`, `nn.gemm`, `nn.matmul`), and the
`approx.mul`/`approx.htp` ops that replace such a layer carry it on. `QuantParams` is its one
accessor: `QuantParams.of(op)` reads it (None when the op is not quantized), `store(op)` writes
it, `dataclasses.replace` edits it. The `nn` and `approx` dialects check that an op's `quant`
attribute has exactly these fields. Meaning (real = (int − zero point) × scale):

- `weight_operand`: which operand is the weight; `w_int`, `w_scale`, `w_zero_point` (arrays,
  per output channel along `w_axis`, or per tensor when it is None); `w_bits`, `w_signed`,
  `w_symmetric`;
- `x_scale`, `x_zero_point`, `x_bits`, `x_signed`: the input activation's parameters;
  `x_range`: its calibrated real range; `calibration`: how it was chosen;
- `bias_int`, `bias_scale`: the int32 bias at the product scale (None without a bias).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..attributes import DenseArray, FrozenDict
from ..core import Op

__all__ = ["QUANT_ATTR", "QuantParams", "check_quant"]

QUANT_ATTR = "quant"


@dataclass(frozen=True)
class QuantParams:
    """The integer view of one quantized layer (see the module docstring)."""

    weight_operand: int
    w_int: np.ndarray
    w_scale: np.ndarray
    w_zero_point: np.ndarray
    w_axis: int | None
    w_bits: int
    w_signed: bool
    w_symmetric: bool
    x_scale: float
    x_zero_point: int
    x_bits: int
    x_signed: bool
    x_range: tuple[float, float]
    bias_int: np.ndarray | None
    bias_scale: np.ndarray | None
    calibration: str

    @classmethod
    def from_attr(cls, raw: FrozenDict | dict[str, Any]) -> QuantParams:
        """Parse an attribute value; `ValueError` when its fields are not exactly these."""
        fields = [f.name for f in dataclasses.fields(cls)]
        keys = set(raw.keys())
        if keys != set(fields):
            missing, extra = sorted(set(fields) - keys), sorted(keys - set(fields))
            raise ValueError(f"'{QUANT_ATTR}' attribute: missing {missing}, unknown {extra}")
        values = {k: raw[k].array if isinstance(raw[k], DenseArray) else raw[k] for k in fields}
        values["x_range"] = tuple(values["x_range"])
        return cls(**values)

    @classmethod
    def of(cls, op: Op) -> QuantParams | None:
        """The view recorded on `op`, or None when it has none."""
        raw = op.attr(QUANT_ATTR)
        return None if raw is None else cls.from_attr(raw)

    def to_attr(self) -> dict[str, Any]:
        """The attribute value (arrays as `DenseArray`s)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for key in _ARRAY_FIELDS:
            if values[key] is not None:
                values[key] = DenseArray(np.asarray(values[key]))
        return values

    def store(self, op: Op) -> None:
        """Record this view on `op`."""
        op.set_attr(QUANT_ATTR, self.to_attr())


_ARRAY_FIELDS = ("w_int", "w_scale", "w_zero_point", "bias_int", "bias_scale")


def check_quant(op: Op) -> None:
    """Dialect rule: a `quant` attribute, when present, is a well-formed `QuantParams`."""
    raw = op.attr(QUANT_ATTR)
    if raw is None:
        return
    if not isinstance(raw, FrozenDict):
        raise op.error(f"'{QUANT_ATTR}' must be a dictionary")
    try:
        QuantParams.from_attr(raw)
    except ValueError as exc:
        raise op.error(str(exc)) from None
