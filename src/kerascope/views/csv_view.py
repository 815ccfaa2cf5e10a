"""One row per layer as CSV, columns chosen with `--columns` (and `--key`)."""

from __future__ import annotations

import csv
import io

from kerascope.model.records import ModelReport
from kerascope.views.columns import rows
from kerascope.views.options import ViewOptions


def render(report: ModelReport, options: ViewOptions) -> str:
    table = rows(report, options.columns, options.keys)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]) if table else options.columns or ["path"])
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()
