"""What Keras itself says about a model, to check reports against.

Each helper asks Keras directly (`_flatten_layers`, `get_config`, `count_params`,
`layer.output.shape`, the functional graph's own nodes) and never goes through
kerascope, so a report is compared with the framework's own answer rather than
with itself.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """`value` as JSON would carry it: tuples as lists, numpy values as Python ones."""

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if hasattr(obj, "as_list"):
            return obj.as_list()
        if isinstance(obj, np.dtype):
            return obj.name
        raise TypeError(f"not plain: {obj!r}")

    return json.loads(json.dumps(value, default=default))


def every_layer(model: Any) -> list[Any]:
    """Keras's own answer to "which layers are in here": `_flatten_layers()`, and
    the ops (`keras.ops.add`) each functional model's graph calls, which its
    config lists beside its layers."""
    found = list(model._flatten_layers(include_self=False, recursive=True))
    for layer in [model, *found]:
        operations = getattr(layer, "_operations", None) if _is_functional(layer) else None
        found += [op for op in operations or [] if not hasattr(op, "_flatten_layers")]
    return found


def config_or_error(layer: Any) -> tuple[Any, str | None]:
    """(get_config() made plain, None), or (None, the exception's type name)."""
    try:
        return plain(layer.get_config()), None
    except Exception as error:  # noqa: BLE001 - a layer's own code may raise anything
        return None, type(error).__name__


def shape_of(tensors: Any) -> Any:
    """Keras's shape of a tensor or a nest of them, as a report writes it."""
    if isinstance(tensors, (list, tuple)):
        shapes = [shape_of(t) for t in tensors]
        return shapes[0] if len(shapes) == 1 else shapes
    if isinstance(tensors, dict):
        return {str(k): shape_of(v) for k, v in tensors.items()}
    return [None if d is None else int(d) for d in tensors.shape]


def call_sites(layer: Any) -> list[Any]:
    """Every node that calls `layer` (Keras 3 and tf_keras both keep `_inbound_nodes`)."""
    return list(getattr(layer, "_inbound_nodes", None) or [])


def node_outputs(node: Any) -> Any:
    return node.outputs if hasattr(node, "outputs") else node.output_tensors


def parameter_count(variables: list[Any]) -> int:
    return sum(int(np.prod(v.shape)) for v in variables)


def flat(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [item for inner in value for item in flat(inner)]
    if isinstance(value, dict):
        return [item for inner in value.values() for item in flat(inner)]
    return [value]


def model_edges(model: Any) -> Counter:
    """(producer name, consumer name, tensor index) for every tensor between two
    layers of one model: a Sequential's chain of `layers` (what a Sequential is),
    a functional model's own graph nodes."""
    edges: Counter = Counter()
    if type(model).__name__ == "Sequential":
        chain = [*_sequential_input(model), *model.layers]
        for producer, consumer in itertools.pairwise(chain):
            edges[(producer.name, consumer.name, 0)] += 1
        return edges
    for consumer, node in _graph_nodes(model):
        if _is_input(consumer):  # an input's own node feeds it from itself
            continue
        for tensor in flat(node.input_tensors):
            history = tensor._keras_history
            edges[(history[0].name, consumer.name, int(history[2]))] += 1
    return edges


def _sequential_input(model: Any) -> list[Any]:
    """The InputLayer a Sequential's config lists first, when it has one."""
    tracked = model._flatten_layers(include_self=False, recursive=False)
    return [layer for layer in tracked if type(layer).__name__ == "InputLayer"][:1]


def _graph_nodes(model: Any) -> list[tuple[Any, Any]]:
    """(layer, node) for every call a functional model's graph holds."""
    if hasattr(model, "_network_nodes"):  # tf_keras: node keys "name_ib-i"
        return [
            (layer, node)
            for layer in model.layers
            for index, node in enumerate(call_sites(layer))
            if f"{layer.name}_ib-{index}" in model._network_nodes
        ]
    return [  # Keras 3: node keys "id(operation)_ib-i"
        (operation, node)
        for operation in model._operations
        for index, node in enumerate(call_sites(operation))
        if f"{id(operation)}_ib-{index}" in model._nodes
    ]


def report_edges(report: Any, model_path: str) -> Counter:
    """The same edges, from a report's inbound links between one model's children."""
    parent = report[model_path] if model_path else report.root
    edges: Counter = Counter()
    for child in report.children(parent):
        for call in child.inbound or []:
            for link in call:
                producer = report[link.layer].name if link.layer in report else link.layer
                edges[(producer, child.name, link.tensor_index)] += 1
    return edges


def assert_report_matches_keras(report: Any, model: Any) -> None:
    """The checks every live report must pass against Keras itself."""
    keras_layers = every_layer(model)
    assert len(report.layers) == len(keras_layers)
    assert len({node.path for node in report.nodes}) == len(report.nodes)
    by_name: dict[str, list[Any]] = {}
    for layer in keras_layers:
        by_name.setdefault(layer.name, []).append(layer)
    assert Counter(node.name for node in report.layers) == Counter(layer.name for layer in keras_layers)
    for node in [report.root, *report.layers]:
        layer = model if not node.path else _layer_at(node, by_name, report)
        _assert_layer(node, layer)
    trainable = parameter_count(model.trainable_weights)
    non_trainable = parameter_count(model.non_trainable_weights)
    assert report.trainable_params == trainable
    assert report.non_trainable_params == non_trainable
    if model.built:
        assert report.total_params == model.count_params()
    owned = sum(w.size for node in report.nodes for w in node.weights)
    assert owned == trainable + non_trainable, "every variable listed exactly once"
    assert_header_counts_what_keras_lists(report, model)
    for node in report.nodes:
        layer = model if not node.path else _layer_at(node, by_name, report)
        if not _is_functional(layer):
            continue
        children = report.children(node)
        if config_or_error(layer)[1] is None or any(child.inbound is not None for child in children):
            assert report_edges(report, node.path) == model_edges(layer), node.path
        else:  # neither the model's config nor its graph gave the links: unknown, not empty
            assert all(child.inbound is None for child in children), node.path


def assert_header_counts_what_keras_lists(report: Any, model: Any) -> None:
    """The header counts `len(model.layers)` as layers and the graph's Keras 3
    operations apart, each with its own role; a layer that is no model counts its
    sublayers."""
    operations = [op for op in every_layer(model) if not hasattr(op, "_flatten_layers")]
    operation_names = {op.name for op in operations}
    for node in report.layers:
        assert (node.role == "op") == (node.name in operation_names), (node.path, node.role)
    if not _is_model(model):
        assert (
            report.layer_count_text() == f"{len(report.layers):,} sublayer{'s' * (len(report.layers) != 1)}"
        )
        return
    assert [node.name for node in report.model_layers or []] == [layer.name for layer in model.layers]
    listed = len(model.layers)
    if not listed:  # nothing says what the model lists: every layer, counted at every depth
        assert report.layer_count_text() == f"{len(report.layers):,} layer{'s' * (len(report.layers) != 1)}"
        return
    top_operations = [op for op in getattr(model, "_operations", None) or [] if op in operations]
    words = f"{listed:,} layer{'s' * (listed != 1)}"
    if top_operations:
        words += f", {len(top_operations):,} op{'s' * (len(top_operations) != 1)}"
    assert report.layer_count_text().split(" (")[0] == words


def _is_model(layer: Any) -> bool:
    return any(cls.__name__ == "Model" for cls in type(layer).__mro__)


def _layer_at(node: Any, by_name: dict[str, list[Any]], report: Any) -> Any:
    """The Keras layer a report node stands for: by name, and where names repeat,
    by the parent's own attribute tracking."""
    candidates = by_name[node.name]
    if len(candidates) == 1:
        return candidates[0]
    siblings = [n for n in report.children(report.parent(node)) if n.name == node.name]
    parent = report.parent(node)
    keras_parent = _layer_at(parent, by_name, report) if parent.path else None
    if keras_parent is not None:
        tracked = [c for c in keras_parent._flatten_layers(include_self=False, recursive=False)]
        named = [c for c in tracked if c.name == node.name]
        return named[siblings.index(node)]
    return candidates[siblings.index(node)]


def _is_functional(layer: Any) -> bool:
    """A model with a graph of layers: a Sequential, or a functional model."""
    return (
        type(layer).__name__ == "Sequential"
        or hasattr(layer, "_network_nodes")
        or (hasattr(layer, "_nodes") and hasattr(layer, "_operations"))
    )


def _assert_layer(node: Any, layer: Any) -> None:
    config, error = config_or_error(layer)
    if error is None:
        assert node.config == config, node.path
        assert node.config_error is None, node.path
    else:
        assert node.config is None, node.path
        assert node.config_error is not None and node.config_error.startswith(error), (node.path, error)
    assert node.class_name == type(layer).__name__ or node.registered_name is not None, node.path
    trainable = parameter_count(getattr(layer, "trainable_weights", []))
    non_trainable = parameter_count(getattr(layer, "non_trainable_weights", []))
    assert (node.trainable_params, node.non_trainable_params) == (trainable, non_trainable), node.path
    sites = call_sites(layer)
    if not sites:
        assert node.output_shapes is None and node.input_shapes is None, node.path
    elif len(sites) == 1 and not _is_input(layer):
        assert node.output_shapes == [shape_of(layer.output)], node.path
        assert node.input_shapes == [shape_of(sites[0].input_tensors)], node.path
    else:  # a shared layer: each call's outputs (a model's in its output structure, as Keras gives `output`)
        if not hasattr(layer, "_outputs_struct") and not hasattr(layer, "_nested_outputs"):
            assert node.output_shapes == [shape_of(node_outputs(site)) for site in sites], node.path
        assert node.input_shapes == [shape_of(site.input_tensors) for site in sites], node.path
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None  # ops have none
    expected_build = plain((build or {}).get("input_shape"))
    assert node.build_input_shape == expected_build, node.path


def _is_input(layer: Any) -> bool:
    return type(layer).__name__ == "InputLayer"
