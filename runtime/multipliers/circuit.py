"""Multiplier models from circuits: exhaustive bit-parallel simulation of a two-operand multiplier.

A circuit is a multiplier when it has exactly two input ports (the activation operand x and the
weight operand w) and one output port of at least x_bits + w_bits - 1 bits. `x_port`/`w_port`
name the operands; by default x is the first input port and w the second (for EvoApproxLib
`mulNu_X(A, B, O)`: x = A, w = B). `signed` reads operands and product as two's complement.
Every operand pair is simulated with `axc.runtime.logicsim` and the LUT filled from the port
values; the cost (area, power, delay) comes from `axc.runtime.cost` when it is available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from axc.ir import Graph, InputError, IntType, Location, Module, NameLoc
from axc.ir.dialects import word
from axc.ir.views import LogicView
from axc.runtime.cost import estimate_cost
from axc.runtime.logicsim import Simulator, VectorSet

from .model import LUT_LIMIT_BITS, MultiplierModel, operand_range

__all__ = [
    "circuit_cost", "exact_multiplier_cost", "model_from_graph", "multiplier_ports",
]


def multiplier_ports(
    graph: Graph, x_port: str | None, w_port: str | None, loc: Location | None = None,
) -> tuple[str, int, str, int, str, int]:
    """(x name, x width, w name, w width, product name, product width), or InputError."""
    inputs = [(v.name or f"in{v.index}", v.type.width) for v in graph.inputs]
    outputs = [(n, v.type.width) for n, v in zip(graph.output_names, graph.outputs)]
    where = loc or NameLoc(graph.name)
    what = (f"circuit '{graph.name}' (inputs {', '.join(f'{n}[{w}]' for n, w in inputs)}; "
            f"outputs {', '.join(f'{n}[{w}]' for n, w in outputs)})")
    if len(inputs) != 2 or len(outputs) != 1:
        raise InputError(f"{what} is not a two-operand multiplier: it needs exactly two input "
                         f"ports and one output port", where)
    widths = dict(inputs)
    x_name = x_port if x_port is not None else (
        inputs[0][0] if w_port != inputs[0][0] else inputs[1][0])
    w_name = w_port if w_port is not None else next(n for n, _ in inputs if n != x_name)
    for role, name in (("x_port", x_name), ("w_port", w_name)):
        if name not in widths:
            raise InputError(f"{what}: {role}={name} is not an input port", where)
    if x_name == w_name:
        raise InputError(f"{what}: x_port and w_port are both '{x_name}'", where)
    out_name, out_width = outputs[0]
    if out_width < widths[x_name] + widths[w_name] - 1:
        raise InputError(f"{what} is not a two-operand multiplier: the product {out_name} has "
                         f"{out_width} bits, a {widths[x_name]}x{widths[w_name]} product needs "
                         f"{widths[x_name] + widths[w_name]}", where)
    return x_name, widths[x_name], w_name, widths[w_name], out_name, out_width


def _simulate_table(graph: Graph, x_name: str, w_name: str, out_name: str,
                    signed: bool) -> np.ndarray:

    view = LogicView.from_graph(graph)
    vectors = VectorSet.exhaustive(view)
    result = Simulator(view).run(vectors, keep_signals=False)
    xs = vectors.port_values(x_name, signed).astype(np.int64)
    ws = vectors.port_values(w_name, signed).astype(np.int64)
    products = result.port_values(out_name, signed).astype(np.int64)
    x_bits = dict(view.input_ports)[x_name]
    w_bits = dict(view.input_ports)[w_name]
    table = np.zeros((1 << x_bits, 1 << w_bits), dtype=np.int64)
    table[xs - operand_range(x_bits, signed)[0], ws - operand_range(w_bits, signed)[0]] = products
    return table.astype(np.int32)


def _report_values(report: Any) -> dict[str, float]:
    power = (report.power_uw or {}).get("total")
    values = {"area": float(report.area_um2), "delay": float(report.delay_ns),
              "cells": float(report.n_cells)}
    if power is not None:
        values["power"] = float(power)
    return values


def circuit_cost(module: Module, graph_name: str, options: Mapping[str, Any] | None = None
                 ) -> dict[str, float] | None:
    """Area (um^2), delay (ns), power (uW) and cell count of a circuit graph (cost model)."""
    opts = dict(options or {})
    report = estimate_cost(module.lookup(graph_name), genlib=opts.get("genlib"),
                           liberty=opts.get("liberty"))
    return _report_values(report)


def exact_multiplier_cost(x_bits: int, w_bits: int, signed: bool,
                          options: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The cost of an exact x_bits x w_bits multiplier (`word.mul`, synthesised the same way)."""

    width = x_bits + w_bits
    g = Graph("exact_mul", kind="hw")
    a = g.add_input("A", IntType(x_bits))
    b = g.add_input("B", IntType(w_bits))
    g.add_output("O", g.create(word.MulOp, [a, b], [IntType(width)], {"signed": signed}).result)
    m = Module()
    m.add_graph(g, top=True)
    opts = dict(options or {})
    return _report_values(estimate_cost(m, genlib=opts.get("genlib"), liberty=opts.get("liberty")))


def model_from_graph(
    module: Module, graph_name: str | None = None, x_port: str | None = None,
    w_port: str | None = None, signed: bool = False, origin: str | None = None,
    with_cost: bool = True, options: Mapping[str, Any] | None = None,
    loc: Location | None = None, bit_level: Graph | None = None,
) -> MultiplierModel:
    """The LUT model of a circuit graph of `module` (the top graph by default).

    The table is simulated on `bit_level` (the same circuit with word operators lowered to gates,
    as `lower-word` makes it) when given, else on the graph itself, which must then be gates
    only; the cost is that of the graph as given.
    """
    graph = module.lookup(graph_name) if graph_name else module.top_graph
    if graph.kind != "hw":
        raise InputError(f"graph '{graph.name}' is a {graph.kind} graph, not a circuit", loc)
    x_name, x_bits, w_name, w_bits, out_name, _ = multiplier_ports(graph, x_port, w_port, loc)
    if x_bits + w_bits > LUT_LIMIT_BITS:
        raise InputError(
            f"circuit '{graph.name}' is a {x_bits}x{w_bits} multiplier: its table needs "
            f"2^{x_bits + w_bits} entries (limit 2^{LUT_LIMIT_BITS}) and a circuit has no "
            "analytic form", loc or NameLoc(graph.name))
    gates = bit_level if bit_level is not None else graph
    try:
        LogicView.from_graph(gates)
    except InputError:
        raise InputError(f"circuit '{graph.name}' has word-level operators: lower them first "
                         "(lower-word), or read it through a pass", loc or NameLoc(graph.name)) from None
    table = _simulate_table(gates, x_name, w_name, out_name, signed)
    cost = circuit_cost(module, graph.name, options) if with_cost else None
    return MultiplierModel(
        name=graph.name, x_bits=x_bits, w_bits=w_bits, signed=signed, table=table,
        origin=origin or f"@{graph.name}", cost=cost, x_port=x_name, w_port=w_name,
    )
