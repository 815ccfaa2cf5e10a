"""kerascope: every layer of a Keras model, at every depth, in one report.

`import kerascope` stays light: no framework is imported until a live object is
inspected (and then only the one the object already belongs to).
"""

from __future__ import annotations

from kerascope.analysis import check, diff
from kerascope.errors import KerascopeError
from kerascope.report import InboundLink, LayerNode, ModelReport, WeightInfo
from kerascope.targets import inspect

__all__ = [
    "InboundLink",
    "KerascopeError",
    "LayerNode",
    "ModelReport",
    "WeightInfo",
    "__version__",
    "check",
    "diff",
    "inspect",
]

__version__ = "0.1.0"
