"""The layer tree a stored model config describes, in any Keras generation's shape.

Every static format stores the same kind of config (a serialized object whose
`config` may hold a `layers` list), so one builder serves them all. It records
only what the config says: classes and configs as stored, connections and
tensor shapes where the config carries them. What the config does not say stays
`None` for a second source (the weights) or nobody to fill in.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from kerascope.families.registry import known_class
from kerascope.limits import Limits
from kerascope.model import paths, topology
from kerascope.model.records import InboundLink, LayerNode
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Kind, Origin, Role

FROM_CONFIG = {Fact.CLASS: Origin.CONFIG, Fact.CONFIG: Origin.CONFIG}


def build_tree(root: dict[str, Any], root_name: str | None, limits: Limits) -> LayerTree:
    """The tree of a serialized model (`{"class_name", "config", ...}`)."""
    stored_name = topology.entry_name(root)
    tree = LayerTree(LayerNode(path="", name=stored_name or root_name or "model", class_name=None), limits)
    _describe(tree.root, root, listed=True, is_root=True)
    if stored_name is None:  # the file's own name, or a placeholder: no name anyone gave the model
        tree.root.origin[Fact.NAME] = Origin.FILE_NAME
    _grow(tree, tree.root)
    return tree


def grow_model(tree: LayerTree, model: LayerNode) -> None:
    """Add the layers a model's config lists below it (a model some other source
    showed: a subclassed model's encoder, serialized in its config)."""
    _grow(tree, model)


def configless_tree(file_name: str, why: str, limits: Limits) -> LayerTree:
    """The tree of a file that stores no model config (weights alone): a root named
    after the file, its class unknown, saying `why`."""
    root = LayerNode(
        path="",
        name=file_name,
        class_name=None,
        role=Role.MODEL,
        config_error=why,
        origin={Fact.NAME: Origin.FILE_NAME},
    )
    return LayerTree(root, limits)


def stored_input_shape(config: Any) -> Any:
    """An input layer's shape as Keras 3 (`batch_shape`) or 1/2 (`batch_input_shape`) wrote it."""
    if not isinstance(config, dict):
        return None
    for key in ("batch_shape", "batch_input_shape"):
        if isinstance(config.get(key), list):
            return config[key]
    return None


def node_facts(obj: dict[str, Any], listed: bool, is_root: bool = False) -> dict[str, Any]:
    """The LayerNode fields a serialized layer states about itself."""
    config = obj.get("config")
    class_name = obj.get("class_name") if isinstance(obj.get("class_name"), str) else None
    build = obj.get("build_config")
    own = known_class(class_name)
    kind = own.kind if own is not None else None
    facts: dict[str, Any] = {
        "class_name": class_name,
        "module": _text(obj.get("module")),
        "registered_name": _text(obj.get("registered_name")),
        "role": Role.OP
        if topology.is_operation_entry(obj)
        else _role(kind, bool(topology.layer_entries(config)), listed, is_root),
        "config": config,
        "build_input_shape": build.get("input_shape") if isinstance(build, dict) else None,
        "origin": dict(FROM_CONFIG),
    }
    if kind is Kind.INPUT:
        shape = stored_input_shape(config)
        facts["output_shapes"] = [shape] if shape is not None else None
    return facts


def _describe(node: LayerNode, obj: dict[str, Any], listed: bool, is_root: bool = False) -> None:
    for key, value in node_facts(obj, listed, is_root).items():
        setattr(node, key, value)


def _grow(tree: LayerTree, top: LayerNode) -> None:
    """Add every model's layers below `top`, depth-first, without recursion.

    A nested model whose input is its outer model's input lists the same InputLayer
    as the outer model does (one object): it is listed once, at the outer model, as
    Keras tracks it."""
    stack: list[tuple[LayerNode, frozenset[str]]] = [(top, frozenset())]
    while stack:
        model, inputs_above = stack.pop()
        entries = topology.layer_entries(model.config)
        if not entries:
            continue
        sequential = topology.is_sequential_config(model.config)
        listed_index = 0
        children = []
        inputs = set(inputs_above)
        for position, entry in enumerate(entries):
            name = topology.entry_name(entry) or f"layer_{position}"
            # Keras 3 leaves a Sequential's InputLayer out of `model.layers`, and ops called
            # in a functional graph are in no `layers` list either (but are its layers' peers).
            operation = topology.is_operation_entry(entry)
            is_input = is_input_class(entry.get("class_name"))
            listed = not (sequential and is_input)
            indexed = listed and not operation
            shared = _input_key(entry) if is_input else None
            if shared is not None and shared in inputs_above:
                listed_index += indexed
                continue
            if shared is not None:
                inputs.add(shared)
            child = tree.add(
                model, name, index=listed_index if indexed else None, **node_facts(entry, listed)
            )
            listed_index += indexed
            children.append(child)
        _link(tree, model)
        _shapes(tree, model)
        if sequential:
            _chain_shapes(children)
        stack.extend(reversed([(child, frozenset(inputs)) for child in children]))


