"""The lazy pass registry: pass name -> "module:Class", imported on first use.

Built-in passes are listed in `BUILTIN_PASSES`; other packages add passes through the entry-point
group `axc_opt.passes` (each entry point loads a `ModulePass` subclass). When adding a pass, add
one line here (keep the list sorted).
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from axc.ir import check_extra

from .base import ModulePass

__all__ = ["BUILTIN_PASSES", "ENTRY_POINT_GROUP", "PASS_EXTRAS", "all_pass_names", "closest_pass", "get_pass"]

ENTRY_POINT_GROUP = "axc_opt.passes"

BUILTIN_PASSES: dict[str, str] = {
    "approx-mul": "axc.passes.network.approx_mul:ApproxMulPass",
    "bmf": "axc.passes.bmf.bmf_pass:BmfPass",
    "check-equiv": "axc.passes.circuit.check_equiv:CheckEquivPass",
    "constant-fold": "axc.passes.network.constant_fold:ConstantFoldPass",
    "cse": "axc.passes.common.cse:CommonSubexpressionPass",
    "dce": "axc.passes.common.dce:DeadCodePass",
    "fold-batchnorm": "axc.passes.network.fold_batchnorm:FoldBatchNormPass",
    "fold-conv-bias": "axc.passes.network.fold_conv_bias:FoldConvBiasPass",
    "htp": "axc.passes.network.htp:HtpPass",
    "lower-approx": "axc.passes.network.lower_approx:LowerApproxPass",
    "lower-word": "axc.passes.circuit.lower_word:LowerWordPass",
    "print-ir": "axc.passes.common.print_ir:PrintIRPass",
    "prune": "axc.passes.prune.prune_pass:PrunePass",
    "quantize": "axc.passes.network.quantize:QuantizePass",
    "resynth": "axc.passes.circuit.resynth:ResynthPass",
    "retrain": "axc.passes.network.retrain:RetrainPass",
    "snapea": "axc.passes.snapea:SnapeaPass",
    "stats": "axc.passes.circuit.stats:StatsPass",
    "truncate": "axc.passes.circuit.truncate:TruncatePass",
}

PASS_EXTRAS: dict[str, str] = {"retrain": "torch"}
"""Built-in passes whose module imports an optional package (keys of `axc.ir.extras.EXTRAS`):
checked before the import, so a missing extra is the usual one-line error."""

_loaded: dict[str, type[ModulePass]] = {}


def _plugin_entries() -> dict[str, object]:
    try:
        return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    except Exception:  # a broken plugin environment must not stop the built-in passes
        return {}


def all_pass_names() -> list[str]:
    return sorted(set(BUILTIN_PASSES) | set(_plugin_entries()))


def get_pass(name: str) -> type[ModulePass] | None:
    """The pass class registered as `name` (None when unknown)."""
    name = name.replace("_", "-")
    if name in _loaded:
        return _loaded[name]
    target = BUILTIN_PASSES.get(name)
    if target is not None:
        if name in PASS_EXTRAS:
            check_extra(PASS_EXTRAS[name], f"pass '{name}'")
        module_name, cls_name = target.split(":")
        cls = getattr(importlib.import_module(module_name), cls_name)
    else:
        ep = _plugin_entries().get(name)
        if ep is None:
            return None
        cls = ep.load()  # type: ignore[attr-defined]
    _loaded[name] = cls
    return cls


def closest_pass(name: str) -> str | None:
    match = difflib.get_close_matches(name.replace("_", "-"), all_pass_names(), n=1, cutoff=0.5)
    return match[0] if match else None
