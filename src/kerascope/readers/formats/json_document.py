"""JSON files: `model.to_json()` output (sometimes double-encoded, a JSON string
holding JSON), TensorFlow.js layers models (`modelTopology`, with a
`weightsManifest` naming each weight's shape and dtype), and the index of Keras 3
sharded weights (`model.weights.json`: a `weight_map` naming the shard holding
each layer's variables).

One format to recognise: a file of JSON text. Which of the three it is, the keys
of the one parsed document say, the way each loader that reads it would find out
(`model_from_json`, TensorFlow.js, `load_weights` on a `.weights.json`)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import IO, Any

from kerascope.addressing import expand, loading_generation, place_named
from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_values import IndexedLocation, StoredFile, TensorIndex
from kerascope.decoders.tfjs_values import manifest_locations
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import Finding, ModelReport, WeightInfo
from kerascope.model.vocabulary import Format
from kerascope.readers.config import build_tree
from kerascope.readers.keras_layout import read_weights
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.stored import weight_shape
from kerascope.readers.weight_stores import sharded_store

WHAT = "a JSON document"
KIND = Kind.JSON
NAMED = (".json",)
PAIRS_WITH_CONFIG = True


def match(probe: Probe) -> bool:
    return not probe.is_dir and probe.json


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
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
        tree = build_tree(value, source.stem, limits)
        keras_version = text_or_none(value.get("keras_version"))
        expand(tree, loading_generation(keras_version, _keras3_config(value)).keras3)
        return tree.report(
            source.name,
            Format.JSON,
            keras_version=keras_version,
            backend=text_or_none(value.get("backend")),
        )
    raise KerascopeError(
        "JSON, but not a Keras model: no class_name and config (model.to_json), no modelTopology "
        "(TensorFlow.js), and no weight_map (sharded weights)"
    )


def _keras3_config(value: dict[str, Any]) -> bool:
    """A Keras 3 `to_json()` names each object's module; Keras 1 and 2 never did."""
    return "module" in value and "registered_name" in value


def _sharded(source: Source, data: bytes, limits: Limits, config: Source | None) -> ModelReport:
    """A sharded weights index: its shards are the files it names beside it."""
    findings: list[Finding] = []
    with ExitStack() as opened:

        def open_shard(name: str) -> IO[bytes] | None:
            shard = source.sibling(name)
            return opened.enter_context(shard.open()) if shard.is_file() else None

        store = sharded_store(
            data, source.label, open_shard, limits, findings, lambda name: StoredFile(source.sibling(name))
        )
        return read_weights(source, store, limits, findings, config)


def _tfjs(source: Source, document: dict[str, Any], limits: Limits) -> ModelReport:
    topology = document["modelTopology"]
    model = topology.get("model_config", topology)
    if not isinstance(model, dict) or not isinstance(model.get("config"), (dict, list)):
        raise KerascopeError("modelTopology holds no model config")
    tree = build_tree(model, source.stem, limits)
    keras_version = text_or_none(topology.get("keras_version"))
    keras3 = loading_generation(keras_version, False).keras3
    made = expand(tree, keras3).made
    manifest = document.get("weightsManifest")
    weighed = isinstance(manifest, list)
    # Where each weight's values are: its shards' sizes are looked at only when asked for.
    shards = TensorIndex(lambda limits: manifest_locations(source.parent(), manifest, limits))
    weights = []
    for group in manifest if weighed else []:
        for entry in (group.get("weights") if isinstance(group, dict) else None) or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                shape = weight_shape(entry.get("shape", []), f"weightsManifest weight {entry['name']!r}")
                dtype = text_or_none(entry.get("dtype"))
                location = IndexedLocation(entry["name"], tuple(shape), dtype or "", shards)
                weights.append(WeightInfo(name=entry["name"], shape=shape, dtype=dtype, location=location))
    # TensorFlow.js loads a weight into the variable of its name (tfjs-layers `loadWeights`).
    if weighed:
        place_named(tree, tree.root, weights, made, keras3)
        tree.sum_params()
    return tree.report(
        source.name,
        Format.TFJS,
        training_config=topology.get("training_config") or document.get("trainingConfig"),
        keras_version=keras_version,
        backend=text_or_none(topology.get("backend")),
    )
