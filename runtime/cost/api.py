"""`estimate_cost`: the one-call cost query for a module, graph or `LogicView`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axc.ir import Graph, InputError, Module
from axc.ir.views import LogicView
from axc.runtime.logicsim import VectorSet

from ..verilog_text import emit_verilog
from .model import CostModel, CostReport

__all__ = ["estimate_cost", "shared_model"]

_MODELS: dict[tuple[str | None, str | None, str | None], CostModel] = {}


def shared_model(genlib: str | Path | None = None, liberty: str | Path | None = None,
                 script: str | None = None) -> CostModel:
    """One `CostModel` per (genlib, liberty, script), so its memory cache lasts the process."""
    key = (str(genlib) if genlib else None, str(liberty) if liberty else None, script)
    if key not in _MODELS:
        _MODELS[key] = CostModel(genlib=genlib, liberty=liberty, script=script)
    return _MODELS[key]


def estimate_cost(circuit: Module | Graph | LogicView, genlib: str | Path | None = None,
                  liberty: str | Path | None = None, power: bool = True,
                  vectors: VectorSet | None = None, script: str | None = None,
                  view: LogicView | None = None, **options: Any) -> CostReport:
    """Area (µm²), delay (ns), power (µW) and cell counts of a circuit.

    A bit-level graph is mapped from its `LogicView`; a graph with `word` ops is emitted as
    Verilog and synthesised by Yosys as it is. `view` may pass the graph's `LogicView` when
    the caller has it already. `options` go to `CostModel.estimate` (`n_power_vectors`, `seed`,
    `vdd`, `frequency_mhz`).
    """
    model = shared_model(genlib, liberty, script)
    if isinstance(circuit, LogicView):
        return model.estimate(circuit, vectors, power, **options)
    graph = circuit.top_graph if isinstance(circuit, Module) else circuit
    if graph is None or graph.kind != "hw":
        raise InputError("the cost model needs a circuit (an 'hw' graph)")
    try:
        view = view if view is not None else LogicView.from_graph(graph)
    except InputError:
        if not any(op.name.startswith("word.") for op in graph.ops):
            raise
        single = Module()
        single.add_graph(graph.clone(), top=True)
        options.pop("vectors", None)
        return model.estimate_text(emit_verilog(single), "verilog", None, power, **options)
    return model.estimate(view, vectors, power, **options)
