"""The live walk: every tracked layer of a Keras object, at every depth, once.

`model.layers` stops at the top level and a custom layer's config hides the
layers it creates; Keras's own tracking (`_flatten_layers`) sees them all. The
walk follows that tracking depth-first, gives each layer a path of names, and
records what Keras itself says of it. A layer whose code raises is reported
with the error and the walk goes on.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from kerascope.decoders.jsonsafe import jsonable
from kerascope.errors import one_line
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.live.flavors import Flavor, flavor_of
from kerascope.model import paths, topology
from kerascope.model.records import InboundLink, LayerNode, ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Format, Origin, Role

ALL_LIVE = {fact: Origin.LIVE for fact in (Fact.CLASS, Fact.CONFIG, Fact.SHAPES, Fact.WEIGHTS)}


def inspect_live(obj: Any, source: str | None = None, limits: Limits = DEFAULT_LIMITS) -> ModelReport:
    """A report of a live Keras layer or model, built from the objects themselves."""
    return walk_live(obj, source, limits)[0]


def walk_live(
    obj: Any, source: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[ModelReport, dict[str, Any]]:
    """The report of `obj`, and the layer object at each of its paths (for live checks)."""
    flavor = flavor_of(obj)
    children_of, owner_of = _owners(flavor, obj)
    root_facts, root_variables = _facts(flavor, obj, index=None, listed=True)
    tree = LayerTree(LayerNode(path="", name=obj.name, **root_facts), limits)
    objects = {"": obj}
    path_of = {id(obj): ""}
    models: list[tuple[LayerNode, dict[str, int]]] = []
    graphs: list[Any] = []
    stack = [(tree.root, obj, root_variables)]
    while stack:
        node, layer, variables = stack.pop()
        listed_at = {id(item): i for i, item in enumerate(flavor.listed_layers(layer))}
        names_to_ids: dict[str, int] = {}
        owned_by_children: set[int] = set()
        added = []
        for child in children_of[id(layer)]:
            owned_by_children.update(id(w) for w in getattr(child, "weights", ()))
            names_to_ids[child.name] = id(child)
            if owner_of[id(child)] != id(layer):  # shared: listed once, under its owner
                continue
            position = listed_at.get(id(child))
            facts, child_variables = _facts(flavor, child, position, listed=position is not None)
            child_node = tree.add(node, child.name, **facts)
            path_of[id(child)] = child_node.path
            objects[child_node.path] = child
            added.append((child_node, child, child_variables))
        node.weights = [flavor.weight_info(w) for w in variables if id(w) not in owned_by_children]
        if isinstance(node.config, dict) and topology.layer_entries(node.config):
            models.append((node, names_to_ids))
        elif flavor.is_model(layer):
            graphs.append((node, layer))
        stack.extend(reversed(added))
    _link_call_sites(tree, models, path_of)
    for model, layer in graphs:
        _link_graph_calls(tree, model, flavor.graph_calls(layer), path_of)
    report = tree.report(
        source or f"<live {type(obj).__name__} {getattr(obj, 'name', '')}>",
        Format.LIVE,
        keras_version=flavor.version,
        backend=flavor.backend,
    )
    return report, objects


def _facts(flavor: Flavor, layer: Any, index: int | None, listed: bool) -> tuple[dict[str, Any], list[Any]]:
    """What Keras says of one layer (as LayerNode fields), and the variables it holds.

    `index` is the layer's position in its parent's `layers` (None when the
    parent does not list it); `listed` is False for a sublayer.
    """
    class_name, module, registered_name = flavor.class_identity(layer)
    config, config_error = _config_of(layer)
    inputs, outputs = flavor.call_shapes(layer)
    trainable = list(getattr(layer, "trainable_weights", ()))
    non_trainable = list(getattr(layer, "non_trainable_weights", ()))
    facts = {
        "class_name": class_name,
        "module": module,
        "registered_name": registered_name,
        "role": _role(flavor, layer, listed),
        "index": index,
        "config": config,
        "config_error": config_error,
        "build_input_shape": flavor.build_input_shape(layer),
        "input_shapes": inputs or None,
        "output_shapes": outputs or None,
        "total_params": _size(trainable) + _size(non_trainable),
        "trainable_params": _size(trainable),
        "non_trainable_params": _size(non_trainable),
        "origin": dict(ALL_LIVE),
    }
    return facts, trainable + non_trainable


def _role(flavor: Flavor, layer: Any, listed: bool) -> Role:
    if flavor.is_input_layer(layer):
        return Role.INPUT
    if flavor.is_model(layer):
        return Role.MODEL
    if flavor.is_operation(layer):
        return Role.OP
    return Role.LAYER if listed else Role.SUBLAYER


def _link_call_sites(
    tree: LayerTree, models: list[tuple[LayerNode, dict[str, int]]], path_of: dict[int, str]
) -> None:
    """Inbound links of every layer in a model, from the model's own config."""
    for model, names_to_ids in models:
        names_to_paths = {name: path_of[key] for name, key in names_to_ids.items()}
        for name, sites in topology.call_sites(model.config).items():
            child = tree.get(names_to_paths.get(name))
            if child is None or child.inbound is not None:
                continue
            child.inbound = [
                [
                    InboundLink(
                        names_to_paths.get(link.name) or paths.join(model.path, link.name),
                        link.node_index,
                        link.tensor_index,
                    )
                    for link in site
                ]
                for site in sites
            ]


def _link_graph_calls(
    tree: LayerTree,
    model: LayerNode,
    calls: list[tuple[Any, list[list[tuple[Any, int, int]]]]],
    path_of: dict[int, str],
) -> None:
    """Inbound links from a model's own graph, for a model whose config lists no layers."""
    for consumer, sites in calls:
        node = tree.get(path_of.get(id(consumer)))
        if node is None or node.inbound is not None:
            continue
        node.inbound = [
            [
                InboundLink(path_of.get(id(producer)) or paths.join(model.path, producer.name), index, tensor)
                for producer, index, tensor in site
            ]
            for site in sites
        ]


def _owners(flavor: Flavor, root: Any) -> tuple[dict[int, list[Any]], dict[int, int | None]]:
    """Each layer's tracked children, and the one parent each layer is listed under.

    A layer tracked by several parents (a backbone's inputs reused by a task
    model) belongs to the shallowest, first-found of them: breadth-first, the
    same place a file's config lists it.
    """
    children_of: dict[int, list[Any]] = {}
    owner_of: dict[int, int | None] = {id(root): None}
    queue = deque([root])
    while queue:
        layer = queue.popleft()
        children_of[id(layer)] = flavor.children(layer)
        for child in children_of[id(layer)]:
            if id(child) not in owner_of:
                owner_of[id(child)] = id(layer)
                queue.append(child)
    return children_of, owner_of


def _config_of(layer: Any) -> tuple[Any, str | None]:
    try:
        return jsonable(layer.get_config()), None
    except Exception as error:  # noqa: BLE001 - a layer's own code may raise anything
        return None, one_line(f"{type(error).__name__}: {error}")


def _size(variables: list[Any]) -> int:
    total = 0
    for variable in variables:
        count = 1
        for dim in variable.shape:
            count *= int(dim)
        total += count
    return total
