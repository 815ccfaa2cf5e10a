"""One row per layer as a Markdown table, to paste into a report or a review.

Everything from the file is printable, HTML-escaped (Markdown renderers pass
raw HTML through) and kept inside its cell."""

from __future__ import annotations

import html
import re
from typing import Any

from kerascope.model.records import ModelReport
from kerascope.views.columns import DEFAULT_COLUMNS, rows
from kerascope.views.options import ViewOptions
from kerascope.views.text import printable, title


def render(report: ModelReport, options: ViewOptions) -> str:
    table = rows(report, options.columns, options.keys)
    header = list(table[0]) if table else [*(options.columns or DEFAULT_COLUMNS), *options.keys]
    lines = [
        f"**{markdown_text(title(report))}**",
        "",
        "| " + " | ".join(markdown_text(name) for name in header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(_cell(name, row[name]) for name in header) + " |" for row in table]
    return "\n".join(lines) + "\n"


def markdown_text(text: str) -> str:
    """Text that stays text in Markdown: printable, HTML-escaped, and with the
    characters that would start emphasis, code, links or a new cell escaped."""
    escaped = html.escape(printable(text).replace("\\", "\\\\"), quote=False)
    return re.sub(r"([|*`\[\]])", r"\\\1", escaped)


def markdown_code(text: str) -> str:
    """Text as an inline code span that nothing in it can close, inside a table cell."""
    text = printable(text).replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


# Columns shown as code: paths and names, which are identifiers.
_CODE_COLUMNS = {"path", "name"}


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return markdown_code(value) if column in _CODE_COLUMNS else markdown_text(value)
