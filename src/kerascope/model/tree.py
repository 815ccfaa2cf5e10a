"""The layer tree every reader grows: the one place a report's nodes come from.

A stored config lists a model's layers; weights files, weight-name scopes and
SavedModel object graphs reveal more (the sublayers a custom layer creates in
its own code). Every reader adds nodes through this tree, so paths, sibling
names, lookups and parameter sums work one way for every format, and each step
is O(1): a file is read in time linear in its layers and weight groups. What the
paths hold, all together, is bounded (`max_path_bytes`): a path grows with its depth
times its names, so a few thousand long names nested deep would otherwise make
gigabytes of paths.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from typing import Any

from kerascope.limits import LimitExceeded, Limits, check_time
from kerascope.model import paths
from kerascope.model.params import sum_params
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS, entry_name
from kerascope.model.vocabulary import Fact, Format, Origin, Role

NOT_STORED = "not stored in the file: the layer is created inside its parent's code"


class LayerTree:
    """Path -> node, each parent's children by name, and the nodes in insertion order."""

    def __init__(self, root: LayerNode, limits: Limits) -> None:
        self.root = root
        self.limits = limits
        self._at: dict[str, LayerNode] = {root.path: root}
        self._named: dict[tuple[str, str], list[LayerNode]] = {}
        self._siblings: dict[str, paths.SiblingNames] = {}
        self._anywhere: dict[str, list[LayerNode]] = {}
        self._stored_inside: dict[str, dict[str, dict[str, Any]]] = {}
        self._path_bytes = 0

    # -- growing ----------------------------------------------------------------
    def add(self, parent: LayerNode, name: str, **facts: Any) -> LayerNode:
        """A new child of `parent` called `name`; `facts` are the LayerNode's other fields."""
        self.limits.check_layers(len(self._at))
        check_time()
        siblings = self._siblings.setdefault(parent.path, paths.SiblingNames())
        path = paths.join(parent.path, siblings.segment(name))
        self._path_bytes += len(path)
        if self._path_bytes > self.limits.max_path_bytes:
            raise LimitExceeded(
                f"the layers' paths hold more than {self.limits.max_path_bytes:,} characters "
                "(the layer path limit)",
                "max_path_bytes",
            )
        node = LayerNode(path=path, name=name, **facts)
        parent.children.append(node.path)
        self._at[node.path] = node
        self._named.setdefault((parent.path, name), []).append(node)
        self._anywhere.setdefault(name, []).append(node)
        return node

    def add_hidden(self, parent: LayerNode, name: str, role: Role = Role.SUBLAYER) -> LayerNode:
        """A layer that a second source (weights, scopes, an object graph) shows and
        no model config lists. Its class and config are unknown, unless the
        parent's own stored config holds it serialized under the same name (a
        wrapper's `layer`, a task's `backbone`): the file's own word."""
        stored = self._stored_in(parent).get(name)
        if stored is None:
            return self.add(
                parent,
                name,
                class_name=None,
                role=role,
                config_error=NOT_STORED,
                origin={Fact.STRUCTURE: Origin.WEIGHTS},
            )
        return self.add(
            parent,
            name,
            class_name=stored["class_name"],
            module=_text(stored.get("module")),
            registered_name=_text(stored.get("registered_name")),
            role=role,
            config=stored["config"],
            origin={Fact.STRUCTURE: Origin.WEIGHTS, Fact.CLASS: Origin.CONFIG, Fact.CONFIG: Origin.CONFIG},
        )

    # -- finding ----------------------------------------------------------------
    def __getitem__(self, path: str) -> LayerNode:
        return self._at[path]

    def __contains__(self, path: object) -> bool:
        return path in self._at

    def __len__(self) -> int:
        return len(self._at)

    def get(self, path: str | None) -> LayerNode | None:
        return self._at.get(path) if path is not None else None

    def children(self, parent: LayerNode) -> list[LayerNode]:
        return [self._at[path] for path in parent.children]

    def child(self, parent: LayerNode, name: str) -> LayerNode | None:
        """The first child of `parent` called `name`."""
        named = self._named.get((parent.path, name))
        return named[0] if named else None

    def children_named(self, parent: LayerNode, name: str) -> list[LayerNode]:
        return list(self._named.get((parent.path, name), ()))

    def unique_below(self, ancestor: LayerNode, name: str) -> LayerNode | None:
        """The one layer called `name` anywhere below `ancestor`, or None (none, or several)."""
        prefix = f"{ancestor.path}/" if ancestor.path else ""
        found = [node for node in self._anywhere.get(name, ()) if node.path.startswith(prefix)]
        return found[0] if len(found) == 1 else None

    # -- finishing --------------------------------------------------------------
    def nodes(self) -> list[LayerNode]:
        """Every node, depth-first from the root, each child in the order it was added."""
        order: list[LayerNode] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(self._at[path] for path in reversed(node.children))
        return order

    def sum_params(self, unknown: Collection[str] = ()) -> None:
        """Each node's totals: its own variables plus its children's, each variable
        counted once (`params.sum_params`). A node in `unknown` (its own variables
        could not be read) has no totals, nor has any node above it."""
        sum_params(self.nodes(), self.children, unknown)

    def report(self, source: str, format: Format, **facts: Any) -> ModelReport:
        return ModelReport(nodes=self.nodes(), source=source, format=format, **facts)

    def _stored_in(self, parent: LayerNode) -> dict[str, dict[str, Any]]:
        """Serialized layers inside `parent`'s own config, by name, found once per parent."""
        if parent.path not in self._stored_inside:
            self._stored_inside[parent.path] = _serialized_layers(parent.config)
        return self._stored_inside[parent.path]


def _serialized_layers(config: Any) -> dict[str, dict[str, Any]]:
    """Every `{"class_name", "config": {"name"}}` object inside a config (not its
    model's `layers`), by name, the first of each name winning; breadth-first."""
    found: dict[str, dict[str, Any]] = {}
    queue = (
        deque(value for key, value in config.items() if key not in MODEL_KEYS)
        if isinstance(config, dict)
        else deque()
    )
    while queue:
        value = queue.popleft()
        if isinstance(value, dict):
            inner = value.get("config")
            name = entry_name(value) if isinstance(inner, dict) else None
            if isinstance(value.get("class_name"), str) and name is not None:
                found.setdefault(name, value)
            queue.extend(item for key, item in value.items() if key != "layers")
        elif isinstance(value, list):
            queue.extend(value)
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
