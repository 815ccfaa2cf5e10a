"""The records at the bottom of kerascope: what a report is, in one vocabulary.

Nothing here imports another part of kerascope; every other part imports this.
"""

from kerascope.model.records import Finding, InboundLink, LayerLookupError, LayerNode, ModelReport, WeightInfo
from kerascope.model.results import Change, CheckResult, LayerDiff, LayerLoad, LoadCheck, ModelDiff
from kerascope.model.vocabulary import (
    Code,
    DiffStatus,
    Fact,
    Format,
    LoadStatus,
    Origin,
    Role,
    Severity,
    Stage,
)

__all__ = [
    "Change",
    "CheckResult",
    "Code",
    "DiffStatus",
    "Fact",
    "Finding",
    "Format",
    "InboundLink",
    "LayerDiff",
    "LayerLoad",
    "LayerLookupError",
    "LayerNode",
    "LoadCheck",
    "LoadStatus",
    "ModelDiff",
    "ModelReport",
    "Origin",
    "Role",
    "Severity",
    "Stage",
    "WeightInfo",
]
