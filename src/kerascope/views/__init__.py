"""Views: each turns a record into text and reads nothing else.

A view returns either a string (printed as is) or a rich renderable (printed
through a console that colours only for a terminal). View modules are imported
when used, so `kerascope --help` pays for none of them.
"""

from __future__ import annotations

import importlib
from typing import Any

from kerascope.model.records import ModelReport
from kerascope.views.options import ReportView, ViewOptions


def render(report: ModelReport, view: ReportView | str, options: ViewOptions | None = None) -> Any:
    """The report in `view` (after `options` chose its layers): a string or a rich renderable."""
    chosen = options or ViewOptions()
    module = importlib.import_module(f"kerascope.views.{ReportView(view).value}_view")
    return module.render(chosen.chosen_layers(report), chosen)


__all__ = ["ReportView", "ViewOptions", "render"]
