"""`check-equiv`: prove the circuit equivalent to the one loaded at the start (or to a file).

Small circuits (at most `max_sim_inputs` input bits, bit-level) are checked by exhaustive
simulation with `runtime.logicsim`; the others formally with a Yosys SAT miter
(`runtime.equiv`), after a seeded random simulation that catches most differences at once. The
pipeline fails with a counterexample when they differ, or when the proof runs out of time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from axc.ir import Graph, InputError, IntType, Module, PassError
from axc.ir.views import LogicView
from axc.runtime.equiv import EquivResult, prove_equivalent
from axc.runtime.logicsim import Simulator, VectorSet

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["CheckEquivPass", "check_interfaces", "exhaustive_equivalence", "random_equivalence"]


def _ports(values: tuple, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: v.type for n, v in zip(names, values)}


def check_interfaces(gold: Graph, gate: Graph) -> None:
    """Raise `PassError` unless both graphs have the same port names and types."""
    for what, a, b in (
        ("inputs", _ports(tuple(gold.inputs), tuple(v.name for v in gold.inputs)),
         _ports(tuple(gate.inputs), tuple(v.name for v in gate.inputs))),
        ("outputs", _ports(gold.outputs, gold.output_names), _ports(gate.outputs, gate.output_names)),
    ):
        if a != b:
            only_gold = sorted(set(a) - set(b))
            only_gate = sorted(set(b) - set(a))
            differ = sorted(n for n in set(a) & set(b) if a[n] != b[n])
            raise PassError(
                f"the circuits have different {what}: only in the reference {only_gold}, "
                f"only in the current circuit {only_gate}, different widths {differ}"
            )


def exhaustive_equivalence(gold: Graph, gate: Graph, max_inputs: int = 16) -> EquivResult:
    """Compare two bit-level graphs on every input pattern (ports matched by name)."""

    gold_view, gate_view = LogicView.from_graph(gold), LogicView.from_graph(gate)
    if gold_view.n_inputs > max_inputs:
        raise InputError(f"{gold_view.n_inputs} input bits are too many for exhaustive simulation")
    vectors = VectorSet.exhaustive(gold_view)
    return _compare(gold_view, gate_view, vectors, f"exhaustive simulation of {vectors.n_vectors} vectors")


def random_equivalence(gold: Graph, gate: Graph, n_vectors: int, seed: int = 0) -> EquivResult:
    """Compare two bit-level graphs on seeded random vectors (equal only means none differed)."""

    gold_view, gate_view = LogicView.from_graph(gold), LogicView.from_graph(gate)
    vectors = VectorSet.random(gold_view, n_vectors, seed)
    return _compare(gold_view, gate_view, vectors, f"{n_vectors} random vectors (seed {seed})")


def _compare(gold_view: Any, gate_view: Any, vectors: Any, method: str) -> EquivResult:
    offsets, lo = {}, 0
    for name, width in gold_view.input_ports:
        offsets[name] = lo
        lo += width
    gate_rows = [vectors.words[offsets[n]:offsets[n] + w] for n, w in gate_view.input_ports]
    gate_words = np.concatenate(gate_rows) if gate_rows else vectors.words[:0]
    gate_vectors = VectorSet.from_words(gate_words, vectors.n_vectors, vectors.source)
    gold_res = Simulator(gold_view).run(vectors, keep_signals=False)
    gate_res = Simulator(gate_view).run(gate_vectors, keep_signals=False)
    mask = gold_res.valid_mask
    for name, _ in gold_view.output_ports:
        diff = (gold_res.port_rows(name) ^ gate_res.port_rows(name)) & mask
        if diff.any():
            word = int(np.flatnonzero(diff.any(axis=0))[0])
            bits = int(np.bitwise_or.reduce(diff[:, word]))
            index = word * 64 + (bits & -bits).bit_length() - 1
            inputs = {n: int(vectors.port_values(n)[index]) for n, _ in gold_view.input_ports}
            outputs = {
                n: (int(gold_res.port_values(n)[index]), int(gate_res.port_values(n)[index]))
                for n, _ in gold_view.output_ports
            }
            return EquivResult(False, method, inputs, outputs)
    return EquivResult(True, method)


def _bit_level(graph: Graph) -> bool:
    return all(op.dialect in ("logic", "hw") and op.name != "hw.instance" for op in graph.ops) and all(
        isinstance(v.type, IntType) for v in graph.inputs
    )


@dataclass(frozen=True)
class CheckEquivPass(ModulePass):
    """Prove the current circuit equivalent to the one loaded at the start of the pipeline
    (or to `against=FILE`); fail the pipeline with a counterexample when it is not.

    Circuits with few input bits are simulated exhaustively; larger ones are proven with Yosys
    (a SAT miter), after a quick random simulation that finds most differences at once.
    """

    name: ClassVar[str] = "check-equiv"

    against: str | None = None
    """Reference design file (any format axc reads); default: the module as loaded."""
    method: Literal["auto", "sim", "sat"] = "auto"
    """`sim`: exhaustive simulation; `sat`: Yosys formal proof; `auto`: sim when small."""
    max_sim_inputs: int = 16
    """Largest input bit count checked by exhaustive simulation under `auto`."""
    timeout: float = 600.0
    """Seconds allowed for the formal proof."""
    random_vectors: int = 4096
    """Random vectors simulated before a formal proof under `auto`, to find a difference fast."""
    genlib: str | None = None
    """Cell library for a BLIF reference with `.gate` cells."""
    seed: int = 0
    """Seed of the random vectors (the global --seed fills it)."""

    def requires(self, module: Module) -> None:
        if module.top is None or module.top_graph.kind != "hw":
            raise InputError("check-equiv works on circuits: the top graph is not a circuit")

    def _reference(self, ctx: PassContext) -> tuple[Module, str]:
        if self.against:
            extra = {"genlib": self.genlib} if self.genlib else {}
            return ctx.read_file(self.against, **extra), self.against
        if ctx.original is None:
            raise InputError("check-equiv needs a reference: the pipeline has no original module; give against=FILE")
        return ctx.original, "the module as loaded"

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        reference, what = self._reference(ctx)
        gold, gate = reference.top_graph, module.top_graph
        check_interfaces(gold, gate)
        n_inputs = sum(v.type.width for v in gold.inputs)
        small = n_inputs <= self.max_sim_inputs and _bit_level(gold) and _bit_level(gate)
        if self.method == "sim" and not (_bit_level(gold) and _bit_level(gate)):
            raise InputError("method=sim needs bit-level circuits (run lower-word first)")
        if self.method == "sim" or (self.method == "auto" and small):
            result = exhaustive_equivalence(gold, gate, max(self.max_sim_inputs, n_inputs))
        else:
            result = EquivResult(True, "")
            if self.method == "auto" and self.random_vectors and _bit_level(gold) and _bit_level(gate):
                result = random_equivalence(gold, gate, self.random_vectors, self.seed)
            if result.equivalent:
                result = prove_equivalent(reference, module, timeout=self.timeout)
        ctx.report[self.name] = {"equivalent": result.equivalent, "method": result.method, "reference": what}
        if not result.equivalent:
            raise PassError(f"the circuit is not equivalent to {what} ({result.method}): {result.describe()}")
        ctx.log(f"check-equiv: equivalent to {what} ({result.method})")
        return PassResult(False, stats={"method": result.method, "input_bits": n_inputs})
