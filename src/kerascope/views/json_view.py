"""The whole report as JSON, following the packaged schema."""

from __future__ import annotations

from kerascope.report import ModelReport


def render(report: ModelReport) -> str:
    return report.to_json(indent=2) + "\n"
