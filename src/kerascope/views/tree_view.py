"""Layers as a tree: nesting at a glance, one line per layer, every label plain text.

The guides are drawn here (linear in the layers), not by a tree widget."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Role
from kerascope.views.columns import cell, config_value
from kerascope.views.options import ViewOptions
from kerascope.views.table_view import head
from kerascope.views.text import (
    class_text,
    count_text,
    footer_lines,
    printable,
    raised_config_error,
    shape_text,
    value_text,
)


def render(report: ModelReport, options: ViewOptions) -> Group:
    title, *banner = head(report)
    tree = Text()
    stack: list[tuple[LayerNode, str, bool]] = [
        (child, "", index == len(report.root.children) - 1)
        for index, child in reversed(list(enumerate(report.children(report.root))))
    ]
    while stack:
        node, prefix, last = stack.pop()
        tree.append(prefix + ("└── " if last else "├── "), style="dim")
        tree.append_text(_label(node, options.keys))
        tree.append("\n")
        inner = prefix + ("    " if last else "│   ")
        children = report.children(node)
        stack.extend(
            (child, inner, i == len(children) - 1) for i, child in reversed(list(enumerate(children)))
        )
    tree.rstrip()
    return Group(title, *banner, tree, Text("\n".join(footer_lines(report))))


def _label(node: LayerNode, keys: list[str]) -> Text:
    label = Text(printable(node.name), style="bold" if node.role == Role.MODEL else "")
    label.append(f" {class_text(node)}", style="cyan")
    if node.role in (Role.SUBLAYER, Role.INPUT, Role.OP):
        label.append(f" [{node.role.value}]", style="dim")
    shape = shape_text(node.output_shape)
    if shape:
        label.append(f" → {shape}")
    label.append(f"  {count_text(node.total_params)} params", style="dim")
    for key in keys:
        label.append(
            f"  {printable(key)}={value_text(cell(config_value(node.config, key)))}", style="magenta"
        )
    if raised_config_error(node):
        label.append(f"  get_config() raised {printable(node.config_error or '')}", style="red")
    return label
