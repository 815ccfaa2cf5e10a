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

from functools import lru_cache
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.report import LayerNode, ModelReport
from kerascope.sources.config_tree import build_tree
from kerascope.sources.json_text import load_json, text_or_none
from kerascope.sources.limits import LimitExceeded, Limits
from kerascope.sources.node_tree import depth_first

FORMAT = "savedmodel"
METADATA_FILE = "keras_metadata.pb"
CONFIG = "config"

_LAYER_IDENTIFIERS = {
    "_tf_keras_layer": "sublayer",
    "_tf_keras_rnn_layer": "sublayer",
    "_tf_keras_input_layer": "input",
    "_tf_keras_network": "model",
    "_tf_keras_sequential": "model",
    "_tf_keras_model": "model",
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
    objects = _decode(metadata_path.read_bytes())
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
    nodes = build_tree(_serialized(root_document), root_name=directory.name, limits=limits)
    limits.check_layers(len(nodes) + len(documents))
    nodes = _add_tracked_sublayers(nodes, documents)
    return ModelReport(
        nodes=nodes,
        source=str(directory),
        format=FORMAT,
        keras_version=text_or_none(root_document.get("keras_version")),
        backend=text_or_none(root_document.get("backend")),
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


def _add_tracked_sublayers(nodes: list[LayerNode], documents: dict[str, tuple[str, Any]]) -> list[LayerNode]:
    """Layers the metadata tracks below layers whose configs do not list them."""
    at = {node.path: node for node in nodes}
    report_path = {"root": ""}
    for node_path in sorted(documents, key=lambda p: (p.count("."), p)):
        if node_path == "root":
            continue
        parent_object, _, _ = node_path.rpartition(".")
        parent_path = report_path.get(parent_object)
        identifier, document = documents[node_path]
        if parent_path is None or not isinstance(document, dict) or not isinstance(document.get("name"), str):
            continue
        parent = at[parent_path]
        existing = next((at[p] for p in parent.children if at[p].name == document["name"]), None)
        if existing is None:
            existing = _hidden_node(parent, document, _LAYER_IDENTIFIERS[identifier])
            at[existing.path] = existing
            parent.children.append(existing.path)
        report_path[node_path] = existing.path
    return depth_first(nodes[0], at)


def _hidden_node(parent: LayerNode, document: dict[str, Any], role: str) -> LayerNode:
    from kerascope import paths

    taken = [path.rpartition("/")[2] for path in parent.children]
    path = paths.join(parent.path, paths.SiblingNames(taken).segment(document["name"]))
    serialized = _serialized(document)
    return LayerNode(
        path=path,
        name=document["name"],
        class_name=text_or_none(serialized["class_name"]),
        role=role,
        config=serialized["config"],
        config_error=None if serialized["config"] is not None else "not stored in the file",
        build_input_shape=(serialized["build_config"] or {}).get("input_shape"),
        origin={"class": CONFIG, "config": CONFIG},
    )


def _decode(data: bytes) -> list[tuple[str, str, str]]:
    from google.protobuf.message import DecodeError

    message = _metadata_class()()
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        hint = " (its line endings may have been converted)" if b"\r" not in data and b"\n" in data else ""
        raise KerascopeError(f"{METADATA_FILE} is not a valid protobuf message{hint}: {error}") from None
    return [(node.node_path, node.identifier, node.metadata) for node in message.nodes]


@lru_cache(maxsize=1)
def _metadata_class() -> Any:
    """`SavedMetadata`, declared from its field numbers (no generated code, no TensorFlow)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="kerascope/saved_metadata.proto", package="kerascope", syntax="proto3"
    )
    saved_object = file.message_type.add(name="SavedObject")
    for number, name, kind in (
        (2, "node_id", field.TYPE_INT32),
        (3, "node_path", field.TYPE_STRING),
        (4, "identifier", field.TYPE_STRING),
        (5, "metadata", field.TYPE_STRING),
    ):
        saved_object.field.add(name=name, number=number, type=kind, label=field.LABEL_OPTIONAL)
    metadata = file.message_type.add(name="SavedMetadata")
    metadata.field.add(
        name="nodes",
        number=1,
        type=field.TYPE_MESSAGE,
        label=field.LABEL_REPEATED,
        type_name=".kerascope.SavedObject",
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kerascope.SavedMetadata"))
