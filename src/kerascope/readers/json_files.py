"""JSON files: `model.to_json()` output (sometimes double-encoded, a JSON string
holding JSON), TensorFlow.js layers models (`modelTopology`, with a
`weightsManifest` naming each weight's shape and dtype), and the index of Keras 3
sharded weights (`model.weights.json`: a `weight_map` naming the shard holding
each layer's variables)."""

from __future__ import annotations

import math
from contextlib import ExitStack
from typing import IO, Any

from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import Finding, ModelReport, WeightInfo
from kerascope.model.vocabulary import Format
from kerascope.readers import scoped_weights
from kerascope.readers.config import build_tree
from kerascope.readers.keras_saved import read_weights
from kerascope.readers.weight_stores import sharded_store


def read_json_file(source: Source, limits: Limits, config: Source | None = None) -> ModelReport:
    with source.open() as stream:
        data = stream.read(limits.max_json_bytes + 1)
    if len(data) > limits.max_json_bytes:
        raise LimitExceeded(f"over the {limits.max_json_bytes:,}-byte JSON limit", "max_json_bytes")
    value = load_json(data, "the file", limits, unwrap_string=True)
    if isinstance(value, dict) and isinstance(value.get("weight_map"), dict):
        return _sharded(source, data, limits, config)
    if config is not None:
        raise KerascopeError("a config pairs only with a weights file (.weights.h5, .weights.json or .npz)")
    if isinstance(value, dict) and isinstance(value.get("modelTopology"), dict):
        return _tfjs(source, value, limits)
    if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), (dict, list)):
        return build_tree(value, source.stem, limits).report(
            source.name,
            Format.JSON,
            keras_version=text_or_none(value.get("keras_version")),
            backend=text_or_none(value.get("backend")),
        )
    raise KerascopeError(
        "JSON, but not a Keras model: no class_name and config (model.to_json), no modelTopology "
        "(TensorFlow.js), and no weight_map (sharded weights)"
    )


def _sharded(source: Source, data: bytes, limits: Limits, config: Source | None) -> ModelReport:
    """A sharded weights index: its shards are the files it names beside it."""
    findings: list[Finding] = []
    with ExitStack() as opened:

        def open_shard(name: str) -> IO[bytes] | None:
            shard = source.sibling(name)
            return opened.enter_context(shard.open()) if shard.is_file() else None

        store = sharded_store(data, source.label, open_shard, limits, findings)
        return read_weights(source, store, limits, findings, config)


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


def _tfjs(source: Source, document: dict[str, Any], limits: Limits) -> ModelReport:
    topology = document["modelTopology"]
    model = topology.get("model_config", topology)
    if not isinstance(model, dict) or not isinstance(model.get("config"), (dict, list)):
        raise KerascopeError("modelTopology holds no model config")
    tree = build_tree(model, source.stem, limits)
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
        source.name,
        Format.TFJS,
        training_config=topology.get("training_config") or document.get("trainingConfig"),
        keras_version=text_or_none(topology.get("keras_version")),
        backend=text_or_none(topology.get("backend")),
    )
