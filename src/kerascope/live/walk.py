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

from kerascope import paths, topology
from kerascope.jsonsafe import jsonable
from kerascope.live.flavors import Flavor, flavor_of
from kerascope.report import InboundLink, LayerNode, ModelReport

LIVE = "live"


def inspect_live(obj: Any, source: str | None = None) -> ModelReport:
    """A report of a live Keras layer or model, built from the objects themselves."""
    return walk_live(obj, source)[0]


def walk_live(obj: Any, source: str | None = None) -> tuple[ModelReport, dict[str, Any]]:
    """The report of `obj`, and the layer object at each of its paths (for live checks)."""
    flavor = flavor_of(obj)
    walker = _Walker(flavor, obj)
    walker.visit(obj, path="", index=None, listed=True)
    walker.link_call_sites()
    report = ModelReport(
        nodes=walker.nodes,
        source=source or f"<live {type(obj).__name__} {getattr(obj, 'name', '')}>",
        format=LIVE,
        keras_version=flavor.version,
        backend=flavor.backend,
    )
    return report, {walker.path_of[id(layer)]: layer for layer in walker.layers}


class _Walker:
    def __init__(self, flavor: Flavor, root: Any) -> None:
        self.flavor = flavor
        self.nodes: list[LayerNode] = []
        self.path_of: dict[int, str] = {}
        self.layers: list[Any] = []
        self.node_at: dict[str, LayerNode] = {}
        self.models: list[tuple[LayerNode, dict[str, int]]] = []
        self.children_of, self.owner_of = _owners(flavor, root)

    def visit(self, layer: Any, path: str, index: int | None, listed: bool) -> LayerNode:
        """Record `layer` and, depth-first, its children.

        `index` is the layer's position in its parent's `layers` (None when the
        parent does not list it); `listed` is False for a sublayer.
        """
        flavor = self.flavor
        self.path_of[id(layer)] = path
        self.layers.append(layer)
        class_name, module, registered_name = flavor.class_identity(layer)
        config, config_error = _config_of(layer)
        inputs, outputs = flavor.call_shapes(layer)
        trainable = list(layer.trainable_weights)
        non_trainable = list(layer.non_trainable_weights)
        node = LayerNode(
            path=path,
            name=layer.name,
            class_name=class_name,
            module=module,
            registered_name=registered_name,
            role=self._role(layer, listed),
            index=index,
            config=config,
            config_error=config_error,
            build_input_shape=flavor.build_input_shape(layer),
            input_shapes=inputs or None,
            output_shapes=outputs or None,
            total_params=_size(trainable) + _size(non_trainable),
            trainable_params=_size(trainable),
            non_trainable_params=_size(non_trainable),
            origin={"class": LIVE, "config": LIVE, "shapes": LIVE, "weights": LIVE},
        )
        self.nodes.append(node)
        self.node_at[path] = node

        children = self.children_of[id(layer)]
        listed_at = {id(item): i for i, item in enumerate(flavor.listed_layers(layer))}
        child_names = paths.SiblingNames()
        names_to_ids: dict[str, int] = {}
        owned_by_children: set[int] = set()
        for child in children:
            owned_by_children.update(id(w) for w in child.weights)
            names_to_ids[child.name] = id(child)
            if self.owner_of[id(child)] != id(layer):  # shared: listed once, under its owner
                continue
            child_path = paths.join(path, child_names.segment(child.name))
            node.children.append(child_path)
            position = listed_at.get(id(child))
            self.visit(child, child_path, position, listed=position is not None)
        node.weights = [
            flavor.weight_info(w) for w in trainable + non_trainable if id(w) not in owned_by_children
        ]
        if isinstance(config, dict) and topology.layer_entries(config):
            self.models.append((node, names_to_ids))
        return node

    def _role(self, layer: Any, listed: bool) -> str:
        if self.flavor.is_input_layer(layer):
            return "input"
        if self.flavor.is_model(layer):
            return "model"
        return "layer" if listed else "sublayer"

    def link_call_sites(self) -> None:
        """Inbound links of every layer in a model, from the model's own config."""
        for model, names_to_ids in self.models:
            names_to_paths = {name: self.path_of[key] for name, key in names_to_ids.items()}
            for name, sites in topology.call_sites(model.config).items():
                child = self.node_at.get(names_to_paths.get(name, ""))
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
        return None, paths.one_line(f"{type(error).__name__}: {error}")


def _size(variables: list[Any]) -> int:
    total = 0
    for variable in variables:
        count = 1
        for dim in variable.shape:
            count *= int(dim)
        total += count
    return total
