"""The default view: one row per layer, indented by depth, like `model.summary()`
but reaching every sublayer. Every cell is plain text: nothing from a file is
read as rich markup or reaches the terminal as a control sequence."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Role
from kerascope.views.columns import cell, config_value
from kerascope.views.options import ViewOptions
from kerascope.views.text import (
    class_text,
    count_text,
    findings_banner,
    footer_lines,
    printable,
    shape_text,
    title,
    value_text,
)


def render(report: ModelReport, options: ViewOptions) -> Group:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Layer", no_wrap=True)
    table.add_column("Class", no_wrap=True)
    table.add_column("Role", no_wrap=True)
    table.add_column("Output shape")
    table.add_column("Params", justify="right", no_wrap=True)
    for key in options.keys:
        table.add_column(Text(printable(key)))
    for node in report.layers:
        indent = "  " * (node.depth - 1)
        table.add_row(
            Text(indent + printable(node.name), style="dim" if node.role == Role.SUBLAYER else ""),
            Text(class_text(node)),
            Text(node.role.value),
            Text(shape_text(node.output_shape)),
            Text(count_text(node.total_params)),
            *(Text(_key_text(node, key)) for key in options.keys),
        )
    return Group(*head(report), table, Text("\n".join(footer_lines(report))))


def head(report: ModelReport) -> list[Text]:
    """The title, and the findings banner when there are findings."""
    lines = [Text(title(report), style="bold")]
    banner = findings_banner(report)
    if banner:
        lines.append(Text(banner, style="yellow"))
    return lines


def _key_text(node: LayerNode, key: str) -> str:
    return value_text(cell(config_value(node.config, key)))
