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


def lists_layers(model_config: Any) -> bool:
    """Whether a config lists layers (`layer_entries` is not empty), answered at its
    first entry: a question asked of a model for each of its layers stays O(1)."""
    if isinstance(model_config, dict):
        model_config = model_config.get("layers")
    return isinstance(model_config, list) and any(isinstance(entry, dict) for entry in model_config)


def entry_name(entry: dict[str, Any]) -> str | None:
    """The one naming rule for a serialized layer: its path segment, its name, and
    the name links refer to. A Functional entry stores `name` beside its config,
    which is what the model's links name; a Sequential entry and a serialized
    model only inside their config."""
    name = entry.get("name")
    if not isinstance(name, str) and isinstance(entry.get("config"), dict):
        name = entry["config"].get("name")
    return name if isinstance(name, str) else None


def is_operation_entry(entry: dict[str, Any]) -> bool:
    """Whether a functional config's entry is a Keras 3 op (`keras.ops.add` called
    in the graph), which is not a layer: not in `model.layers`, no weights."""
    module = entry.get("module")
    return isinstance(module, str) and module.startswith("keras.src.ops.")


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
        if not isinstance(nodes, list):
            continue
        for tensor in _keras_tensors(nodes):
            link = as_link(tensor.get("keras_history"))
            if link is not None and isinstance(tensor.get("shape"), list):
                yield link, tensor["shape"]


def _keras_tensors(value: Any) -> Iterator[dict[str, Any]]:
    """The config of every `__keras_tensor__` inside `value`, in order, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "__keras_tensor__":
                if isinstance(item.get("config"), dict):
                    yield item["config"]
                continue
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _links(value: Any) -> Iterator[Link]:
    """Every tensor reference inside one serialized call, in argument order, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "__keras_tensor__":
                link = as_link((item.get("config") or {}).get("keras_history"))
                if link is not None:
                    yield link
                continue
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            link = as_link(item)
            if link is None:
                stack.extend(reversed(item))
                continue
            yield link
            if len(item) > 3:  # legacy [name, node, tensor, kwargs]: kwargs may hold more tensors
                stack.append(item[3])


def as_link(value: Any) -> Link | None:
    if (
        isinstance(value, list)
        and 3 <= len(value) <= 4
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
        and not isinstance(value[1], bool)
        and not isinstance(value[2], bool)
        and (len(value) == 3 or isinstance(value[3], dict))
    ):
        return Link(value[0], value[1], value[2])
    return None


def unnumbered(value: Any) -> Any:
    """A config without the `shared_object_id`s Keras's serializer numbers the objects
    it meets twice by: two configs of one object, or of two equal ones, are then equal."""
    if isinstance(value, dict):
        return {key: unnumbered(item) for key, item in value.items() if key != "shared_object_id"}
    if isinstance(value, list):
        return [unnumbered(item) for item in value]
    return value
