"""kerascope: every layer of a Keras model, at every depth, in one report.

`import kerascope` stays light: no framework is imported until a live object is
inspected (and then only the one the object already belongs to).
"""

from __future__ import annotations

from kerascope.api import check, diff, inspect, load_check
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model import (
    CheckResult,
    Finding,
    InboundLink,
    LayerLoad,
    LayerNode,
    LoadCheck,
    ModelDiff,
    ModelReport,
    WeightInfo,
)
from kerascope.version import __version__
from kerascope.views import register_presenter

register_presenter()

__all__ = [
    "CheckResult",
    "Finding",
    "InboundLink",
    "KerascopeError",
    "LayerLoad",
    "LayerNode",
    "Limits",
    "LoadCheck",
    "ModelDiff",
    "ModelReport",
    "WeightInfo",
    "__version__",
    "check",
    "diff",
    "inspect",
    "load_check",
]
