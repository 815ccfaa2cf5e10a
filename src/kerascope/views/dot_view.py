"""Graphviz DOT: layers as boxes, nested models as clusters, one edge per tensor."""

from __future__ import annotations

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.columns import cell, config_value
from kerascope.views.graph import graph_nodes, is_cluster, layer_edges
from kerascope.views.options import ViewOptions
from kerascope.views.text import class_text, printable, shape_text


def render(report: ModelReport, options: ViewOptions) -> str:
    lines = [
        f"digraph {_quote(report.root.name)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
    ]
    _members(report, report.root, lines, "  ", options.keys)
    edges, cut = layer_edges(report)
    lines += [f"  {_quote(a)} -> {_quote(b)};" for a, b in edges]
    if cut:
        lines.append(f"  // {cut.note}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _members(report: ModelReport, parent: LayerNode, lines: list[str], pad: str, keys: list[str]) -> None:
    for node in graph_nodes(report, parent):
        if is_cluster(report, node):
            lines.append(f"{pad}subgraph {_quote('cluster_' + node.path)} {{")
            lines.append(f"{pad}  label={_quote(f'{node.name} ({class_text(node)})')};")
            _members(report, node, lines, pad + "  ", keys)
            lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{_quote(node.path)} [label={_quote(label(node, keys))}];")


def label(node: LayerNode, keys: list[str]) -> str:
    """Name, class, output shape and any asked config keys, one per line."""
    shape = shape_text(node.output_shape)
    asked = [f"{key}={cell(config_value(node.config, key))}" for key in keys]
    return "\n".join(part for part in (node.name, class_text(node), shape, *asked) if part)


def _quote(text: str) -> str:
    """A DOT string: printable, line by line, with quotes and backslashes escaped."""
    lines = [printable(line).replace("\\", "\\\\").replace('"', '\\"') for line in text.split("\n")]
    return '"' + "\\n".join(lines) + '"'
