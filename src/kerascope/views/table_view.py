"""The default view: one row per layer, indented by depth, like `model.summary()`
but reaching every sublayer, with each layer's output shape, parameters and FLOPs.

The columns are laid out here, not by a table widget, so that a model of tens of
thousands of layers renders in about a second; every cell is plain text, so
nothing from a file is read as markup or reaches a terminal as a control sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text

from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Role
from kerascope.views.columns import cell, config_value, layer_values
from kerascope.views.options import ViewOptions
from kerascope.views.text import (
    class_text,
    count_text,
    findings_banner,
    footer_lines,
    printable,
    shape_text,
    si,
    title,
    value_text,
)

GAP = "   "


@dataclass(frozen=True)
class Column:
    heading: str
    value: Callable[[LayerNode], str]
    right: bool = False


def columns(report: ModelReport, keys: list[str]) -> list[Column]:
    chosen = [
        Column("Layer", lambda node: "  " * (node.depth - 1) + printable(node.name)),
        Column("Class", class_text),
        Column("Role", lambda node: node.role.value),
        Column("Output shape", lambda node: shape_text(node.output_shape)),
        Column("Params", lambda node: count_text(node.total_params), right=True),
    ]
    if any(node.flops is not None for node in report.layers):
        chosen.append(Column("FLOPs", lambda node: "" if node.flops is None else si(node.flops), right=True))
    chosen += value_columns(report)
    for key in keys:
        chosen.append(
            Column(printable(key), lambda node, key=key: value_text(cell(config_value(node.config, key))))
        )
    return chosen


def value_columns(report: ModelReport) -> list[Column]:
    """The layers' weights' statistics, when values were read: mean, spread and range,
    and the count of zeros, NaN and infinities where any layer has them."""
    read = {node.path: layer_values(node) for node in report.layers}
    if not any(read.values()):
        return []

    def number(key: str) -> Callable[[LayerNode], str]:
        def shown(node: LayerNode) -> str:
            found = read[node.path]
            value = found[key] if found else None
            return "" if value is None else f"{value:.3g}"

        return shown

    chosen = [Column(heading, number(key), right=True) for heading, key in _VALUES]
    for heading, key in (("Zeros", "zeros"), ("NaN", "nan"), ("Inf", "inf")):
        if any(found and found[key] for found in read.values()):
            chosen.append(Column(heading, lambda node, key=key: _count(read[node.path], key), right=True))
    return chosen


_VALUES = (("Mean", "mean"), ("Std", "std"), ("Min", "min"), ("Max", "max"))


def _count(found: dict[str, Any] | None, key: str) -> str:
    return "" if found is None else count_text(found[key])


def render(report: ModelReport, options: ViewOptions) -> Group:
    chosen = columns(report, options.keys)
    rows = [[column.value(node) for column in chosen] for node in report.layers]
    widths = [
        max([cell_len(column.heading), *(cell_len(row[i]) for row in rows)])
        for i, column in enumerate(chosen)
    ]
    table = Text()
    table.append(_line([column.heading for column in chosen], chosen, widths) + "\n", style="bold")
    table.append(" " + "─" * (sum(widths) + len(GAP) * (len(widths) - 1) + 2) + "\n")
    for node, row in zip(report.layers, rows, strict=True):
        table.append(_line(row, chosen, widths) + "\n", style="dim" if node.role == Role.SUBLAYER else "")
    return Group(*head(report), table, Text("\n".join(footer_lines(report))))


def _line(cells: list[str], chosen: list[Column], widths: list[int]) -> str:
    padded = []
    for text, column, width in zip(cells, chosen, widths, strict=True):
        fill = " " * (width - cell_len(text))
        padded.append(fill + text if column.right else text + fill)
    return ("  " + GAP.join(padded)).rstrip()


def head(report: ModelReport) -> list[Text]:
    """The title, and the findings banner when there are findings."""
    lines = [Text(title(report), style="bold")]
    banner = findings_banner(report)
    if banner:
        lines.append(Text(banner, style="yellow"))
    return lines
