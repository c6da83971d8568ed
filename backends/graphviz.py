"""Graphviz pictures of a module's graphs: `.dot`, `.svg` and `.png`.

Every graph of the module becomes one cluster, laid out left to right: input ports (name and
type) on the left, ops labelled with their op name (and short attributes), output ports on the
right. An op with several results (`hw.split`) gets one port per result, named after its value
(`a[3]`); an op with many ordered operands (`hw.join`) one port per operand slot; edges into a
few ordered operands (mux, sub) carry the slot number. A graph with more than `max_ops` ops (option
`graphviz_max_ops`, default 400) would be an unreadable hairball, so it is drawn as a summary
instead: op counts by kind, its inputs and outputs, and its depth (longest op path).
"""

from __future__ import annotations

import html
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from axc.ir import Graph, InputError, Module, Op, Value, import_extra
from axc.ir.dialects.logic import GATE_OPS

__all__ = ["DEFAULT_MAX_OPS", "graph_depth", "save_dot", "save_png", "save_svg", "to_dot"]

DEFAULT_MAX_OPS = 400
_LIST_LIMIT = 12
_PORTED_OPERANDS = 3
_UNORDERED = frozenset(
    {gate.name for gate in GATE_OPS if gate.commutative}
    | {"word.add", "word.and", "word.or", "word.xor", "word.mul", "nn.add", "nn.mul", "output"}
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


def _record_text(text: str) -> str:
    return "".join("\\" + c if c in '{}|<>"\\ ' else c for c in text)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uses_ports(op: Op) -> tuple[bool, bool]:
    """Whether to give the op one port per operand and/or one per result (a record node)."""
    ordered = op.name not in _UNORDERED
    return ordered and len(op.operands) > _PORTED_OPERANDS, len(op.results) > 1


def _op_node(op: Op, node: str) -> str:
    color = _COLORS.get(op.dialect, "#ffffff")
    in_ports, out_ports = _uses_ports(op)
    if not (in_ports or out_ports):
        return f'    {node} [label="{_op_label(op)}", fillcolor="{color}"];'
    header = [op.name] + ([str(op.result.type)] if len(op.results) == 1 else [])
    fields = ["\\n".join(_record_text(h) for h in header)]
    if in_ports:
        fields += [f"<i{k}> {k}" for k in range(len(op.operands))]
    if out_ports:
        fields += [f"<r{r.index}> {_record_text(_short(r.name or str(r.index)))}" for r in op.results]
    return f'    {node} [shape=record, label="{"|".join(fields)}", fillcolor="{color}"];'


def _full_graph(graph: Graph, prefix: str) -> list[str]:
    lines: list[str] = []
    source_of: dict[Value, str] = {}
    for i, v in enumerate(graph.inputs):
        node = f"{prefix}in{i}"
        lines.append(
            f'    {node} [shape=cds, style=filled, fillcolor="#fff4b3", '
            f"label={_quote(f'{v.name} : {v.type}')}];"
        )
        source_of[v] = node
    for j, op in enumerate(graph.topo_order()):
        node = f"{prefix}op{j}"
        lines.append(_op_node(op, node))
        multi = len(op.results) > 1
        for r in op.results:
            source_of[r] = f"{node}:r{r.index}:e" if multi else node
        lines.extend(_edges(op, node, source_of))
    for k, (name, v) in enumerate(zip(graph.output_names, graph.outputs)):
        node = f"{prefix}out{k}"
        lines.append(
            f'    {node} [shape=cds, style=filled, fillcolor="#c9f0c9", '
            f"label={_quote(f'{name} : {v.type}')}];"
        )
        if v in source_of:
            lines.append(f"    {source_of[v]} -> {node};")
    return lines


def _edges(op: Op, node: str, source_of: dict[Value, str]) -> list[str]:
    out = []
    in_ports, _ = _uses_ports(op)
    numbered = not in_ports and len(op.operands) > 1 and op.name not in _UNORDERED
    for i, v in enumerate(op.operands):
        source = source_of.get(v)
        if source is None:
            continue
        target = f"{node}:i{i}:w" if in_ports else node
        attrs = f' [headlabel="{i}"]' if numbered else ""
        out.append(f"    {source} -> {target}{attrs};")
    return out


def _html(text: str) -> str:
    """`text` for an HTML-like label: markup escaped and `\\` doubled, since Graphviz expands
    `\\N`, `\\G` ... even there (after character references, so `&#92;` would not do)."""
    return html.escape(text).replace("\\", "\\\\")


def _port_rows(title: str, values: list[tuple[str, Value]]) -> str:
    shown = [f"{_html(n)} : {_html(str(v.type))}" for n, v in values[:_LIST_LIMIT]]
    if len(values) > _LIST_LIMIT:
        shown.append(f"... and {len(values) - _LIST_LIMIT} more")
    body = "<BR/>".join(shown) if shown else "(none)"
    return f'<TR><TD ALIGN="LEFT"><B>{title} ({len(values)})</B></TD><TD ALIGN="LEFT" BALIGN="LEFT">{body}</TD></TR>'


def _summary_graph(graph: Graph, prefix: str) -> list[str]:
    histogram = Counter(op.name for op in graph.ops)
    rows = [
        f'<TR><TD COLSPAN="2"><B>@{_html(graph.name)}</B> ({_html(graph.kind)}):'
        f" {len(graph)} ops, depth {graph_depth(graph)}</TD></TR>",
        "<TR><TD COLSPAN=\"2\"><I>too large to draw; summary</I></TD></TR>",
        _port_rows("inputs", [(v.name or "?", v) for v in graph.inputs]),
        _port_rows("outputs", list(zip(graph.output_names, graph.outputs))),
    ]
    for name, count in histogram.most_common():
        rows.append(f'<TR><TD ALIGN="LEFT">{_html(name)}</TD><TD ALIGN="RIGHT">{count}</TD></TR>')
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
    graphviz = import_extra("graphviz", f"writing .{fmt} files")
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
