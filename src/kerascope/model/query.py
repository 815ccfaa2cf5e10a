"""Selecting layers: by path or name glob, and by class."""

from __future__ import annotations

import difflib
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


def empty_selection(
    report: ModelReport, pattern: str | None = None, classes: list[str] | None = None
) -> str | None:
    """Why a selection holds no layer, with the report's own classes or names near
    what was asked (`no layer of class 'Dens'; did you mean 'Dense'?`), or None when
    it holds some."""
    if (pattern is None and not classes) or select(report, pattern, classes).layers:
        return None
    present = sorted({node.class_name for node in report.layers if node.class_name})
    missing = [name for name in classes or [] if name not in present]
    if missing:
        wanted = " or ".join(repr(name) for name in missing)
        return f"no layer of class {wanted}{_near(missing, present)}"
    if classes and pattern is not None:
        return f"no layer of class {' or '.join(map(repr, classes))} has a path or name matching {pattern!r}"
    names = list(dict.fromkeys(node.name for node in report.layers))
    return f"no layer's path or name matches {pattern!r}{_near([pattern or ''], names)}"


def _near(asked: list[str], present: list[str]) -> str:
    """`; did you mean 'Dense'?` (case aside, then by spelling), or nothing."""
    by_case = {name.lower(): name for name in present}
    found: list[str] = []
    for name in asked:
        found += [by_case[name.lower()]] if name.lower() in by_case else []
        found += difflib.get_close_matches(name, present, n=3, cutoff=0.6)
    found = list(dict.fromkeys(found))[:3]
    return f"; did you mean {' or '.join(repr(name) for name in found)}?" if found else ""
