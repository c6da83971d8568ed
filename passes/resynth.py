"""`resynth`: exact optimisation of a combinational circuit by ABC (inside Yosys).

The top graph goes out as BLIF; Yosys hands it to ABC, which runs structural hashing, the
stochastic `&deepsyn` for `effort` seconds (0 skips it) and `resyn2`, then maps onto simple
gates (AND, NAND, OR, NOR, XOR, XNOR, MUX); the result comes back through the BLIF frontend
with the same port names and widths and replaces the top graph. Nothing is approximated: the
new graph is simulated against the old one (exhaustively up to 2^16 input vectors, else on
`vectors` random ones) and any difference is an error. Use it before `bmf` or `truncate` so
that the approximation starts from a compact exact circuit, or after them to tidy the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from axc.backends.blif import emit_blif
from axc.frontend.blif import parse_blif
from axc.ir import InputError, Module, VerifyError
from axc.ir.views import LogicView
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.yosys import run_yosys

from .base import ModulePass, PassContext, PassResult
from .bmf import prepare_logic

__all__ = ["ResynthPass"]

_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"
_RESYN2 = "balance;rewrite;refactor;balance;rewrite;rewrite -z;balance;refactor -z;rewrite -z;balance"


@dataclass(frozen=True)
class ResynthPass(ModulePass):
    """Optimise a combinational circuit exactly with ABC (&deepsyn, resyn2) and check by
    simulation that every output is unchanged."""

    name: ClassVar[str] = "resynth"
    requires_dialects: ClassVar[tuple[str, ...]] = ("logic",)

    effort: float = 10.0
    """Seconds of ABC's `&deepsyn` (0: only resyn2)."""
    seed: int = 0
    """Seed of the random check vectors (and of &deepsyn)."""
    vectors: int = 10000
    """Random check vectors when exhaustive simulation is too big."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        if self.effort < 0:
            raise InputError(f"resynth: effort must not be negative, got {self.effort}")
        before = prepare_logic(ctx, module, self.name)
        graph = module.top_graph
        deep = f"&get -n;&deepsyn -S {self.seed} -T {self.effort:g};&put;" if self.effort > 0 else ""
        script = "\n".join([
            "read_blif design.blif", "hierarchy -auto-top", "flatten", "techmap", "opt_clean",
            f'abc -g {_GATES} -script "+strash;{deep}{_RESYN2};map"', "opt_clean -purge",
            "write_blif out.blif", "",
        ])
        result = run_yosys(script, {"design.blif": emit_blif(module)}, outputs=("out.blif",))
        fresh = parse_blif(result.outputs["out.blif"], "resynth.blif").top_graph
        fresh.name = graph.name
        after = LogicView.from_graph(fresh)
        self._check_equal(before, after)
        module.remove_graph(graph.name)
        module.add_graph(fresh, top=True)
        ctx.log(f"resynth: {before.n_gates} → {after.n_gates} gates")
        return PassResult(modified=True, stats={"gates_before": before.n_gates, "gates_after": after.n_gates})

    def _check_equal(self, before: LogicView, after: LogicView) -> None:
        if [p for p in before.input_ports] != [p for p in after.input_ports] or \
                [p for p in before.output_ports] != [p for p in after.output_ports]:
            raise VerifyError("resynth: the optimised circuit's ports differ from the original's")
        vectors = VectorSet.auto(before, self.vectors, self.seed)
        old = Simulator(before).run(vectors, keep_signals=False).packed
        new = Simulator(after).run(vectors, keep_signals=False).packed
        if not np.array_equal(old, new):
            raise VerifyError(f"resynth: ABC's result differs from the original on {vectors.describe()}")
