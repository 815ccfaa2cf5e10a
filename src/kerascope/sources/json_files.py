"""JSON architecture files: `model.to_json()` output (sometimes double-encoded,
a JSON string holding JSON) and TensorFlow.js layers models (`modelTopology`,
with a `weightsManifest` naming each weight's shape and dtype)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.report import ModelReport, WeightInfo
from kerascope.sources.config_tree import build_tree
from kerascope.sources.json_text import load_json, text_or_none
from kerascope.sources.limits import LimitExceeded, Limits
from kerascope.sources.scoped_weights import ScopedPlacer

FORMAT_ARCHITECTURE = "json"
FORMAT_TFJS = "tfjs"


def read_json_file(path: Path, limits: Limits) -> ModelReport:
    with path.open("rb") as stream:
        data = stream.read(limits.max_json_bytes + 1)
    if len(data) > limits.max_json_bytes:
        raise LimitExceeded(f"over the {limits.max_json_bytes:,}-byte JSON limit")
    value = load_json(data, "the file", limits, unwrap_string=True)
    if isinstance(value, dict) and isinstance(value.get("modelTopology"), dict):
        return _tfjs(path, value, limits)
    if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), (dict, list)):
        return ModelReport(
            nodes=build_tree(value, root_name=path.stem, limits=limits),
            source=str(path),
            format=FORMAT_ARCHITECTURE,
            keras_version=text_or_none(value.get("keras_version")),
            backend=text_or_none(value.get("backend")),
        )
    raise KerascopeError(
        "JSON, but not a Keras model: no class_name and config (model.to_json) and no modelTopology (TensorFlow.js)"
    )


def _tfjs(path: Path, document: dict[str, Any], limits: Limits) -> ModelReport:
    topology = document["modelTopology"]
    model = topology.get("model_config", topology)
    if not isinstance(model, dict) or not isinstance(model.get("config"), (dict, list)):
        raise KerascopeError("modelTopology holds no model config")
    nodes = build_tree(model, root_name=path.stem, limits=limits)
    placer = ScopedPlacer(nodes, limits)
    manifest = document.get("weightsManifest")
    weighed = isinstance(manifest, list)
    for group in manifest if weighed else []:
        for entry in (group.get("weights") if isinstance(group, dict) else None) or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                shape = entry.get("shape") if isinstance(entry.get("shape"), list) else []
                placer.place(
                    nodes[0],
                    WeightInfo(name=entry["name"], shape=shape, dtype=text_or_none(entry.get("dtype"))),
                )
    return ModelReport(
        nodes=placer.ordered(weighed=weighed),
        source=str(path),
        format=FORMAT_TFJS,
        keras_version=text_or_none(topology.get("keras_version")),
        backend=text_or_none(topology.get("backend")),
    )
