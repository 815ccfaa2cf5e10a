"""A report as JSON, following the packaged schema; one layer's record as JSON."""

from __future__ import annotations

import json

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.columns import rows
from kerascope.views.options import ViewOptions


def render(report: ModelReport, options: ViewOptions) -> str:
    if options.keys:  # a query: the asked keys of every selected layer
        return json.dumps(rows(report, ["path", "class"], options.keys), indent=2) + "\n"
    return report.to_json(indent=2) + "\n"


def render_layer(node: LayerNode) -> str:
    return json.dumps(node.to_dict(), indent=2) + "\n"


def render_many(titled: list[tuple[str, ModelReport]], options: ViewOptions) -> str:
    """Several reports as one JSON array, in order (each names its `source`)."""
    return "[\n" + ",\n".join(render(report, options).rstrip("\n") for _, report in titled) + "\n]\n"
