"""SavedModel directories, read through `keras_metadata.pb` alone.

The metadata file is a small protobuf (`SavedMetadata { repeated SavedObject
nodes = 1 }`) whose nodes carry one JSON document per Keras object: the root's
holds the whole model config, and every tracked layer has its own, including
the sublayers a custom layer created, with their classes and configs. It is
decoded with `protobuf` from a message definition declared here, so neither
TensorFlow nor the 70 kB `saved_model.pb` graph is needed. Variables live in a
TensorFlow checkpoint that is not read: parameter counts are unknown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Format, Role
from kerascope.readers._io.json_text import load_json, text_or_none
from kerascope.readers._io.protobuf import METADATA_FILE, saved_metadata_nodes
from kerascope.readers.config import build_tree, node_facts

_LAYER_IDENTIFIERS = {
    "_tf_keras_layer": Role.SUBLAYER,
    "_tf_keras_rnn_layer": Role.SUBLAYER,
    "_tf_keras_input_layer": Role.INPUT,
    "_tf_keras_network": Role.MODEL,
    "_tf_keras_sequential": Role.MODEL,
    "_tf_keras_model": Role.MODEL,
}


def read_savedmodel(path: Path, limits: Limits) -> ModelReport:
    directory = path if path.is_dir() else path.parent
    metadata_path = directory / METADATA_FILE
    if not metadata_path.is_file():
        raise KerascopeError(
            f"SavedModel directory without {METADATA_FILE}: written by TensorFlow before 2.5 or not by Keras"
        )
    size = metadata_path.stat().st_size
    if size > limits.max_member_bytes:
        raise LimitExceeded(
            f"{METADATA_FILE} is {size:,} bytes, over the {limits.max_member_bytes:,}-byte limit"
        )
    objects = saved_metadata_nodes(metadata_path.read_bytes())
    documents = {}
    for node_path, identifier, metadata in objects:
        if identifier in _LAYER_IDENTIFIERS:
            documents[node_path] = (
                identifier,
                load_json(metadata, f"{METADATA_FILE} node {node_path}", limits),
            )
    if "root" not in documents or not isinstance(documents["root"][1], dict):
        raise KerascopeError(f"{METADATA_FILE} has no Keras root object")
    root_document = documents["root"][1]
    tree = build_tree(_serialized(root_document), directory.name, limits)
    limits.check_layers(len(tree) + len(documents))
    _add_tracked_sublayers(tree, documents)
    return tree.report(
        str(directory),
        Format.SAVEDMODEL,
        keras_version=text_or_none(root_document.get("keras_version")),
        backend=text_or_none(root_document.get("backend")),
        training_config=root_document.get("training_config"),
    )


def _serialized(document: dict[str, Any]) -> dict[str, Any]:
    """A node's metadata as the `{"class_name", "config"}` shape every reader builds from."""
    config = document.get("config")
    if not isinstance(config, (dict, list)):
        config = None
    build = document.get("build_input_shape")
    return {
        "class_name": document.get("class_name"),
        "config": config,
        "name": document.get("name"),
        "build_config": {"input_shape": build} if build is not None else None,
    }


def _add_tracked_sublayers(tree: LayerTree, documents: dict[str, tuple[str, Any]]) -> None:
    """Layers the metadata tracks below layers whose configs do not list them.

    Object paths (`root.layer-1.inner`) name each object's parent; parents come
    before children when the paths are sorted by depth."""
    report_path = {"root": ""}
    for node_path in sorted(documents, key=lambda p: (p.count("."), p)):
        if node_path == "root":
            continue
        parent_object = node_path.rpartition(".")[0]
        parent_path = report_path.get(parent_object)
        identifier, document = documents[node_path]
        if parent_path is None or not isinstance(document, dict) or not isinstance(document.get("name"), str):
            continue
        parent = tree[parent_path]
        existing = tree.child(parent, document["name"])
        if existing is None:
            facts = node_facts(_serialized(document), listed=False)
            facts["role"] = _LAYER_IDENTIFIERS[identifier]
            if facts["config"] is None:
                facts["config_error"] = "not stored in the file"
            existing = tree.add(parent, document["name"], **facts)
        report_path[node_path] = existing.path
