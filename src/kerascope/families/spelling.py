"""Which registry key a stored layer answers to, and its config in today's spelling.

Keras 1 wrote `Convolution2D(nb_filter=, nb_row=, nb_col=, border_mode=,
subsample=, dim_ordering='th')` and `Dense(output_dim=)`; Keras 2 and 3 write
`Conv2D(filters=, kernel_size=, padding=, strides=, data_format=)` and
`Dense(units=)`. Rules read the Keras 2/3 spelling only; this module turns the
older one into it: class names from each record's `older_names`, argument
names and data-format values from the tables below (read by `diff` too).

A layer answers to a key only when the file says it is Keras's own class: a
Keras 3 file names the module (`keras.layers`, `keras.src.ops.numpy`) and gives
custom classes a `registered_name` with a package (`my_package>Block`); Keras 1
and 2 files name only the class. A custom class never borrows a built-in's rules.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from kerascope.families.call import Call
from kerascope.families.dims import Shape
from kerascope.families.registry import current_name, known

if TYPE_CHECKING:
    from kerascope.model.records import LayerNode

# Keras 1 argument names (any layer) and their Keras 2/3 equivalents.
KEY_RENAMES = {
    "nb_filter": "filters",
    "subsample": "strides",
    "subsample_length": "strides",
    "border_mode": "padding",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "output_dim": "units",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "dim_ordering": "data_format",
    "atrous_rate": "dilation_rate",
    "pool_length": "pool_size",
    "stride": "strides",
    "filter_length": "kernel_size",
    "batch_input_shape": "batch_shape",
    "input_dtype": "dtype",
    "p": "rate",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
}

# Keras 1 `dim_ordering` values.
DATA_FORMATS = {"tf": "channels_last", "th": "channels_first"}

# Module prefixes of Keras's own classes, and the key prefix for each kind.
OP_PREFIX, APPLICATION_PREFIX = "op:", "app:"
_OP_MODULES = ("keras.src.ops", "keras.ops")
_APPLICATION_MODULES = ("keras.src.applications", "keras.applications")
_LAYER_MODULES = ("keras.layers", "keras.src.layers", "keras.src.models", "keras.models", "keras")
# Where Keras's own layer and model classes live: Keras 3's `keras.src.models.functional`,
# tf.keras 2.13's `keras.src.engine.functional`, and their public packages.
_LAYER_PACKAGES = (
    "keras.layers.",
    "keras.src.layers.",
    "keras.models.",
    "keras.src.models.",
    "keras.engine.",
    "keras.src.engine.",
    "tf_keras.layers.",
    "tf_keras.src.layers.",
    "tf_keras.src.engine.",
)


def rule_key(node: LayerNode) -> str | None:
    """The registry key for `node`'s class, or None for a custom class."""
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
    name = current_name(class_name)
    if not isinstance(module, str):
        return name  # Keras 1/2 files name no module: the class name is all there is
    if module.startswith(_OP_MODULES):
        return f"{OP_PREFIX}{name}"
    if module.startswith(_APPLICATION_MODULES):
        return f"{APPLICATION_PREFIX}{name}"
    if module in _LAYER_MODULES or module.startswith(_LAYER_PACKAGES):
        return name
    return None


def canonical_config(key: str, config: Any) -> dict[str, Any]:
    """`config` with Keras 1 argument names and values in Keras 2/3 spelling."""
    if not isinstance(config, dict):
        return {}
    if not _is_keras1(config):
        return config
    found = known(key)
    keeps = found.keeps_arguments if found is not None else frozenset()
    out: dict[str, Any] = {}
    for name, value in config.items():
        if name in keeps:
            out[name] = value
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


def inner_call(serialized: Any, inputs: list[Shape], outer: Call) -> Call | None:
    """The call of a layer serialized inside another's config (a wrapper's `layer`,
    an RNN's `cell`), with the outer call's keyword arguments and Keras generation."""
    if not isinstance(serialized, dict) or not isinstance(serialized.get("config"), dict):
        return None
    key = key_of(serialized.get("class_name"), serialized.get("module"), serialized.get("registered_name"))
    if key is None:
        return None
    return Call(key, canonical_config(key, serialized["config"]), inputs, outer.kwargs, outer.keras3)
