"""Typed access to the integer view the `quantize` pass records on conv/gemm/matmul ops.

```python
view = QuantView.of(op)          # None when the op is not quantized
view.w_int, view.w_scale, view.w_zero_point, view.w_axis   # numpy arrays / int | None
view.weight_real()                # (w_int - Z_w) * S_w, the float weights the graph computes with
view.quantize_input(x)           # activations to integers with the layer's S_x, Z_x and bit range
```

The attribute layout (`quant` dict) is documented in `axc.passes.quantize`; `QuantView.store`
writes a modified view back (e.g. after re-quantizing weights for an unsigned multiplier).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from axc.ir import DenseArray, FrozenDict, Op
from axc.runtime import quant as Q

__all__ = ["QuantView"]


@dataclass(frozen=True)
class QuantView:
    """The integer view of one quantized layer (see `axc.passes.quantize` for the meaning)."""

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
    def of(cls, op: Op) -> QuantView | None:
        raw = op.attr("quant")
        if not isinstance(raw, FrozenDict):
            return None
        values: dict[str, Any] = {}
        for key, value in raw.items():
            values[key] = value.array if isinstance(value, DenseArray) else value
        values["x_range"] = tuple(values["x_range"])
        return cls(**values)

    def store(self, op: Op) -> None:
        """Write this view to `op`'s `quant` attribute."""
        op.set_attr("quant", {k: DenseArray(v) if isinstance(v, np.ndarray) else v for k, v in asdict(self).items()})

    def with_(self, **changes: Any) -> QuantView:
        return replace(self, **changes)

    @property
    def w_range(self) -> Q.IntRange:
        return Q.IntRange(self.w_bits, self.w_signed)

    @property
    def x_int_range(self) -> Q.IntRange:
        return Q.IntRange(self.x_bits, self.x_signed)

    def weight_real(self) -> np.ndarray:
        """The dequantized weights, (w_int - Z_w) * S_w along `w_axis`."""
        return Q.dequantize(self.w_int, self.w_scale, self.w_zero_point, self.w_axis)

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Activation integers (int64) exactly as the graph's QuantizeLinear (+ Clip) makes them."""
        return Q.quantize(x, self.x_scale, self.x_zero_point, self.x_int_range)

    def bias_real(self) -> np.ndarray | None:
        if self.bias_int is None or self.bias_scale is None:
            return None
        return (self.bias_int.astype(np.float64) * self.bias_scale).astype(np.float32)
