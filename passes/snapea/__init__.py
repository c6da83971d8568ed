"""The `snapea` pass: weight reordering for early ReLU termination (SnaPEA, ISCA 2018).

`network` finds the layers SnaPEA applies to and instruments the network to measure them,
`probe` runs configurations in ONNX Runtime, `search` is the paper's Algorithm 1 for predictive
(Th, N) parameters, `snapea_pass` the pass itself and `lowering` the emission of
`approx.early_relu` as standard ops. MAC orders and their replay over real windows are runtime
executors (`axc.runtime.snapea`).
"""

from __future__ import annotations

from .snapea_pass import SnapeaPass

__all__ = ["SnapeaPass"]
