"""The default view: one row per layer, indented by depth, like `model.summary()`
but reaching every sublayer."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Role
from kerascope.views.columns import cell, config_value
from kerascope.views.options import ViewOptions
from kerascope.views.text import class_text, count_text, footer_lines, shape_text, title


def render(report: ModelReport, options: ViewOptions) -> Group:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Layer", no_wrap=True)
    table.add_column("Class", no_wrap=True)
    table.add_column("Role", no_wrap=True)
    table.add_column("Output shape")
    table.add_column("Params", justify="right", no_wrap=True)
    for key in options.keys:
        table.add_column(key)
    for node in report.layers:
        indent = "  " * (node.depth - 1)
        name = Text(indent + node.name, style="dim" if node.role == Role.SUBLAYER else "")
        table.add_row(
            name,
            class_text(node),
            node.role,
            shape_text(node.output_shape),
            count_text(node.total_params),
            *(_key_text(node, key) for key in options.keys),
        )
    return Group(Text(title(report), style="bold"), table, Text("\n".join(footer_lines(report))))


def _key_text(node: LayerNode, key: str) -> str:
    value = cell(config_value(node.config, key))
    return "" if value is None else str(value)
