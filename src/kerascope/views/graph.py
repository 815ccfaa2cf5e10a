"""A report's connections as a graph: edges between layers, and a layered layout.

Edges come from each layer's inbound links. A link from or to a nested model is
drawn from its output layers or to its input layers, so nested models can be
drawn as clusters with their own insides. Sublayers (tracked inside a layer,
never called by a model) take part in no connection and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kerascope.model import topology
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Role

GRAPH_ROLES = (Role.INPUT, Role.LAYER, Role.MODEL, Role.OP)
# A drawing past this many edges says so and stops: a file can wire two nested
# models of thousands of layers each to each other, which no drawing can show.
MAX_EDGES = 20_000


@dataclass(frozen=True)
class Cut:
    """A graph drawn only in part, and the note that says so."""

    drawn: int
    limit: int

    @property
    def note(self) -> str:
        return f"only the first {self.drawn:,} edges are drawn (the graph has more than {self.limit:,})"


def graph_nodes(report: ModelReport, parent: LayerNode) -> list[LayerNode]:
    """The children of `parent` that take part in its graph."""
    return [child for child in report.children(parent) if child.role in GRAPH_ROLES]


def is_cluster(report: ModelReport, node: LayerNode) -> bool:
    return node.role == Role.MODEL and bool(graph_nodes(report, node))


@dataclass(frozen=True)
class Edge:
    """One tensor from a leaf layer to another, with the shape it carries (None: unknown)."""

    source: str
    target: str
    shape: Any


def tensor_edges(report: ModelReport, limit: int = MAX_EDGES) -> tuple[list[Edge], Cut | None]:
    """Every tensor between two leaf layers, at any depth (a shared layer called
    twice has an edge per call), with its shape, up to `limit` edges; and the cut,
    if the graph has more."""
    edges: list[Edge] = []
    ends: dict[tuple[str, bool], list[str]] = {}
    for node in report.layers:
        if node.role not in GRAPH_ROLES:
            continue
        targets = _ends(report, node, True, ends)
        for call in node.inbound or []:
            for link in call:
                if link.layer not in report:
                    continue
                producer = report[link.layer]
                shape = tensor_shape(producer, link.node_index, link.tensor_index)
                for source in _ends(report, producer, False, ends):
                    for target in targets:
                        if len(edges) == limit:
                            return edges, Cut(limit, limit)
                        edges.append(Edge(source, target, shape))
    return edges, None


def layer_edges(report: ModelReport, limit: int = MAX_EDGES) -> tuple[list[tuple[str, str]], Cut | None]:
    """(from, to) for every tensor between two leaf layers (see `tensor_edges`)."""
    edges, cut = tensor_edges(report, limit)
    return [(edge.source, edge.target) for edge in edges], cut


def tensor_shape(node: LayerNode, node_index: int, tensor_index: int) -> Any:
    """The shape of output `tensor_index` of call `node_index` of `node`, as far as
    the report knows it (None when it does not)."""
    shapes = node.output_shapes or []
    if not shapes:
        return None
    shape = shapes[node_index] if 0 <= node_index < len(shapes) else shapes[0]
    if isinstance(shape, dict):
        shape = list(shape.values())
    if (
        isinstance(shape, list)
        and shape
        and all(isinstance(item, (list, dict)) or item is None for item in shape)
    ):
        if all(item is None for item in shape):
            return shape
        return shape[tensor_index] if 0 <= tensor_index < len(shape) else None
    return shape


def _ends(
    report: ModelReport, node: LayerNode, inputs: bool, known: dict[tuple[str, bool], list[str]]
) -> list[str]:
    """A leaf layer's own path; for a nested model, its input (or output) layers,
    recursively; each model's ends found once (`known`)."""
    if (node.path, inputs) in known:
        return known[(node.path, inputs)]
    if not is_cluster(report, node):
        return [node.path]
    members = graph_nodes(report, node)
    named = _io_names(node, "input_layers" if inputs else "output_layers")
    chosen = [m for m in members if m.name in named] or [members[0] if inputs else members[-1]]
    ends: list[str] = []
    for member in chosen:
        ends += _ends(report, member, inputs, known)
    known[(node.path, inputs)] = ends
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
