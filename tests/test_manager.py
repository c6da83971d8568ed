"""The pass manager: option filling, verification between passes, errors, stats and report."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import ClassVar

import pytest
from axc.ir import FileLoc, Graph, InputError, IntType, Module, PassError, VerifyError, i1, verify
from axc.ir.dialects import hw, logic
from axc.passes.common.cse import CommonSubexpressionPass
from axc.passes.common.dce import DeadCodePass
from axc.passes.infra.base import ModulePass, PassContext, PassResult
from axc.passes.infra.manager import PassManager


@dataclass(frozen=True)
class BudgetPass(ModulePass):
    """Records the options it got."""

    name: ClassVar[str] = "budget"
    err: float | None = None
    """Error budget."""
    seed: int = 0
    """Seed."""
    data: str | None = None
    """Data set."""
    calib: int | None = None
    """Calibration samples."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        ctx.report[self.name] = {"err": self.err, "seed": self.seed, "calib": self.calib}
        return PassResult(stats={"err": self.err}, notes=["seen"])


@dataclass(frozen=True)
class BreakerPass(ModulePass):
    """Leaves an op reading a value of an erased op (invalid IR)."""

    name: ClassVar[str] = "breaker"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        graph = module.top_graph
        victim = next(op for op in graph.ops if isinstance(op, logic.AndOp))
        graph.erase(victim, force=True)
        return PassResult(modified=True)


@dataclass(frozen=True)
class FailingPass(ModulePass):
    """Fails with a located user error."""

    name: ClassVar[str] = "failing"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        raise InputError("no data given", FileLoc("model.onnx", 3, 7))


@dataclass(frozen=True)
class CrashingPass(ModulePass):
    """Fails with a Python bug."""

    name: ClassVar[str] = "crashing"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        return {}["missing"]


PASSES: dict[str, type[ModulePass]] = {
    "budget": BudgetPass, "breaker": BreakerPass, "failing": FailingPass,
    "crashing": CrashingPass, "dce": DeadCodePass, "cse": CommonSubexpressionPass,
}


def small_module() -> Module:
    module = Module()
    graph = module.add_graph(Graph("top"))
    a = graph.add_input("a", IntType(2))
    x, y = graph.create(hw.SplitOp, [a], [i1, i1]).results
    first = graph.create(logic.AndOp, [x, y], [i1]).result
    second = graph.create(logic.AndOp, [y, x], [i1]).result
    graph.create(logic.OrOp, [x, y], [i1])  # dead
    out = graph.create(logic.XorOp, [first, second], [i1]).result
    graph.set_outputs([out], ["o"])
    return module


def test_global_options_fill_fields_unless_the_spec_sets_them() -> None:
    result = PassManager.parse("budget,budget{err=0.5 seed=9}", passes=PASSES, err=0.01, seed=3, calib="64").run(small_module())
    records = result.records
    assert records[0].stats == {"err": 0.01}
    assert records[1].stats == {"err": 0.5}
    assert result.ctx.seed == 3
    assert result.ctx.report["budget"] == {"err": 0.5, "seed": 9, "calib": 64}
    first = PassManager.parse("budget", passes=PASSES, seed=3, calib="64").passes[0]
    assert (first.seed, first.calib, first.err) == (3, 64, None)


def test_global_option_of_the_wrong_type_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--calib does not fit option 'calib'"):
        PassManager.parse("budget", passes=PASSES, calib="lots")


def test_stats_timings_and_report() -> None:
    result = PassManager.parse("cse,dce,budget,dce", passes=PASSES).run(small_module())
    assert result.stats["cse"] == {"ops_merged": 1}
    assert result.stats["dce"] == {"ops_removed": 1}
    assert result.stats["dce#2"] == {"ops_removed": 0}
    assert set(result.timings) == {"cse", "dce", "budget", "dce#2"}
    assert all(t >= 0 for t in result.timings.values())
    report = result.report
    assert report["pipeline"] == "cse,dce,budget,dce"
    assert [p["name"] for p in report["passes"]] == ["cse", "dce", "budget", "dce"]
    assert report["passes"][2]["notes"] == ["seen"]
    assert "budget" in report["results"]
    assert len(result.module.top_graph) == 3


def test_original_is_a_snapshot_of_the_input() -> None:
    module = small_module()
    result = PassManager.parse("cse,dce", passes=PASSES).run(module)
    assert result.module is module
    assert len(result.ctx.original.top_graph) == 5  # type: ignore[union-attr]
    assert len(module.top_graph) == 3


def test_verifier_runs_between_passes_and_names_the_culprit() -> None:
    with pytest.raises(PassError) as info:
        PassManager.parse("dce,breaker,cse", passes=PASSES).run(small_module())
    message = info.value.message
    assert message.startswith("in pass 'breaker' after ['dce']: left invalid IR:")
    assert "erased op" in message
    assert isinstance(info.value.__cause__, VerifyError)


def test_no_verify_lets_broken_ir_through() -> None:
    result = PassManager.parse("breaker", passes=PASSES, verify=False).run(small_module())
    assert [record.name for record in result.records] == ["breaker"]
    with pytest.raises(VerifyError, match="erased op"):
        verify(result.module)


def test_invalid_input_is_rejected_before_the_first_pass() -> None:
    module = small_module()
    graph = module.top_graph
    graph.erase(next(iter(graph.ops_of(logic.AndOp))), force=True)
    with pytest.raises(VerifyError, match="the input module is invalid"):
        PassManager.parse("dce", passes=PASSES).run(module)


def test_user_errors_keep_their_location() -> None:
    with pytest.raises(PassError) as info:
        PassManager.parse("dce,cse,failing", passes=PASSES).run(small_module())
    err = info.value
    assert err.message == "in pass 'failing' after ['dce', 'cse']: no data given"
    assert err.loc == FileLoc("model.onnx", 3, 7)
    assert [p["name"] for p in err.report["passes"]] == ["dce", "cse", "failing"]  # type: ignore[attr-defined]
    assert "no data given" in err.report["passes"][2]["failure"]  # type: ignore[attr-defined]


def test_python_exceptions_become_pass_errors() -> None:
    with pytest.raises(PassError) as info:
        PassManager.parse("crashing", passes=PASSES).run(small_module())
    assert info.value.message == "in pass 'crashing' (the first pass): internal error: KeyError: 'missing'"
    assert isinstance(info.value.__cause__, KeyError)


def test_print_ir_after_all() -> None:
    stream = io.StringIO()
    PassManager.parse("cse,dce", passes=PASSES, print_ir_after_all=True, ir_stream=stream).run(small_module())
    text = stream.getvalue()
    assert text.count("// ----- IR after pass") == 2
    assert text.index("'cse'") < text.index("'dce'")
    assert "logic.xor" in text


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(TypeError, match="unknown global options \\['verfy'\\]"):
        PassManager.parse("dce", passes=PASSES, verfy=False)
