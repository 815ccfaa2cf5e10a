"""Which rule a stored layer answers to, and its config in today's spelling.

Keras 1 wrote `Convolution2D(nb_filter=, nb_row=, nb_col=, border_mode=,
subsample=, dim_ordering='th')` and `Dense(output_dim=)`; Keras 2 and 3 write
`Conv2D(filters=, kernel_size=, padding=, strides=, data_format=)` and
`Dense(units=)`. Rules read the Keras 2/3 spelling only; this module turns
the older one into it, from the shared rename table.

A layer answers to a rule only when the file says it is Keras's own class: a
Keras 3 file names the module (`keras.layers`, `keras.src.ops.numpy`) and gives
custom classes a `registered_name` with a package (`my_package>Block`); Keras 1
and 2 files name only the class. A custom class never borrows a built-in's rule.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kerascope.model.records import LayerNode
from kerascope.model.spellings import CLASS_RENAMES, DATA_FORMATS, KEY_RENAMES

# Classes whose `output_dim` is still called so (it is not Keras 1's `units`).
_KEEPS_OUTPUT_DIM = {"Embedding"}
# Module prefixes of Keras's own classes, and the rule-key prefix for each family.
_OP_MODULES = ("keras.src.ops", "keras.ops")
_APPLICATION_MODULES = ("keras.src.applications", "keras.applications")
_LAYER_MODULES = ("keras.layers", "keras.src.layers", "keras.src.models", "keras.models", "keras")


def rule_key(node: LayerNode) -> str | None:
    """The registry key of the rule for `node`'s class, or None for a custom class."""
    return key_of(node.class_name, node.module, node.registered_name)


def key_of(class_name: Any, module: Any, registered_name: Any) -> str | None:
    if not isinstance(class_name, str):
        return None
    return _key(
        class_name,
        module if isinstance(module, str) else None,
        registered_name if isinstance(registered_name, str) else None,
    )


@lru_cache(maxsize=4096)
def _key(class_name: str, module: str | None, registered_name: str | None) -> str | None:
    if isinstance(registered_name, str) and ">" in registered_name:
        return None
    name = CLASS_RENAMES.get(class_name, class_name)
    if not isinstance(module, str):
        return name  # Keras 1/2 files name no module: the class name is all there is
    if module.startswith(_OP_MODULES):
        return f"op:{name}"
    if module.startswith(_APPLICATION_MODULES):
        return f"app:{name}"
    if module in _LAYER_MODULES or module.startswith(("keras.layers.", "keras.src.layers.")):
        return name
    return None


def canonical_config(key: str, config: Any) -> dict[str, Any]:
    """`config` with Keras 1 argument names and values in Keras 2/3 spelling."""
    if not isinstance(config, dict):
        return {}
    if not _is_keras1(config):
        return config
    out: dict[str, Any] = {}
    for name, value in config.items():
        if name == "output_dim" and key in _KEEPS_OUTPUT_DIM:
            out["output_dim"] = value
            continue
        renamed = KEY_RENAMES.get(name, name)
        if renamed not in out or renamed == name:
            out[renamed] = value
    if "nb_row" in config and "nb_col" in config:
        out["kernel_size"] = [config["nb_row"], config["nb_col"]]
    if all(f"kernel_dim{i}" in config for i in (1, 2, 3)):
        out["kernel_size"] = [config[f"kernel_dim{i}"] for i in (1, 2, 3)]
    if isinstance(out.get("data_format"), str):
        out["data_format"] = DATA_FORMATS.get(out["data_format"], out["data_format"])
    return out


_KERAS1_MARKERS = frozenset(
    {"nb_filter", "nb_row", "border_mode", "subsample", "subsample_length", "dim_ordering", "output_dim"}
    | {"pool_length", "filter_length", "kernel_dim1", "p", "input_dtype"}
)


def _is_keras1(config: dict[str, Any]) -> bool:
    return not _KERAS1_MARKERS.isdisjoint(config)
