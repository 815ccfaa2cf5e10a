"""Mermaid flowchart: layers as nodes in their kind's colour, the folds the HTML
page draws as subgraphs, one edge per tensor labelled with its shape.

Labels are printable and HTML-escaped with Mermaid's entity codes (Mermaid
renders labels as HTML); a graph past the edge limit is cut with a note."""

from __future__ import annotations

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.dot_view import fold_title, label
from kerascope.views.graph import tensor_edges
from kerascope.views.grouping import Fold, folds
from kerascope.views.kinds import PALETTE, kind_of
from kerascope.views.options import ViewOptions
from kerascope.views.text import printable, shape_text

_ENTITIES = {"&": "#amp;", "<": "#lt;", ">": "#gt;", '"': "#quot;", "#": "#35;", "`": "#96;", "|": "#124;"}


def render(report: ModelReport, options: ViewOptions) -> str:
    ids: dict[str, str] = {}
    kinds: dict[str, list[str]] = {}
    lines = ["flowchart TB"]
    _members(folds(report), lines, "  ", ids, kinds, options.keys)
    edges, cut = tensor_edges(report)
    for edge in edges:
        if edge.source in ids and edge.target in ids:
            shape = shape_text(edge.shape)
            arrow = f'-->|"{_escape(shape)}"|' if shape else "-->"
            lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
    for kind, members in kinds.items():
        lines.append(f"  classDef {kind} fill:{PALETTE[kind]},color:#ffffff,stroke:#344054")
        lines.append(f"  class {','.join(members)} {kind}")
    if cut:
        lines.append(f"  %% {cut.note}")
    return "\n".join(lines) + "\n"


def _members(
    fold: Fold, lines: list[str], pad: str, ids: dict[str, str], kinds: dict[str, list[str]], keys: list[str]
) -> None:
    for member in fold.members:
        if isinstance(member, LayerNode):
            _node(member, lines, pad, ids, kinds, keys)
            continue
        group = f"g{len(ids)}_{len(lines)}"
        lines.append(f'{pad}subgraph {group}["{_escape(fold_title(member))}"]')
        if member.node is not None:
            _node(member.node, lines, pad + "  ", ids, kinds, keys)
        _members(member, lines, pad + "  ", ids, kinds, keys)
        lines.append(f"{pad}end")


def _node(
    node: LayerNode,
    lines: list[str],
    pad: str,
    ids: dict[str, str],
    kinds: dict[str, list[str]],
    keys: list[str],
) -> None:
    ids[node.path] = f"n{len(ids)}"
    kinds.setdefault(kind_of(node), []).append(ids[node.path])
    lines.append(f'{pad}{ids[node.path]}["{_escape(label(node, keys))}"]')


def _escape(text: str) -> str:
    """One label line by line: printable, entity-escaped, lines joined by <br/>."""
    return "<br/>".join(
        "".join(_ENTITIES.get(char, char) for char in printable(line)) for line in text.split("\n")
    )
