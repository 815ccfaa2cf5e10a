"""A report, or one layer's record, as YAML: the JSON document, easier to read by
eye. Bytecode and other long opaque strings are shown as digests; `-f json` keeps
every byte.

PyYAML escapes control characters in double-quoted strings but writes the
bidirectional overrides ("Trojan source") as they are; here a string holding one is
double-quoted and each such character written as its `\\uXXXX` escape, which YAML
reads back as the same character."""

from __future__ import annotations

import re
from typing import Any

import yaml

from kerascope.model.records import LayerNode, ModelReport
from kerascope.views.columns import rows
from kerascope.views.options import ViewOptions
from kerascope.views.text import compact

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def render(report: ModelReport, options: ViewOptions) -> str:
    data = rows(report, ["path", "class"], options.keys) if options.keys else report.to_dict()
    return yaml_text(compact(data))


def render_many(titled: list[tuple[str, ModelReport]], options: ViewOptions) -> str:
    """Several reports as one YAML list, in order (each names its `source`)."""
    return yaml_text(
        [
            compact(rows(r, ["path", "class"], options.keys) if options.keys else r.to_dict())
            for _, r in titled
        ]
    )


def render_layer(node: LayerNode) -> str:
    return yaml_text(compact(node.to_dict()))


def yaml_text(data: Any) -> str:
    """`data` as YAML with nothing a terminal or an editor acts on written raw."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return _BIDI.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, with strings holding a bidirectional control double-quoted."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if _BIDI.search(value) else None)


_Dumper.add_representer(str, _string)
