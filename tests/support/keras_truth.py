"""What Keras itself says about a model, to check reports against.

Each helper asks Keras directly (`_flatten_layers`, `get_config`, `count_params`)
and never goes through kerascope, so a report is compared with the framework's
own answer rather than with itself.
"""

from __future__ import annotations

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
    """Keras's own answer to "which layers are in here": `_flatten_layers()`."""
    return list(model._flatten_layers(include_self=False, recursive=True))


def config_or_error(layer: Any) -> Any:
    try:
        return plain(layer.get_config())
    except Exception as error:  # noqa: BLE001 - a layer's own code may raise anything
        return f"raises {type(error).__name__}"


def layer_signature(name: str, class_name: str | None, config: Any) -> str:
    return json.dumps([name, class_name, config], sort_keys=True)


def keras_signatures(model: Any) -> Counter:
    return Counter(
        layer_signature(layer.name, type(layer).__name__, config_or_error(layer))
        for layer in every_layer(model)
    )


def report_signatures(report: Any) -> Counter:
    return Counter(
        layer_signature(
            node.name,
            node.class_name,
            node.config if node.config_error is None else f"raises {node.config_error.split(':')[0]}",
        )
        for node in report.layers
    )


def assert_report_matches_keras(report: Any, model: Any) -> None:
    """The checks every live report must pass against Keras itself."""
    keras_layers = every_layer(model)
    assert len(report.layers) == len(keras_layers)
    assert len({node.path for node in report.nodes}) == len(report.nodes)
    assert report_signatures(report) == keras_signatures(model)
    assert report.root.config == config_or_error(model) or report.root.config_error
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert report.trainable_params == trainable
    assert report.non_trainable_params == non_trainable
    if model.built:
        assert report.total_params == model.count_params()
    owned = sum(w.size for node in report.nodes for w in node.weights)
    assert owned == report.total_params, "every variable listed exactly once"
