"""Graphviz pictures of a module's graphs: `.dot`, `.svg` and `.png`.

Every graph of the module becomes one cluster, laid out left to right: input ports (name and
type) on the left, ops labelled with their op name (and short attributes), output ports on the
right. An edge from a multi-result op names the result it carries; an edge into an op whose
operand order matters names the operand slot. A graph with more than `max_ops` ops (option
`graphviz_max_ops`, default 400) would be an unreadable hairball, so it is drawn as a summary
instead: op counts by kind, its inputs and outputs, and its depth (longest op path).
"""

from __future__ import annotations

import html
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from axc.ir import Graph, InputError, Module, Op, Value

__all__ = ["DEFAULT_MAX_OPS", "graph_depth", "save_dot", "save_png", "save_svg", "to_dot"]

DEFAULT_MAX_OPS = 400
_LIST_LIMIT = 12
_UNORDERED = frozenset(
    {
        "logic.and", "logic.or", "logic.xor", "logic.nand", "logic.nor", "logic.xnor",
        "logic.maj", "word.add", "word.and", "word.or", "word.xor", "word.mul", "nn.add",
        "nn.mul", "output",
    }
)
_COLORS = {
    "logic": "#dbe9f6", "word": "#e3f1dc", "hw": "#eeeeee", "nn": "#fbe7cf", "approx": "#f7d6d6",
}


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _op_label(op: Op) -> str:
    lines = [op.name]
    shown = [
        f"{k}={_short(v)}" for k, v in op.attributes.items() if not isinstance(v, tuple | dict)
    ]
    lines.extend(shown[:3])
    if len(op.results) == 1:
        lines.append(str(op.result.type))
    return "\\n".join(s.replace("\\", "\\\\").replace('"', '\\"') for s in lines)


def graph_depth(graph: Graph) -> int:
    """The number of ops on the longest input-to-output path."""
    level: dict[Value, int] = {v: 0 for v in graph.inputs}
    depth = 0
    for op in graph.topo_order():
        d = 1 + max((level.get(v, 0) for v in op.operands), default=0)
        for r in op.results:
            level[r] = d
        depth = max(depth, d)
    return depth


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _full_graph(graph: Graph, prefix: str) -> list[str]:
    lines: list[str] = []
    node_of: dict[Value, tuple[str, int | None]] = {}
    for i, v in enumerate(graph.inputs):
        node = f"{prefix}in{i}"
        lines.append(
            f'    {node} [shape=cds, style=filled, fillcolor="#fff4b3", '
            f"label={_quote(f'{v.name} : {v.type}')}];"
        )
        node_of[v] = (node, None)
    for j, op in enumerate(graph.topo_order()):
        node = f"{prefix}op{j}"
        color = _COLORS.get(op.dialect, "#ffffff")
        lines.append(f'    {node} [label="{_op_label(op)}", fillcolor="{color}"];')
        for r in op.results:
            node_of[r] = (node, r.index if len(op.results) > 1 else None)
        lines.extend(_edges(op, node, node_of))
    for k, (name, v) in enumerate(zip(graph.output_names, graph.outputs)):
        node = f"{prefix}out{k}"
        lines.append(
            f'    {node} [shape=cds, style=filled, fillcolor="#c9f0c9", '
            f"label={_quote(f'{name} : {v.type}')}];"
        )
        source, index = node_of.get(v, (None, None))
        if source is not None:
            attrs = f' [taillabel="{index}"]' if index is not None else ""
            lines.append(f"    {source} -> {node}{attrs};")
    return lines


def _edges(op: Op, node: str, node_of: dict[Value, tuple[str, int | None]]) -> list[str]:
    out = []
    ordered = len(op.operands) > 1 and op.name not in _UNORDERED
    for i, v in enumerate(op.operands):
        source, index = node_of.get(v, (None, None))
        if source is None:
            continue
        labels = []
        if index is not None:
            labels.append(f'taillabel="{index}"')
        if ordered:
            labels.append(f'headlabel="{i}"')
        attrs = f" [{', '.join(labels)}]" if labels else ""
        out.append(f"    {source} -> {node}{attrs};")
    return out


def _port_rows(title: str, values: list[tuple[str, Value]]) -> str:
    shown = [f"{html.escape(n)} : {html.escape(str(v.type))}" for n, v in values[:_LIST_LIMIT]]
    if len(values) > _LIST_LIMIT:
        shown.append(f"... and {len(values) - _LIST_LIMIT} more")
    body = "<BR/>".join(shown) if shown else "(none)"
    return f'<TR><TD ALIGN="LEFT"><B>{title} ({len(values)})</B></TD><TD ALIGN="LEFT" BALIGN="LEFT">{body}</TD></TR>'


def _summary_graph(graph: Graph, prefix: str) -> list[str]:
    histogram = Counter(op.name for op in graph.ops)
    rows = [
        f'<TR><TD COLSPAN="2"><B>@{html.escape(graph.name)}</B> ({html.escape(graph.kind)}):'
        f" {len(graph)} ops, depth {graph_depth(graph)}</TD></TR>",
        "<TR><TD COLSPAN=\"2\"><I>too large to draw; summary</I></TD></TR>",
        _port_rows("inputs", [(v.name or "?", v) for v in graph.inputs]),
        _port_rows("outputs", list(zip(graph.output_names, graph.outputs))),
    ]
    for name, count in histogram.most_common():
        rows.append(f'<TR><TD ALIGN="LEFT">{html.escape(name)}</TD><TD ALIGN="RIGHT">{count}</TD></TR>')
    table = '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">' + "".join(rows) + "</TABLE>"
    return [f'    {prefix}summary [shape=plaintext, style="", label=<{table}>];']


def to_dot(module: Module, max_ops: int = DEFAULT_MAX_OPS) -> str:
    """DOT text for every graph of `module` (top graph first); big graphs as summaries."""
    lines = [
        "digraph axc {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.6];',
    ]
    names = sorted(module.graphs, key=lambda n: n != module.top)
    for k, name in enumerate(names):
        graph = module.graphs[name]
        prefix = f"g{k}_"
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f"    label={_quote(f'@{name} ({graph.kind})')};")
        body = _summary_graph(graph, prefix) if len(graph) > max_ops else _full_graph(graph, prefix)
        lines.extend(body)
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _max_ops(options: dict[str, Any] | None) -> int:
    value = (options or {}).get("graphviz_max_ops")
    return DEFAULT_MAX_OPS if value is None else int(value)


def save_dot(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Write the DOT text of `module` to `path`."""
    Path(path).write_text(to_dot(module, _max_ops(options)))


def _render(module: Module, path: str, options: dict[str, Any] | None, fmt: str) -> None:
    if shutil.which("dot") is None:
        raise InputError("cannot draw a picture: Graphviz 'dot' is not installed (apt-get install graphviz)")
    import graphviz

    source = graphviz.Source(to_dot(module, _max_ops(options)))
    try:
        data = source.pipe(format=fmt)
    except graphviz.CalledProcessError as exc:
        detail = exc.stderr.decode(errors="replace").strip() if exc.stderr else str(exc)
        raise InputError(f"Graphviz failed to draw the module: {detail}") from None
    Path(path).write_bytes(data)


def save_svg(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Draw `module` as SVG at `path`."""
    _render(module, path, options, "svg")


def save_png(module: Module, path: str, options: dict[str, Any] | None = None) -> None:
    """Draw `module` as PNG at `path`."""
    _render(module, path, options, "png")
