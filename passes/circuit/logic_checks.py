"""What the circuit approximation passes share: metric names, threshold checks, the logic view.

`bmf`, `prune`, `truncate` and `resynth` work on a combinational circuit: `prepare_logic` checks
the top graph (flat, combinational, logic or word ops only), lowers word-level operators to gates
and returns its `LogicView`; `check_threshold` and `default_metric` give one clear error for a
missing or impossible error budget or metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axc.ir import InputError, Module, VerifyError
from axc.ir.dialects import hw, logic, word
from axc.ir.views import LogicView
from axc.runtime.cost import CHOICE_SCRIPTS
from axc.runtime.metrics import metric_name

from ..clocked.options import ClockedOptions
from ..infra.base import CellLibraryOptions, PassContext
from .lower_word import LowerWordPass

__all__ = ["MAPPER_CHOICE_GATES", "ErrorBudgetOptions", "bit_level", "check_threshold", "default_metric",
           "prepare_logic"]

MAPPER_CHOICE_GATES = 3000
"""Up to this many gates, candidate designs are ranked by several ABC mapping scripts."""


def check_threshold(err: float | None, pass_name: str) -> float:
    """The error threshold, or one clear `InputError` when missing or outside (0, 1]."""
    if err is None:
        raise InputError(f"{pass_name} needs an error threshold: give err (e.g. --err 0.01)")
    if not 0.0 < float(err) <= 1.0:
        raise InputError(f"{pass_name}: err must be in (0, 1] (a fraction, e.g. 0.05 for 5 %), got {err}")
    return float(err)


def default_metric(metric: str | None, view: LogicView, pass_name: str) -> str:
    """`metric`, checked (aliases resolved); by default mae when some output port is multi-bit,
    else hd (`axc.runtime.metrics.metric_name`)."""
    return metric_name(metric, any(w > 1 for _, w in view.output_ports), pass_name)


def prepare_logic(ctx: PassContext, module: Module, pass_name: str) -> LogicView:
    """The top graph as a `LogicView`, lowering word-level ops first (clear errors otherwise)."""
    graph = module.top_graph
    if graph.kind != "hw":
        raise InputError(f"{pass_name} works on circuits; @{graph.name} is a '{graph.kind}' graph")
    allowed = (logic.LOGIC.name, word.WORD.name)
    for op in graph.ops:
        if isinstance(op, hw.InstanceOp):
            raise InputError(f"{pass_name}: the circuit still instantiates @{op.attr('callee')}; "
                             "flatten the hierarchy first", op.loc)
        if op.dialect not in allowed and not isinstance(op, hw.SplitOp | hw.JoinOp):
            raise InputError(f"{pass_name} works on combinational logic; '{op.name}' is not supported "
                             "(sequential or non-logic element)", op.loc)
    if any(op.dialect == word.WORD.name for op in graph.ops):
        LowerWordPass().apply(ctx, module)
        graph = module.top_graph
    try:
        return LogicView.from_graph(graph)
    except VerifyError as exc:
        raise InputError(f"{pass_name}: {exc.message if hasattr(exc, 'message') else exc} "
                         "(a combinational loop: sequential circuits are not supported)") from None


def bit_level(module: Module) -> Module:
    """`module` itself when it has no word operators, else a copy with them lowered to gates."""
    if not any(op.dialect == word.WORD.name for g in module.graphs.values() for op in g.ops):
        return module
    work = module.clone()
    LowerWordPass().apply(PassContext(quiet=True), work)
    return work


@dataclass(frozen=True)
class ErrorBudgetOptions(CellLibraryOptions, ClockedOptions):
    """Base of the approximation passes that search within an error budget (`bmf`, `prune`);
    on a clocked design they approximate every combinational cone (`axc.passes.clocked`)."""

    err: float | None = None
    """Error threshold in (0, 1] for the chosen metric (normalised: 0.01 = 1 %)."""
    metric: str | None = None
    """hd, er, mae, mre, wce or mse; default mae when an output port is multi-bit, else hd."""
    vectors: int = 10000
    """Random vectors the search measures on when exhaustive simulation is too big (exhaustive
    up to max(this, 2^16))."""
    resynth_effort: float = 1.0
    """Seconds of ABC's &deepsyn in the exact resynthesis (with resyn2) of the chosen design,
    and in `bmf`, of the designs its second refinement round starts from; a rewrite is kept only
    when it maps smaller with the same error. Negative: none. Skipped when the time budget is
    spent, and in `bmf` on circuits of more than 3000 gates."""
    bound_vectors: int = 1_000_000
    """Fresh random vectors that bound the written design's error above 24 input bits (a
    one-sided 99 % upper confidence bound must be within `err`; up to 24 inputs the design is
    checked exhaustively, and wce is proven by SAT above)."""

    several_mappers: bool = True
    """Rank candidate designs by their smallest mapped area over several ABC scripts (map -a,
    amap, &nf; `axc.runtime.cost.CHOICE_SCRIPTS`) on circuits of at most 3000 gates with a
    genlib; False: the cost model's one script."""

    def ranking_library(self, gates: int) -> dict[str, Any]:
        """The library options as `circuit_cost` takes them to rank candidate designs: with
        several mappers (circuits of at most `MAPPER_CHOICE_GATES` gates), the scripts too."""
        library: dict[str, Any] = self.cost_library()
        if self.several_mappers and not self.liberty and gates <= MAPPER_CHOICE_GATES:
            library["scripts"] = CHOICE_SCRIPTS
        return library

    def check_budget(self, pass_name: str) -> float:
        """The threshold, after checking the shared options (one `InputError` when bad)."""
        err = check_threshold(self.err, pass_name)
        for field_name in ("vectors", "bound_vectors"):
            if getattr(self, field_name) < 1:
                raise InputError(f"{pass_name}: {field_name} must be positive, got {getattr(self, field_name)}")
        return err
