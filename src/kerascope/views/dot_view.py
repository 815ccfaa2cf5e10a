"""Graphviz DOT: layers as boxes filled with their kind's colour, the folds the
HTML page draws (nested models, layers with sublayers, blocks named alike,
repeats, slices) as clusters, one edge per tensor labelled with its shape."""

from __future__ import annotations

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.columns import cell, config_value
from kerascope.views.graph import Edge, tensor_edges
from kerascope.views.grouping import Fold, folds
from kerascope.views.kinds import PALETTE, key_attributes, kind_of
from kerascope.views.options import ViewOptions
from kerascope.views.text import class_text, printable, shape_text


def render(report: ModelReport, options: ViewOptions) -> str:
    lines = [
        f"digraph {_quote(report.root.name)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, fontcolor="white"];',
        '  edge [fontname="Helvetica", fontsize=8, color="#98a2b3"];',
    ]
    _members(folds(report), lines, "  ", options.keys)
    edges, cut = tensor_edges(report)
    lines += [f"  {_quote(edge.source)} -> {_quote(edge.target)}{_edge_label(edge)};" for edge in edges]
    if cut:
        lines.append(f"  // {cut.note}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _members(fold: Fold, lines: list[str], pad: str, keys: list[str]) -> None:
    for member in fold.members:
        if isinstance(member, LayerNode):
            colour = PALETTE[kind_of(member)]
            lines.append(
                f'{pad}{_quote(member.path)} [label={_quote(label(member, keys))}, fillcolor="{colour}"];'
            )
            continue
        name = "cluster_" + (member.node.path if member.node is not None else f"{id(member)}")
        lines.append(f"{pad}subgraph {_quote(name)} {{")
        lines.append(f"{pad}  label={_quote(fold_title(member))};")
        lines.append(f'{pad}  style="rounded"; color="#84adff"; fontname="Helvetica"; fontsize=10;')
        if member.node is not None:
            colour = PALETTE[kind_of(member.node)]
            node_label = label(member.node, keys)
            lines.append(
                f'{pad}  {_quote(member.node.path)} [label={_quote(node_label)}, fillcolor="{colour}"];'
            )
        _members(member, lines, pad + "  ", keys)
        lines.append(f"{pad}}}")


def fold_title(fold: Fold) -> str:
    """A fold's title in every graph view: the layer it is, or its label and count."""
    if fold.node is not None:
        return f"{fold.node.name} ({class_text(fold.node)})"
    return fold.label + (f" ×{fold.count}" if fold.count > 1 else "")


def label(node: LayerNode, keys: list[str]) -> str:
    """Class, name, output shape, key attributes and any asked config keys, one per line."""
    shape = shape_text(node.output_shape)
    asked = [f"{key}={cell(config_value(node.config, key))}" for key in keys]
    parts = (class_text(node), node.name, shape, *key_attributes(node), *asked)
    return "\n".join(part for part in parts if part)


def _edge_label(edge: Edge) -> str:
    shape = shape_text(edge.shape)
    return f" [label={_quote(shape)}]" if shape else ""


def _quote(text: str) -> str:
    """A DOT string: printable, line by line, with quotes and backslashes escaped."""
    lines = [printable(line).replace("\\", "\\\\").replace('"', '\\"') for line in text.split("\n")]
    return '"' + "\\n".join(lines) + '"'
