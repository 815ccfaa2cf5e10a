"""One spelling for configs that Keras 1, 2 and 3 write differently.

The same architecture saved by tf_keras 2 and by Keras 3 stores different
configs: `batch_input_shape` vs `batch_shape`, `"float32"` vs a `DTypePolicy`
object, serialized objects with or without `module`/`registered_name`, keys
present as null vs absent; Keras 1 even names classes and arguments differently
(`Convolution2D`, `nb_filter`, `nb_row`). Comparing through this module makes
those differences disappear while every real change survives.
"""

from __future__ import annotations

from typing import Any

from kerascope.families.registry import current_name
from kerascope.families.spelling import DATA_FORMATS, KEY_RENAMES

# Values Keras writes or leaves out depending on version, meaning the same either way.
# Values a config may omit or state alike; normalizing drops them, and a diff shows them again.
DEFAULTS = {"trainable": True, "dtype": "float32"}
# Keys one Keras version stores and another derives: a model's `build_input_shape`
# (its InputLayer holds the shape), Bidirectional's `backward_layer` (Keras 2 writes
# it only when given; Keras 3 always).
_DERIVED_KEYS = {"build_input_shape", "backward_layer"}
# Recurrent-layer arguments that exist in one Keras version only.
_VERSION_ONLY_KEYS = {"implementation", "time_major", "zero_output_for_mask"}
_SERIALIZATION_KEYS = {"module", "registered_name", "shared_object_id", "build_config", "compile_config"}
# Packages whose modules are spelled differently by each version (`keras.layers`,
# `keras.src.layers.core.dense`, none at all in Keras 2): one spelling, none.
_KERAS_MODULES = {"keras", "tf_keras"}
# Keys a non-input layer may carry that are the model's input shape, which Keras 3
# keeps on the InputLayer instead: the same fact stored in another place.
INPUT_SHAPE_KEYS = {"batch_shape", "batch_input_shape", "input_shape", "input_dim", "batch_size"}
_POLICY_CLASSES = {"DTypePolicy", "Policy", "DTypePolicyV2", "FloatDTypePolicy"}


def normalize_class(class_name: str | None) -> str | None:
    return current_name(class_name) if class_name else class_name


def normalize_module(module: str | None) -> str | None:
    """Keras's own modules folded to none (Keras 2 files store none); any other
    package's module kept whole, so a class that moves out of Keras shows."""
    if not isinstance(module, str) or module.split(".")[0] in _KERAS_MODULES:
        return None
    return module


def normalize_registered_name(registered_name: str | None, class_name: str | None) -> str | None:
    """A registered name that only repeats the class (Keras's own) folded to none."""
    return None if registered_name in (None, class_name) else registered_name


def normalize_config(config: Any) -> Any:
    """`config` in one spelling; a new object, the input is not changed."""
    if isinstance(config, dict):
        return _normalize_dict(config)
    if isinstance(config, list):
        return [normalize_config(item) for item in config]
    return config


def _normalize_dict(config: dict[str, Any]) -> Any:
    if _is_dtype_policy(config):
        return _policy_name(config)
    if "class_name" in config and "config" in config:  # a serialized object
        inner = normalize_config(config["config"])
        if isinstance(inner, dict):  # a wrapped layer's name is the wrapper's business (forward_lstm vs lstm)
            inner.pop("name", None)
        identity = {
            "module": normalize_module(config.get("module")),
            "registered_name": normalize_registered_name(
                config.get("registered_name"), config.get("class_name")
            ),
        }
        return {
            "class_name": normalize_class(config["class_name"]),
            "config": inner,
            **{key: value for key, value in identity.items() if value is not None},
            **{
                key: normalize_config(value)
                for key, value in config.items()
                if key not in _SERIALIZATION_KEYS
                and key not in ("class_name", "config")
                and value is not None
            },
        }
    out: dict[str, Any] = {}
    rows, columns = config.get("nb_row"), config.get("nb_col")
    for key, value in config.items():
        if (
            value is None
            or key in ("nb_row", "nb_col", "nb_depth")
            or key in _DERIVED_KEYS | _VERSION_ONLY_KEYS
        ):
            continue
        key = KEY_RENAMES.get(key, key)
        value = normalize_config(value)
        if key in DEFAULTS and value == DEFAULTS[key]:
            continue
        if key == "data_format" and isinstance(value, str):
            value = DATA_FORMATS.get(value, value)
        if key in ("kernel_initializer", "recurrent_initializer") and isinstance(value, str):
            value = {"class_name": _camel(value), "config": {}}
        out.setdefault(key, value)
    if rows is not None and columns is not None:
        out.setdefault("kernel_size", [rows, columns])
    return out


def _is_dtype_policy(value: dict[str, Any]) -> bool:
    return value.get("class_name") in _POLICY_CLASSES and isinstance(value.get("config"), dict)


def _policy_name(policy: dict[str, Any]) -> Any:
    return policy["config"].get("name")


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))
