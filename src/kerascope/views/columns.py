"""One row per layer, with named columns: what CSV, Markdown, DataFrames and
`--key` queries read. Values are plain (strings, numbers, None)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kerascope.decoders.value_stats import combined
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS
from kerascope.views.text import shape_text


def _shape(value: Any) -> Any:
    return shape_text(value) or None


def layer_values(node: LayerNode) -> dict[str, Any] | None:
    """The statistics of a layer's own weights taken together (read with `--values`;
    its sublayers' weights are theirs), or None when none were read."""
    return combined(weight.stats for weight in node.weights if weight.stats is not None)


def _value(key: str) -> Callable[[LayerNode], Any]:
    def column(node: LayerNode) -> Any:
        found = layer_values(node)
        return None if found is None else found[key]

    return column


def _config_json(config: Any) -> str | None:
    """A layer's config as compact JSON; a model's without its layers' configs and
    wiring, which are each layer's own row."""
    if config is None:
        return None
    if isinstance(config, dict):
        config = {key: value for key, value in config.items() if key not in MODEL_KEYS}
    return json.dumps(config, separators=(",", ":"), allow_nan=False)


COLUMNS: dict[str, Callable[[LayerNode], Any]] = {
    "path": lambda node: node.path,
    "name": lambda node: node.name,
    "class": lambda node: node.class_name,
    "module": lambda node: node.module,
    "registered_name": lambda node: node.registered_name,
    "role": lambda node: node.role.value,
    "depth": lambda node: node.depth,
    "index": lambda node: node.index,
    "output_shape": lambda node: _shape(node.output_shape),
    "input_shape": lambda node: _shape(node.input_shape),
    "build_input_shape": lambda node: _shape(node.build_input_shape),
    "params": lambda node: node.total_params,
    "trainable_params": lambda node: node.trainable_params,
    "non_trainable_params": lambda node: node.non_trainable_params,
    "weights": lambda node: len(node.weights),
    "config": lambda node: _config_json(node.config),
    "config_error": lambda node: node.config_error,
    "macs": lambda node: node.macs,
    "flops": lambda node: node.flops,
    "weight_bytes": lambda node: node.weight_bytes,
    "activation_bytes": lambda node: node.activation_bytes,
    # The layer's weights' values, read with --values (all its own weights together).
    **{key: _value(key) for key in ("min", "max", "mean", "std", "nan", "inf", "zeros")},
}
VALUE_COLUMNS = ("min", "max", "mean", "std", "nan", "inf", "zeros")
DEFAULT_COLUMNS = ["path", "class", "role", "output_shape", "params"]
# Columns of whole numbers, which a DataFrame holds as nullable integers.
INTEGER_COLUMNS = {
    "depth",
    "index",
    "params",
    "trainable_params",
    "non_trainable_params",
    "weights",
    "macs",
    "flops",
    "weight_bytes",
    "activation_bytes",
    "nan",
    "inf",
    "zeros",
}


def config_value(config: Any, key: str) -> Any:
    """The value at a dotted key (`kernel_initializer.class_name`), or None when absent."""
    value = config
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def cell(value: Any) -> Any:
    """A config value as one table cell: scalars as they are, structures as compact JSON."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, separators=(",", ":"))


def rows(
    report: ModelReport, columns: list[str] | None = None, keys: list[str] | None = None
) -> list[dict[str, Any]]:
    """A dict per layer (the root excluded): the named columns, then each config key."""
    chosen = columns or DEFAULT_COLUMNS
    unknown = [name for name in chosen if name not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}; choose from {', '.join(COLUMNS)}")
    table = []
    for node in report.layers:
        row = {name: COLUMNS[name](node) for name in chosen}
        for key in keys or []:
            row[key] = cell(config_value(node.config, key))
        table.append(row)
    return table
