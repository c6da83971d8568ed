"""`resynth`: exact optimisation of a combinational circuit by ABC (inside Yosys).

The top graph goes out as BLIF; Yosys hands it to ABC, which runs structural hashing, the
stochastic `&deepsyn` for `effort` seconds (0 skips it) and `resyn2`, then maps onto simple
gates (AND, NAND, OR, NOR, XOR, XNOR, MUX); the result comes back through the BLIF frontend
(`ctx.read_file`) with the same port names and widths and replaces the top graph. Nothing is approximated: the
new graph is compared with the old one by `check-equiv`'s simulations (exhaustive up to 16 input
bits, else on `vectors` random vectors) and any difference is an error. The new graph
replaces the old one only when it maps (cost model) to less area, or to the same area with
fewer gates: ABC's mapping onto simple gates is not area-optimal and can come out larger on
small circuits, and the pass never makes a circuit bigger. Use it before `bmf` or `truncate`,
so that the approximation starts from a compact exact circuit.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from axc.ir import InputError, Module, PassError
from axc.ir.views import LogicView
from axc.runtime.blif_module import module_blif
from axc.runtime.cost import estimate_cost
from axc.runtime.yosys import run_yosys

from ..bmf.synth import ABC_GATES
from ..infra.base import CellLibraryOptions, PassContext, PassResult
from .check_equiv import check_interfaces, exhaustive_equivalence, random_equivalence
from .error_bound import Certified, LogicReference, keep_if_same_error
from .logic_checks import ErrorBudgetOptions, prepare_logic

__all__ = ["ResynthPass", "exact_rewrite", "resynthesized"]

_EXHAUSTIVE_INPUTS = 16
_RESYN2 = "balance;rewrite;refactor;balance;rewrite;rewrite -z;balance;refactor -z;rewrite -z;balance"


@dataclass(frozen=True)
class ResynthPass(CellLibraryOptions):
    """Optimise a combinational circuit exactly with ABC (&deepsyn, resyn2), check by
    simulation that every output is unchanged, and keep the result only if it maps smaller."""

    name: ClassVar[str] = "resynth"

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
            f'abc -g {ABC_GATES} -script "+strash;{deep}{_RESYN2};map"', "opt_clean -purge",
            "write_blif out.blif", "",
        ])
        result = run_yosys(script, {"design.blif": module_blif(module)}, outputs=("out.blif",))
        with tempfile.TemporaryDirectory(prefix="axc-resynth-") as folder:
            path = Path(folder) / "resynth.blif"
            path.write_text(result.outputs["out.blif"])
            fresh = ctx.read_file(str(path), top=None).top_graph
        fresh.name = graph.name
        check_interfaces(graph, fresh)
        if before.n_inputs <= _EXHAUSTIVE_INPUTS:
            verdict = exhaustive_equivalence(graph, fresh, _EXHAUSTIVE_INPUTS)
        else:
            verdict = random_equivalence(graph, fresh, self.vectors, self.seed)
        if not verdict.equivalent:
            raise PassError(f"resynth: ABC's result differs from the original ({verdict.method}): "
                            f"{verdict.describe()}")
        fresh_view = LogicView.from_graph(fresh)
        genlib, liberty = self.genlib, self.liberty
        area_before = estimate_cost(before, genlib, liberty, power=False).area
        abc_area = estimate_cost(fresh_view, genlib, liberty, power=False).area
        stats = {"gates_before": before.n_gates, "area_before": area_before,
                 "abc_gates": fresh_view.n_gates, "abc_area": abc_area}
        if (abc_area, fresh_view.n_gates) >= (area_before, before.n_gates):
            ctx.log(f"resynth: kept the original ({before.n_gates} gates, {area_before:.1f} µm²); "
                    f"ABC's result maps to {fresh_view.n_gates} gates, {abc_area:.1f} µm²")
            return PassResult(modified=False, stats={**stats, "gates_after": before.n_gates, "area_after": area_before})
        module.remove_graph(graph.name)
        module.add_graph(fresh, top=True)
        ctx.log(f"resynth: {before.n_gates} → {fresh_view.n_gates} gates, {area_before:.1f} → {abc_area:.1f} µm²")
        return PassResult(modified=True, stats={**stats, "gates_after": fresh_view.n_gates, "area_after": abc_area})


def resynthesized(ctx: PassContext, module: Module, effort: float, seed: int = 0,
                  library: dict | None = None) -> Module | None:
    """A copy of `module` optimised exactly by `resynth` (quietly), or None when ABC's result
    does not map smaller (or the run has no file reader to read ABC's result back)."""
    if ctx.reader is None:
        return None
    copy = module.clone()
    quiet = PassContext(quiet=True, reader=ctx.reader)
    options = {k: v for k, v in (library or {}).items() if v}
    try:
        return copy if ResynthPass(effort=effort, seed=seed, **options).apply(quiet, copy).modified else None
    except (InputError, PassError) as exc:  # e.g. bit-blasted ports that come back as one bus
        ctx.log(f"resynth: skipped ({exc.message})")
        return None


def exact_rewrite(ctx: PassContext, options: ErrorBudgetOptions, reference: LogicReference, certified: Certified,
                  metric: str) -> bool:
    """Resynthesize a certified design exactly (`options.resynth_effort`); adopt ABC's result when
    it maps smaller with the same error on the bound's vectors. Whether it was adopted."""
    if options.resynth_effort < 0 or certified.bound.method == "unchanged":
        return False
    fresh = resynthesized(ctx, certified.module, options.resynth_effort, 0, options.cost_library())
    if fresh is None or not keep_if_same_error(reference, certified, fresh, metric):
        return False
    ctx.log(f"{options.name}: the written design was resynthesized exactly (ABC), with the same error "
            "on the bound's vectors")
    return True
