"""Mermaid flowchart: layers as nodes, nested models as subgraphs, one edge per tensor.

Labels are printable and HTML-escaped with Mermaid's entity codes (Mermaid
renders labels as HTML); a graph past the edge limit is cut with a note."""

from __future__ import annotations

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.dot_view import label
from kerascope.views.graph import graph_nodes, is_cluster, layer_edges
from kerascope.views.options import ViewOptions
from kerascope.views.text import class_text, printable

_ENTITIES = {"&": "#amp;", "<": "#lt;", ">": "#gt;", '"': "#quot;", "#": "#35;", "`": "#96;"}


def render(report: ModelReport, options: ViewOptions) -> str:
    ids: dict[str, str] = {}
    lines = ["flowchart TB"]
    _members(report, report.root, lines, "  ", ids, options.keys)
    edges, cut = layer_edges(report)
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in edges if a in ids and b in ids]
    if cut:
        lines.append(f"  %% {cut.note}")
    return "\n".join(lines) + "\n"


def _members(
    report: ModelReport, parent: LayerNode, lines: list[str], pad: str, ids: dict[str, str], keys: list[str]
) -> None:
    for node in graph_nodes(report, parent):
        ids[node.path] = f"n{len(ids)}"
        if is_cluster(report, node):
            title = _escape(f"{node.name} ({class_text(node)})")
            lines.append(f'{pad}subgraph {ids[node.path]}["{title}"]')
            _members(report, node, lines, pad + "  ", ids, keys)
            lines.append(f"{pad}end")
        else:
            lines.append(f'{pad}{ids[node.path]}["{_escape(label(node, keys))}"]')


def _escape(text: str) -> str:
    """One label line by line: printable, entity-escaped, lines joined by <br/>."""
    return "<br/>".join(
        "".join(_ENTITIES.get(char, char) for char in printable(line)) for line in text.split("\n")
    )
