"""The records analyses produce: a diff of two models, and the findings of a check."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from kerascope.model.display import Displayed
from kerascope.model.records import Finding, ModelReport
from kerascope.model.vocabulary import DiffStatus, Severity


@dataclass
class Change:
    """One fact that differs: a config key (dotted, `kernel_initializer.class_name`),
    `class`, `weights[0]`, `weights` (their number) or `inbound`."""

    key: str
    old: Any
    new: Any


@dataclass
class LayerDiff:
    status: DiffStatus
    a: str | None
    b: str | None
    class_name: str | None
    renamed: bool = False
    moved: bool = False
    old_name: str | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.b if self.b is not None else self.a or ""


@dataclass(repr=False)
class ModelDiff(Displayed):
    a_source: str
    b_source: str
    normalized: bool
    ignored: list[str]
    layers: list[LayerDiff]
    a_params: int | None
    b_params: int | None
    notes: list[str] = field(default_factory=list)
    # The two reports compared and every matched pair of paths (a -> b), for views
    # that draw both models (the HTML diff); not part of the diff's JSON.
    reports: tuple[ModelReport, ModelReport] | None = field(default=None, compare=False)
    pairs: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def same(self) -> bool:
        return not self.layers

    def __repr__(self) -> str:
        verdict = "same" if self.same else f"{len(self.layers)} layers differ"
        return f"<ModelDiff {self.a_source} -> {self.b_source}: {verdict}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a_source,
            "b": self.b_source,
            "normalized": self.normalized,
            "ignored": self.ignored,
            "same": self.same,
            "params": {"a": self.a_params, "b": self.b_params},
            "notes": list(self.notes),
            "layers": [
                {**asdict(layer), "status": layer.status.value, "path": layer.path} for layer in self.layers
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=repr)


@dataclass(repr=False)
class CheckResult(Displayed):
    """The findings for one target, with the report they were found in."""

    report: ModelReport
    findings: list[Finding] = field(default_factory=list)
    live: bool = False

    def __repr__(self) -> str:
        worst = self.worst()
        return f"<CheckResult {self.report.source}: {len(self.findings)} findings, worst {worst or 'none'}>"

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def fails(self, threshold: Severity | str) -> bool:
        """Whether any finding is at least as severe as `threshold` (warning or error)."""
        worst = self.worst()
        return worst is not None and worst.rank >= Severity(threshold).rank

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.report.source,
            "format": self.report.format.value,
            "live": self.live,
            "findings": [finding.to_dict() for finding in self.findings],
        }