def _input_key(entry: dict[str, Any]) -> str:
    """An InputLayer as one string: its name and config, without the ids a serializer
    numbers shared objects by."""
    return json.dumps(
        [topology.entry_name(entry), _unnumbered(entry.get("config"))], sort_keys=True, default=str
    )


def _unnumbered(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _unnumbered(item) for key, item in value.items() if key != "shared_object_id"}
    if isinstance(value, list):
        return [_unnumbered(item) for item in value]
    return value


def _link(tree: LayerTree, model: LayerNode) -> None:
    for name, sites in topology.call_sites(model.config).items():
        node = tree.child(model, name)
        if node is None:
            continue
        node.inbound = [
            [
                InboundLink(_path_of(tree, model, link.name), link.node_index, link.tensor_index)
                for link in site
            ]
            for site in sites
        ]
        node.origin[Fact.INBOUND] = Origin.CONFIG


def _path_of(tree: LayerTree, model: LayerNode, name: str) -> str:
    """The path of the layer a link names; a layer the model does not list keeps
    the path it would have, so the link still says what the file says."""
    child = tree.child(model, name)
    return child.path if child is not None else paths.join(model.path, paths.escape(name))


def _shapes(tree: LayerTree, model: LayerNode) -> None:
    """Output shapes where a consumer's stored tensor says them (Keras 3 only).

    A call-site index comes from the file: only indices of call sites the
    producer really has are used, so a huge index cannot ask for a huge list."""
    produced: dict[str, dict[int, dict[int, Any]]] = {}
    for link, shape in topology.tensor_shapes(model.config):
        produced.setdefault(link.name, {}).setdefault(link.node_index, {})[link.tensor_index] = shape
    for name, calls in produced.items():
        node = tree.child(model, name)
        if node is None or node.output_shapes is not None:
            continue
        if max(calls) >= max(len(node.inbound or ()), 1):
            continue
        node.output_shapes = [_tensor_list(calls.get(i, {})) for i in range(max(calls) + 1)]
        node.origin[Fact.SHAPES] = Origin.CONFIG


def chain_stored_shapes(tree: LayerTree) -> None:
    """Sequential output shapes from build shapes set after the tree was grown (a
    SavedModel stores them beside the config, per layer): each Sequential's listed
    layers are its first children, in config order."""
    for model in tree.nodes():
        if topology.is_sequential_config(model.config):
            _chain_shapes(tree.children(model)[: len(topology.layer_entries(model.config))])


def _chain_shapes(chain: list[LayerNode]) -> None:
    """In a Sequential each layer was built on its predecessor's output, so the
    next layer's stored build shape is this layer's output shape."""
    for layer, successor in itertools.pairwise(chain):
        if layer.output_shapes is None and successor.build_input_shape is not None:
            layer.output_shapes = [successor.build_input_shape]
            layer.origin[Fact.SHAPES] = Origin.CONFIG


def _tensor_list(tensors: dict[int, Any]) -> Any:
    """One call's outputs: the shape of a single output, or a list of them. Tensor
    indices beyond the outputs stored are not trusted to size the list."""
    if not tensors:
        return None
    if len(tensors) == 1 and 0 in tensors:
        return tensors[0]
    if max(tensors) >= len(tensors) * 4 + 16:
        return None
    return [tensors.get(i) for i in range(max(tensors) + 1)]


def is_input_class(class_name: Any) -> bool:
    """Whether a stored class is Keras's input layer (an InputLayer, by any spelling)."""
    own = known_class(class_name)
    return own is not None and own.kind is Kind.INPUT


def _role(kind: Kind | None, has_layers: bool, listed: bool, is_root: bool) -> Role:
    """Where a layer of Keras's class of this kind (None: a class kerascope does not know) sits."""
    if kind is Kind.INPUT:
        return Role.INPUT
    if has_layers or kind is Kind.MODEL or is_root:
        return Role.MODEL
    return Role.LAYER if listed else Role.SUBLAYER


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
