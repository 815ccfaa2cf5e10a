"""A report's connections as a graph: edges between layers, and a layered layout.

Edges come from each layer's inbound links. A link from or to a nested model is
drawn from its output layers or to its input layers, so nested models can be
drawn as clusters with their own insides. Sublayers (tracked inside a layer,
never called by a model) take part in no connection and are left out.
"""

from __future__ import annotations

from kerascope.model import topology
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Role

GRAPH_ROLES = (Role.INPUT, Role.LAYER, Role.MODEL)


def graph_nodes(report: ModelReport, parent: LayerNode) -> list[LayerNode]:
    """The children of `parent` that take part in its graph."""
    return [child for child in report.children(parent) if child.role in GRAPH_ROLES]


def is_cluster(report: ModelReport, node: LayerNode) -> bool:
    return node.role == Role.MODEL and bool(graph_nodes(report, node))


def layer_edges(report: ModelReport) -> list[tuple[str, str]]:
    """(from, to) for every tensor between two leaf layers, at any depth; a shared
    layer called twice has an edge per call."""
    edges = []
    for node in report.layers:
        if node.role not in GRAPH_ROLES:
            continue
        targets = _ends(report, node, inputs=True)
        for call in node.inbound or []:
            for link in call:
                if link.layer not in report:
                    continue
                for source in _ends(report, report[link.layer], inputs=False):
                    edges += [(source, target) for target in targets]
    return edges


def level_edges(report: ModelReport, parent: LayerNode) -> list[tuple[str, str]]:
    """Edges between the children of one model, nested models drawn as one box."""
    members = {node.path for node in graph_nodes(report, parent)}
    edges = []
    for node in graph_nodes(report, parent):
        for call in node.inbound or []:
            for link in call:
                if link.layer in members:
                    edges.append((link.layer, node.path))
    return edges


def _ends(report: ModelReport, node: LayerNode, inputs: bool) -> list[str]:
    """A leaf layer's own path; for a nested model, its input (or output) layers, recursively."""
    if not is_cluster(report, node):
        return [node.path]
    members = graph_nodes(report, node)
    named = _io_names(node, "input_layers" if inputs else "output_layers")
    chosen = [m for m in members if m.name in named] or [members[0] if inputs else members[-1]]
    ends: list[str] = []
    for member in chosen:
        ends += _ends(report, member, inputs)
    return ends


def _io_names(node: LayerNode, key: str) -> set[str]:
    """Layer names in a model config's `input_layers`/`output_layers` (one link, or a list)."""
    entries = node.config.get(key) if isinstance(node.config, dict) else None
    if topology.as_link(entries) is not None:
        return {entries[0]}
    names: set[str] = set()
    for item in entries if isinstance(entries, list) else []:
        link = topology.as_link(item)
        if link is not None:
            names.add(link.name)
    return names


def layered_layout(paths: list[str], edges: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """(column, row) for each node: rows by longest path from a source, columns in
    order of first appearance, nudged toward the parents' columns."""
    incoming: dict[str, list[str]] = {path: [] for path in paths}
    for source, target in edges:
        if source in incoming and target in incoming and source != target:
            incoming[target].append(source)
    row: dict[str, int] = {}
    for path in paths:  # paths come in config order, which Keras keeps topological
        row[path] = max((row[p] + 1 for p in incoming[path] if p in row), default=0)
    rows: dict[int, list[str]] = {}
    for path in paths:
        rows.setdefault(row[path], []).append(path)
    column: dict[str, float] = {}
    for index in sorted(rows):
        members = rows[index]
        wanted = {
            path: sum(column[p] for p in incoming[path] if p in column) / max(1, len(incoming[path]))
            for path in members
        }
        members.sort(key=lambda path: wanted[path])
        for position, path in enumerate(members):
            column[path] = position
    return {path: (int(column[path]), row[path]) for path in paths}
