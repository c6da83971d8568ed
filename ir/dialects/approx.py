"""The `approx` dialect: what approximation passes create.

Every `approx.*` op records what it replaced (`origin`) and its measured error (`error`, a dict
of metric name to value), so a report can always say what was approximated and by how much.
(`truncate` rewrites the circuit itself and leaves no op: the truncated circuit is the record.)

- `approx.bmf`: one subcircuit rewritten by Boolean matrix factorization. Operands are the
  subcircuit inputs, results its outputs; `body` names the graph of the module that implements
  the compressor/decompressor, `degree` the factorization degree.
- `approx.mul`: an approximate multiplier model attached to a quantized conv/gemm/matmul
  (`model` names it; `circuit` may point to a circuit graph of the module: the cross-level link).
- `approx.htp`: the same product evaluated as a sum of transformed products.
- `approx.early_relu`: SnaPEA weight order and thresholds on a conv followed by ReLU.
"""

from __future__ import annotations

from ..attributes import FrozenDict
from ..core import Op
from ..dialect import Dialect
from .quant import check_quant

__all__ = ["APPROX", "BmfOp", "EarlyReluOp", "HtpOp", "MulOp"]


class _ApproxOp(Op):
    open_attributes = True
    num_operands = (0, None)
    num_results = (0, None)


class BmfOp(_ApproxOp):
    """A subcircuit replaced by its BMF compressor/decompressor (graph `body`)."""

    name = "approx.bmf"

    def verify_(self) -> None:
        body = self.attr("body")
        if not isinstance(body, str):
            raise self.error("requires a string attribute 'body' naming the implementation graph")
        module = self.graph.module if self.graph is not None else None
        if module is not None:
            if body not in module.graphs:
                raise self.error(f"body @{body} is not a graph of the module")
            g = module.graphs[body]
            if len(g.inputs) != len(self.operands) or len(g.outputs) != len(self.results):
                raise self.error(f"arity does not match body @{body}")


class MulOp(_ApproxOp):
    """A conv/gemm/matmul whose products go through an approximate multiplier model."""

    name = "approx.mul"


class HtpOp(_ApproxOp):
    """A conv/gemm/matmul evaluated as sum_j c_j g_wj(w) g_xj(x)."""

    name = "approx.htp"


class EarlyReluOp(_ApproxOp):
    """A conv+ReLU with SnaPEA weight order and early-termination thresholds."""

    name = "approx.early_relu"


def _records_origin_and_error(op: Op) -> None:
    if not isinstance(op.attr("origin"), str):
        raise op.error("requires a string attribute 'origin' (what it replaced)")
    if not isinstance(op.attr("error"), FrozenDict):
        raise op.error("requires a dict attribute 'error' (its measured error)")
    check_quant(op)


APPROX = Dialect(
    "approx",
    [BmfOp, MulOp, HtpOp, EarlyReluOp],
    doc="Approximate ops and their records.",
    rule=_records_origin_and_error,
)
