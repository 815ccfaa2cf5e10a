"""A report, or one layer's record, as YAML: the JSON document, easier to read by
eye. Bytecode and other long opaque strings are shown as digests; `-f json` keeps
every byte."""

from __future__ import annotations

import yaml

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.columns import rows
from kerascope.views.options import ViewOptions
from kerascope.views.text import compact


def render(report: ModelReport, options: ViewOptions) -> str:
    data = rows(report, ["path", "class"], options.keys) if options.keys else report.to_dict()
    return _yaml(data)


def render_layer(node: LayerNode) -> str:
    return _yaml(node.to_dict())


def _yaml(data: object) -> str:
    return yaml.safe_dump(compact(data), sort_keys=False, allow_unicode=True, width=100)
