"""Views: each turns a record into text and reads nothing else.

A view returns either a string (printed as is) or a rich renderable (printed
through a console that colours only for a terminal). The views of each kind of
record are one table (`tables.py`); view modules are imported when used, so
`kerascope --help` pays for none of them.

Other parts use the names below, never the modules inside (an import contract
says so). The text helpers are imported on first use: they are not free, and
`import kerascope` needs none of them.
"""

from __future__ import annotations

import importlib
from typing import Any

from kerascope.views.options import ViewOptions
from kerascope.views.presenter import register as register_presenter
from kerascope.views.tables import (
    CHECK_VIEWS,
    DIFF_VIEWS,
    LAYER_VIEWS,
    LOAD_CHECK_VIEWS,
    REPORT_VIEWS,
    View,
    ViewTable,
    render,
)

_ON_FIRST_USE = {
    # A view's output as one string, coloured for a terminal or plain.
    "as_text": "kerascope.views.console",
    # Text from a file made safe to print: control characters shown escaped.
    "printable": "kerascope.views.text",
    "plural": "kerascope.views.text",
    "shape_text": "kerascope.views.text",
    # The columns of a layer row, by name (csv, markdown, DataFrames, the scan catalog).
    "COLUMNS": "kerascope.views.columns",
    # SARIF 2.1.0 of the findings of many files.
    "sarif_log": "kerascope.views.sarif",
}
__all__ = [
    "CHECK_VIEWS",
    "DIFF_VIEWS",
    "LAYER_VIEWS",
    "LOAD_CHECK_VIEWS",
    "REPORT_VIEWS",
    "View",
    "ViewOptions",
    "ViewTable",
    "register_presenter",
    "render",
    *_ON_FIRST_USE,
]


def __getattr__(name: str) -> Any:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'kerascope.views' has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
