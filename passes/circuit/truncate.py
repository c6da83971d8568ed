"""`truncate`: precision scaling, the baseline every approximate circuit has to beat.

Drops the `bits` least significant bits of the operands of word-level `word.mul`/`word.add` ops
(all of them, or those selected by kind or result name in `ops`), or ties the low bits of the
primary input or output ports to 0 (`target=inputs|outputs`; this is how a flat netlist is
truncated, port bit by port bit). With `err` and no `bits`, every truncation depth is measured
and the largest one whose error stays within the threshold is applied. Errors are measured by
evaluating the graph (`axc.runtime.interp`) on exhaustive or seeded random vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from axc.ir import Graph, InputError, IntType, Module, Value, i1
from axc.ir.dialects import hw, logic, word
from axc.ir.views import is_clocked
from axc.runtime.equiv import prove_error_within
from axc.runtime.interp import evaluate
from axc.runtime.logicsim import VectorSet, pack_ints
from axc.runtime.metrics import compare_rows, metric_name
from axc.runtime.simvectors import unpack_ints

from ..clocked.driver import approximate_clocked
from ..clocked.options import ClockedOptions
from ..infra.base import PassContext, PassResult
from .error_bound import (
    FRESH_VECTORS,
    PROOF_SECONDS,
    Candidate,
    Certified,
    ErrorBound,
    bound_error,
    certify,
    compared_slices,
    log_bound,
)
from .logic_checks import check_threshold

__all__ = ["TruncatePass", "truncate_graph"]

_EXHAUSTIVE_BITS = 16


def _selected_ops(graph: Graph, ops: tuple[str, ...]) -> list:
    candidates = graph.ops_of(word.MulOp, word.AddOp)
    if not ops:
        return candidates
    chosen = []
    for op in candidates:
        kind = op.name.split(".", 1)[1]
        if kind in ops or op.result.name in ops:
            chosen.append(op)
    unknown = [s for s in ops if s not in ("mul", "add") and not any(op.result.name == s for op in candidates)]
    if unknown:
        raise InputError(f"truncate: no word.mul/word.add named {', '.join(map(repr, unknown))}")
    return chosen


def _mask_word(graph: Graph, value: Value, bits: int) -> Value:
    width = value.type.width
    if bits >= width:
        return graph.create(word.ConstOp, [], [value.type], {"value": 0}).result
    keep = ((1 << width) - 1) ^ ((1 << bits) - 1)
    const = graph.create(word.ConstOp, [], [value.type], {"value": keep}).result
    return graph.create(word.AndOp, [value, const], [value.type]).result


def truncate_graph(graph: Graph, bits: int, target: str, ops: tuple[str, ...] = ()) -> list[str]:
    """Apply one truncation in place; return what was truncated (for the report)."""
    done: list[str] = []
    if target == "operands":
        for op in _selected_ops(graph, ops):
            for i, v in enumerate(op.operands):
                op.set_operand(i, _mask_word(graph, v, bits))
            done.append(f"{op.name} %{op.result.name or '?'}")
        return done
    zero = None
    if target == "inputs":
        for v in list(graph.inputs):
            if not isinstance(v.type, IntType) or v.type.width < 2:
                continue
            users = v.users()
            if users and all(isinstance(u, hw.SplitOp) for u in users):
                for split in users:
                    for r in split.results[:bits]:
                        zero = zero or graph.create(logic.ConstOp, [], [i1], {"value": 0}).result
                        r.replace_all_uses_with(zero)
            else:
                masked = _mask_word(graph, v, bits)
                for use in list(v.uses):
                    if use.op is not masked.owner:
                        use.op.set_operand(use.index, masked)
            done.append(f"input {v.name}")
        return done
    outs = list(graph.outputs)
    for n, v in enumerate(outs):
        if not isinstance(v.type, IntType) or v.type.width < 2:
            continue
        if isinstance(v.owner, hw.JoinOp):
            bits_in = list(v.owner.operands)
            zero = zero or graph.create(logic.ConstOp, [], [i1], {"value": 0}).result
            bits_in[:bits] = [zero] * min(bits, len(bits_in))
            outs[n] = graph.create(hw.JoinOp, bits_in, [v.type]).result
        else:
            outs[n] = _mask_word(graph, v, bits)
        done.append(f"output {graph.output_names[n]}")
    graph.set_outputs(outs, list(graph.output_names))
    return done


def _vectors(graph: Graph, count: int, seed: int) -> tuple[dict[str, np.ndarray], int, str]:
    widths = [(v.name, v.type.width) for v in graph.inputs]
    total = sum(w for _, w in widths)
    if total <= max(_EXHAUSTIVE_BITS, int(np.log2(max(count, 1)))):
        n = 1 << total
        idx = np.arange(n, dtype=np.uint64)
        out, lo = {}, 0
        for name, w in widths:
            out[name] = (idx >> np.uint64(lo)) & np.uint64((1 << w) - 1)
            lo += w
        return out, n, f"{n} exhaustive vectors"
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in widths:
        if w > 63:
            raise InputError(f"truncate: port '{name}' is wider than 63 bits")
        out[name] = rng.integers(0, 1 << w, size=count, dtype=np.uint64)
    return out, count, f"{count} random vectors (seed {seed})"


@dataclass(frozen=True)
class TruncatePass(ClockedOptions):
    """Precision scaling: drop the low bits of multiplier/adder operands or of port bits
    (with `err`: the deepest truncation within the error threshold)."""

    name: ClassVar[str] = "truncate"

    bits: int | None = None
    """Low bits to drop; with `err` and no `bits`, the largest depth within the threshold."""
    err: float | None = None
    """Error threshold in (0, 1] for the search."""
    metric: str | None = None
    """hd, er, mae, mre, wce or mse; default mae for multi-bit outputs, else hd."""
    target: Literal["auto", "operands", "inputs", "outputs"] = "auto"
    """What to truncate: word-level operands (auto when the circuit has word.mul/add), input
    port bits (auto for flat netlists), or output port bits."""
    ops: tuple[str, ...] = ()
    """Operators to truncate: kinds (`mul`, `add`) or result names; empty = all of them."""
    vectors: int = 10000
    """Random vectors when the inputs are too wide for exhaustive evaluation."""
    seed: int = 0
    """Seed of the random vectors."""
    bound_vectors: int = FRESH_VECTORS
    """With `err`: fresh random vectors that bound the written design's error above 24 input
    bits (exhaustive up to 24; see `bmf`); a deeper truncation whose bound exceeds `err` gives
    way to the next shallower one."""

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        graph = module.top_graph
        if graph.kind != "hw":
            raise InputError(f"truncate works on circuits; @{graph.name} is a '{graph.kind}' graph")
        if self.bits is None and self.err is None:
            raise InputError("truncate needs bits (how many LSBs to drop) or err (a threshold to search)")
        if self.bits is not None and self.bits < 1:
            raise InputError(f"truncate: bits must be at least 1, got {self.bits}")
        threshold = None if self.err is None else check_threshold(self.err, self.name)
        if is_clocked(module):
            if threshold is None:
                raise InputError("truncate: on a clocked design give err (the depth is chosen per cone, "
                                 "error measured over cycles)")
            return approximate_clocked(self, ctx, module, threshold)
        target = self.target
        if target == "auto":
            target = "operands" if graph.ops_of(word.MulOp, word.AddOp) else "inputs"
        if target == "operands" and not _selected_ops(graph, self.ops):
            raise InputError("truncate: the circuit has no word.mul/word.add to truncate "
                             "(flat netlists: use target=inputs or target=outputs)")
        metric = self._metric(graph)
        vectors, n, described = _vectors(graph, self.vectors, self.seed)
        exact = evaluate(graph, vectors)
        ports = [(name, v.type.width) for name, v in zip(graph.output_names, graph.outputs)]

        def measure(bits: int) -> tuple[Any, list[str], Module]:
            trial = module.clone()
            touched = truncate_graph(trial.top_graph, bits, target, self.ops)
            got = evaluate(trial.top_graph, vectors)
            rows_e = np.concatenate([pack_ints(exact[p], w) for p, w in ports])
            rows_a = np.concatenate([pack_ints(got[p], w) for p, w in ports])
            return compare_rows(rows_e, rows_a, n, ports), touched, trial

        sweep = []
        certified = None
        if self.bits is not None:
            chosen = self.bits
            report, touched, trial = measure(chosen)
            sweep.append({"bits": chosen, "error": report.value(metric)})
        else:
            widest = max(self._widths(graph, target))
            chosen, best = 0, None
            for bits in ctx.progress(range(1, widest), "truncate search", total=widest - 1):
                rep, touched, trial = measure(bits)
                sweep.append({"bits": bits, "error": rep.value(metric)})
                if rep.value(metric) <= threshold:
                    chosen, best = bits, (rep, touched, trial)
            if best is None:
                raise InputError(f"truncate: even 1 bit exceeds {metric} ≤ {threshold:g} "
                                 f"({sweep[0]['error']:.4g})")
            certified = self._certify(module, chosen, sweep, metric, threshold, measure)
            if certified.candidate.unchanged:
                raise InputError(f"truncate: even 1 bit exceeds {metric} ≤ {threshold:g} on fresh vectors "
                                 f"({certified.refused[-1].describe()})")
            chosen = certified.candidate.key
            report, touched, trial = measure(chosen)
        if not touched:
            raise InputError(f"truncate: nothing to truncate ({target} has no multi-bit ports)")
        module.graphs = {}
        for g in trial.graphs.values():
            module.add_graph(g)
        module.top = trial.top
        ctx.report[self.name] = {
            "target": target, "bits": chosen, "truncated": touched, "metric": metric,
            "threshold": threshold, "vectors": described, "error": report.value(metric),
            "errors": report.to_dict(), "sweep": sweep,
        }
        if certified is not None:
            ctx.report[self.name]["bound"] = certified.report()
            log_bound(ctx, self.name, certified)
        ctx.log(f"truncate: {chosen} LSBs of {len(touched)} {target}: {metric} = {report.value(metric):.4g}"
                f" on {described}")
        return PassResult(modified=True, stats={"bits": chosen, "truncated": len(touched)},
                          errors={metric: report.value(metric)})

    def _certify(self, module: Module, chosen: int, sweep: list[dict[str, Any]], metric: str, threshold: float,
                 measure: Any) -> Certified:
        """The deepest truncation within the threshold whose error bound holds (`error_bound`)."""
        graph = module.top_graph
        ins = [(v.name, v.type.width) for v in graph.inputs]
        outs = [(name, v.type.width) for name, v in zip(graph.output_names, graph.outputs)]
        width = sum(w for _, w in outs)

        def rows(values: dict[str, Any]) -> np.ndarray:
            return np.concatenate([pack_ints(values[p], w) for p, w in outs])

        def bound_of(trial: Module) -> ErrorBound:
            def outputs(vectors: VectorSet) -> tuple[np.ndarray, np.ndarray]:
                inputs, lo = {}, 0
                for name, w in ins:
                    inputs[name] = unpack_ints(vectors.words[lo:lo + w], vectors.n_vectors)
                    lo += w
                return rows(evaluate(graph, inputs)), rows(evaluate(trial.top_graph, inputs))

            def prove(limit: float) -> bool | None:
                return prove_error_within(module, trial, int(limit * 2.0 ** width), PROOF_SECONDS)

            n_inputs = sum(w for _, w in ins)
            return bound_error(n_inputs, compared_slices(n_inputs, outputs, self.seed, self.bound_vectors), metric,
                               threshold, self.seed, prove)

        def candidate(bits: int, error: float) -> Candidate:
            return Candidate(bits, error, -bits, lambda: measure(bits)[2])

        others = [candidate(row["bits"], row["error"]) for row in sweep if row["error"] <= threshold]
        others.append(Candidate(0, 0.0, 0.0, module.clone, unchanged=True))
        return certify(candidate(chosen, next(r["error"] for r in sweep if r["bits"] == chosen)), others,
                       bound_of, metric, threshold)

    def _metric(self, graph: Graph) -> str:
        return metric_name(self.metric, any(v.type.width > 1 for v in graph.outputs), "truncate")

    def _widths(self, graph: Graph, target: str) -> list[int]:
        if target == "operands":
            return [v.type.width for op in _selected_ops(graph, self.ops) for v in op.operands]
        values = graph.inputs if target == "inputs" else graph.outputs
        widths = [v.type.width for v in values if v.type.width > 1]
        if not widths:
            raise InputError(f"truncate: no multi-bit {target} ports to truncate")
        return widths
