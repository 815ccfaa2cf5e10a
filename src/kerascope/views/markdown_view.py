"""One row per layer as a Markdown table, to paste into a report or a review."""

from __future__ import annotations

from typing import Any

from kerascope.model.records import ModelReport
from kerascope.views.columns import DEFAULT_COLUMNS, rows
from kerascope.views.options import ViewOptions
from kerascope.views.text import title


def render(report: ModelReport, options: ViewOptions) -> str:
    table = rows(report, options.columns, options.keys)
    header = list(table[0]) if table else (options.columns or DEFAULT_COLUMNS) + options.keys
    lines = [f"**{title(report)}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(row[name]) for name in header) + " |" for row in table]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if isinstance(value, str) and text else text
