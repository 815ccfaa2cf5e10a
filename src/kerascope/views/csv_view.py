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
    table = rows(report, options.columns, options.keys)
    names = list(table[0]) if table else [*(options.columns or DEFAULT_COLUMNS), *options.keys]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(name) for name in names])
    writer.writerows([_cell(row[name]) for name in names] for row in table)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
