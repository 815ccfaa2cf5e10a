"""Growing a report's layer tree as weights reveal layers no config lists."""

from __future__ import annotations

from typing import Any

from kerascope import paths
from kerascope.report import LayerNode
from kerascope.sources.json_text import text_or_none
from kerascope.sources.limits import Limits

WEIGHTS = "weights"
CONFIG = "config"
NOT_STORED = "not stored in the file: the layer is created inside its parent's code"


def add_hidden(
    parent: LayerNode, name: str, at: dict[str, LayerNode], limits: Limits, role: str = "sublayer"
) -> LayerNode:
    """A layer the weights show and no model config lists.

    Its class and config are unknown unless the parent's own config holds it,
    serialized under the same name (a wrapper's `layer`, a task's `backbone`).
    """
    limits.check_layers(len(at) + 1)
    taken = [path.rpartition("/")[2] for path in parent.children]
    path = paths.join(parent.path, paths.SiblingNames(taken).segment(name))
    node = LayerNode(
        path=path,
        name=name,
        class_name=None,
        role=role,
        config_error=NOT_STORED,
        origin={"structure": WEIGHTS},
    )
    stored = _nested_objects(parent.config).get(name)
    if stored is not None:
        node.class_name = stored["class_name"]
        node.module = text_or_none(stored.get("module"))
        node.registered_name = text_or_none(stored.get("registered_name"))
        node.config, node.config_error = stored["config"], None
        node.origin.update({"class": CONFIG, "config": CONFIG})
    parent.children.append(path)
    at[path] = node
    return node


def depth_first(root: LayerNode, at: dict[str, LayerNode]) -> list[LayerNode]:
    order: list[LayerNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(at[path] for path in reversed(node.children))
    return order


def sum_params(order: list[LayerNode], at: dict[str, LayerNode]) -> None:
    """Each node's total: its own variables plus its children's totals (order is depth-first)."""
    for node in reversed(order):
        node.total_params = sum(w.size for w in node.weights) + sum(
            at[path].total_params or 0 for path in node.children
        )


def _nested_objects(config: Any, depth: int = 0) -> dict[str, dict[str, Any]]:
    """Serialized layers inside a layer's own config (a wrapper's `layer`, a task's
    `backbone`), by name: the file's own word on a sublayer's class and config."""
    found: dict[str, dict[str, Any]] = {}
    if depth > 32:
        return found
    if isinstance(config, dict):
        values = [value for key, value in config.items() if key != "layers"]
    elif isinstance(config, list):
        values = config
    else:
        return found
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("class_name"), str):
            inner = value.get("config")
            if isinstance(inner, dict) and isinstance(inner.get("name"), str):
                found.setdefault(inner["name"], value)
        for name, obj in _nested_objects(value, depth + 1).items():
            found.setdefault(name, obj)
    return found
