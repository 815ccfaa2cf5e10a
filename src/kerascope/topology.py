"""Connections as a model config records them, in every Keras generation's shape.

Live walks and static reads both take links from the config Keras writes, so the
two agree by construction: node indices are the ones the file stores, not the
ones a running process happens to hold.

Shapes handled:
  * Keras 3: ``inbound_nodes: [{"args": [...], "kwargs": {...}}]`` with tensors as
    ``{"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}``.
  * Keras 1 and 2: ``inbound_nodes: [[[name, node, tensor, kwargs], ...], ...]``
    (Keras 1 without the kwargs), kwargs possibly holding more such triples.
  * Sequential (any generation): no ``inbound_nodes``; each layer feeds the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

# Keys of a model's config that repeat its layers' own configs and wiring.
MODEL_KEYS = frozenset({"layers", "input_layers", "output_layers"})


class Link(NamedTuple):
    """One tensor into a call: output `tensor_index` of call `node_index` of layer `name`."""

    name: str
    node_index: int
    tensor_index: int


def layer_entries(model_config: Any) -> list[dict[str, Any]]:
    """The per-layer entries of a model config: a dict with `layers`, or the bare
    list that Keras 1 and early Keras 2 wrote for a Sequential."""
    if isinstance(model_config, list):
        layers = model_config
    elif isinstance(model_config, dict):
        layers = model_config.get("layers")
    else:
        return []
    if not isinstance(layers, list):
        return []
    return [entry for entry in layers if isinstance(entry, dict)]


def entry_name(entry: dict[str, Any]) -> str | None:
    """A layer entry's name: at the top (Functional) or inside its config (Sequential)."""
    name = entry.get("name")
    if name is None and isinstance(entry.get("config"), dict):
        name = entry["config"].get("name")
    return name if isinstance(name, str) else None


def is_sequential_config(model_config: Any) -> bool:
    entries = layer_entries(model_config)
    return bool(entries) and not any("inbound_nodes" in entry for entry in entries)


def call_sites(model_config: Any) -> dict[str, list[list[Link]]]:
    """Each named layer's call sites, each call site the links feeding it in order."""
    entries = layer_entries(model_config)
    sites: dict[str, list[list[Link]]] = {}
    if is_sequential_config(model_config):
        previous = None
        for entry in entries:
            name = entry_name(entry)
            if name is None:
                continue
            sites[name] = [[Link(previous, 0, 0)]] if previous is not None else []
            previous = name
        return sites
    for entry in entries:
        name = entry_name(entry)
        if name is None:
            continue
        nodes = entry.get("inbound_nodes")
        sites[name] = [list(_links(node)) for node in nodes] if isinstance(nodes, list) else []
    return sites


def tensor_shapes(model_config: Any) -> Iterator[tuple[Link, Any]]:
    """(producer link, shape) for every tensor a Keras 3 config stores with its shape."""
    for entry in layer_entries(model_config):
        nodes = entry.get("inbound_nodes")
        if isinstance(nodes, list):
            yield from _shaped_tensors(nodes, 0)


def _shaped_tensors(value: Any, depth: int) -> Iterator[tuple[Link, Any]]:
    if depth > 64:
        return
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            tensor = value.get("config") or {}
            link = as_link(tensor.get("keras_history"))
            if link is not None and isinstance(tensor.get("shape"), list):
                yield link, tensor["shape"]
            return
        for item in value.values():
            yield from _shaped_tensors(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _shaped_tensors(item, depth + 1)


def _links(value: Any, depth: int = 0) -> Iterator[Link]:
    """Every tensor reference inside one serialized call, in argument order."""
    if depth > 64:
        return
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history")
            link = as_link(history)
            if link is not None:
                yield link
            return
        for item in value.values():
            yield from _links(item, depth + 1)
    elif isinstance(value, list):
        link = as_link(value)
        if link is not None:
            yield link
            if len(value) > 3:  # legacy [name, node, tensor, kwargs]
                yield from _links(value[3], depth + 1)
            return
        for item in value:
            yield from _links(item, depth + 1)


def as_link(value: Any) -> Link | None:
    if (
        isinstance(value, list)
        and 3 <= len(value) <= 4
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
        and not isinstance(value[1], bool)
        and (len(value) == 3 or isinstance(value[3], dict))
    ):
        return Link(value[0], value[1], value[2])
    return None
