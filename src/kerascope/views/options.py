"""What a report view is asked for: which layers, columns and config keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kerascope.model.records import ModelReport


@dataclass
class ViewOptions:
    """`select` (a glob on path or name), `classes` and `depth` choose the layers;
    `columns` the row views' columns (csv, markdown); `keys` config keys to show
    for every layer."""

    select: str | None = None
    classes: list[str] = field(default_factory=list)
    depth: int | None = None
    columns: list[str] | None = None
    keys: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, **options: Any) -> ViewOptions:
        """Options from keywords, refusing any a view does not take."""
        unknown = set(options) - {"select", "classes", "depth", "columns", "keys"}
        if unknown:
            raise TypeError(f"unknown view option {sorted(unknown)[0]!r}")
        return cls(**options)

    def chosen_layers(self, report: ModelReport) -> ModelReport:
        """The report cut down to the layers these options ask for."""
        from kerascope.model.query import select

        if self.depth is not None and self.depth < 1:
            raise ValueError(f"depth must be 1 or more (the top level is 1), not {self.depth}")
        report = select(report, self.select, self.classes)
        return report.folded(self.depth) if self.depth is not None else report
