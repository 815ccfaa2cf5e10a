"""The whole report as YAML: the JSON document, easier to read by eye."""

from __future__ import annotations

import yaml

from kerascope.model.records import ModelReport
from kerascope.views.columns import rows
from kerascope.views.options import ViewOptions


def render(report: ModelReport, options: ViewOptions) -> str:
    data = rows(report, ["path", "class"], options.keys) if options.keys else report.to_dict()
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
