"""Selecting layers: by path or name glob, and by class."""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from kerascope.model.records import ModelReport


def select(report: ModelReport, pattern: str | None = None, classes: list[str] | None = None) -> ModelReport:
    """The report with only the layers matching the glob (path or name) and any of
    the classes; the tree keeps its shape through the nearest kept ancestor."""
    if pattern is None and not classes:
        return report
    kept = {
        node.path
        for node in report.layers
        if (
            pattern is None
            or fnmatch.fnmatchcase(node.path, pattern)
            or fnmatch.fnmatchcase(node.name, pattern)
        )
        and (not classes or node.class_name in classes)
    }
    return subset(report, kept)


def subset(report: ModelReport, kept: set[str]) -> ModelReport:
    """The root and the `kept` layers, each listed under its nearest kept ancestor."""
    nodes = [report.root] + [node for node in report.layers if node.path in kept]
    children: dict[str, list[str]] = {node.path: [] for node in nodes}
    for node in nodes[1:]:
        ancestor = node.parent_path
        while ancestor not in children:
            ancestor = report[ancestor].parent_path if ancestor else ""
        children[ancestor].append(node.path)
    return replace(report, nodes=[replace(node, children=children[node.path]) for node in nodes])
