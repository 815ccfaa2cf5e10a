"""JSON architecture files: `model.to_json()` output (sometimes double-encoded,
a JSON string holding JSON) and TensorFlow.js layers models (`modelTopology`,
with a `weightsManifest` naming each weight's shape and dtype)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import ModelReport, WeightInfo
from kerascope.model.vocabulary import Format
from kerascope.readers import scoped_weights
from kerascope.readers._io.json_text import load_json, text_or_none
from kerascope.readers.config import build_tree


def read_json_file(path: Path, limits: Limits) -> ModelReport:
    with path.open("rb") as stream:
        data = stream.read(limits.max_json_bytes + 1)
    if len(data) > limits.max_json_bytes:
        raise LimitExceeded(f"over the {limits.max_json_bytes:,}-byte JSON limit")
    value = load_json(data, "the file", limits, unwrap_string=True)
    if isinstance(value, dict) and isinstance(value.get("modelTopology"), dict):
        return _tfjs(path, value, limits)
    if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), (dict, list)):
        return build_tree(value, path.stem, limits).report(
            str(path),
            Format.JSON,
            keras_version=text_or_none(value.get("keras_version")),
            backend=text_or_none(value.get("backend")),
        )
    raise KerascopeError(
        "JSON, but not a Keras model: no class_name and config (model.to_json) and no modelTopology (TensorFlow.js)"
    )


# The most elements a stored weight may declare: 2**48, far beyond any real model's.
MAX_WEIGHT_ELEMENTS = 1 << 48


def weight_shape(value: Any, what: str) -> list[int]:
    """A weight's stored shape: a list of whole non-negative sizes whose product is
    a real tensor's, else the file is refused (it is not what any writer makes)."""
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        raise KerascopeError(f"{what} has shape {printable_repr(value)}, not a list of sizes")
    if (
        len(value) > 64
        or any(d < 0 or d > MAX_WEIGHT_ELEMENTS for d in value)
        or math.prod(value) > MAX_WEIGHT_ELEMENTS
    ):
        raise KerascopeError(f"{what} declares a shape of more than {MAX_WEIGHT_ELEMENTS:,} elements")
    return value


def printable_repr(value: Any) -> str:
    """A short repr of a value from a file, for a message (a huge number is not spelled out)."""
    if isinstance(value, list):
        text = (
            "[" + ", ".join(printable_repr(item) for item in value[:8]) + (", …]" if len(value) > 8 else "]")
        )
    elif isinstance(value, int) and value.bit_length() > 64:
        text = "<a huge number>"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _tfjs(path: Path, document: dict[str, Any], limits: Limits) -> ModelReport:
    topology = document["modelTopology"]
    model = topology.get("model_config", topology)
    if not isinstance(model, dict) or not isinstance(model.get("config"), (dict, list)):
        raise KerascopeError("modelTopology holds no model config")
    tree = build_tree(model, path.stem, limits)
    manifest = document.get("weightsManifest")
    weighed = isinstance(manifest, list)
    for group in manifest if weighed else []:
        for entry in (group.get("weights") if isinstance(group, dict) else None) or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                shape = weight_shape(entry.get("shape", []), f"weightsManifest weight {entry['name']!r}")
                scoped_weights.place(
                    tree,
                    tree.root,
                    WeightInfo(name=entry["name"], shape=shape, dtype=text_or_none(entry.get("dtype"))),
                )
    if weighed:
        tree.sum_params()
    return tree.report(
        str(path),
        Format.TFJS,
        training_config=topology.get("training_config") or document.get("trainingConfig"),
        keras_version=text_or_none(topology.get("keras_version")),
        backend=text_or_none(topology.get("backend")),
    )
