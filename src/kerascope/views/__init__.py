"""Views: each turns a ModelReport into text and reads nothing else.

A view returns either a string (printed as is) or a rich renderable (printed
through a console that colours only for a terminal). Views are imported when
used, so `kerascope --help` pays for none of them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from kerascope.report import ModelReport

FORMATS = ("table", "tree", "json", "yaml", "csv", "markdown", "dot", "mermaid", "html")


@dataclass
class ViewOptions:
    """`columns` for the row views (csv, markdown); `keys`: config keys to show for every layer."""

    columns: list[str] | None = None
    keys: list[str] = field(default_factory=list)


def render(report: ModelReport, fmt: str, options: ViewOptions | None = None) -> Any:
    """The report in format `fmt`: a string or a rich renderable."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"kerascope.views.{fmt}_view")
    return module.render(report, options or ViewOptions())
