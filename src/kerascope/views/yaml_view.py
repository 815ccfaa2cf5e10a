"""The whole report as YAML: the JSON document, easier to read by eye."""

from __future__ import annotations

import yaml

from kerascope.report import ModelReport


def render(report: ModelReport) -> str:
    return yaml.safe_dump(report.to_dict(), sort_keys=False, allow_unicode=True, width=100)
