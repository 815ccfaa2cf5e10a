"""One row per layer as CSV, columns chosen with `--columns` (and `--key`).

Text cells are printable (control characters escaped), and a cell that a
spreadsheet would run as a formula (starting with `=`, `+`, `-` or `@`) is
prefixed with `'`, the OWASP rule for CSV injection.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from kerascope.model.records import ModelReport
from kerascope.views.columns import DEFAULT_COLUMNS, rows
from kerascope.views.options import ViewOptions
from kerascope.views.text import printable

_FORMULA_STARTS = ("=", "+", "-", "@")


def render(report: ModelReport, options: ViewOptions) -> str:
    return _csv([(None, report)], options)


def render_many(titled: list[tuple[str, ModelReport]], options: ViewOptions) -> str:
    """Several reports as one table, each row led by its model's name (`model`)."""
    return _csv([(report.root.name, report) for _, report in titled], options)


def _csv(named: list[tuple[str | None, ModelReport]], options: ViewOptions) -> str:
    names = [*(options.columns or DEFAULT_COLUMNS), *options.keys]
    lead = ["model"] if named and named[0][0] is not None else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(name) for name in [*lead, *names]])
    for model, report in named:
        for row in rows(report, options.columns, options.keys):
            values = [model, *row.values()] if lead else list(row.values())
            writer.writerow([_cell(value) for value in values])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
