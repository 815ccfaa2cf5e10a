"""SavedModel directories: `keras_metadata.pb`, `saved_model.pb` and the variables index.

A Keras SavedModel (tf_keras `save_format="tf"`) keeps one JSON document per
Keras object in `keras_metadata.pb` (`SavedMetadata { repeated SavedObject
nodes = 1 }`): the root's holds the whole model config, and every tracked layer
has its own, including the sublayers a custom layer created. Each document
names its object's node in `saved_model.pb`'s object graph, which says which
variables the layer holds; the checkpoint index gives their dtypes and shapes.

A SavedModel without Keras metadata (Keras 3 `model.export()`,
`tf.saved_model.save`, TF Serving's numbered version folders) has no layers to
show: its report is the root, with the serving signatures and the variables.

Every file is decoded with `protobuf` from messages declared by field number
(no TensorFlow), and the variables' data shards are never opened.

Recognised by its files: `saved_model.pb` or `keras_metadata.pb` in the folder,
or in the highest of TF Serving's numbered version folders, or either file named
on its own. Keras 3's `load_model` reads none of it (`TFSMLayer` does); tf_keras's
does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kerascope.addressing import expand, loading_generation
from kerascope.addressing.object_graph import ObjectGraph, attach_layer_variables
from kerascope.decoders.bundle_values import VARIABLES, bundle_locations
from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.line_endings import converted, inserted_crs, remove_inserted_crs, repair_protobuf
from kerascope.decoders.protobuf import METADATA_FILE, saved_metadata_nodes
from kerascope.decoders.saved_model_proto import (
    SAVED_MODEL_FILE,
    GraphBudget,
    SavedModelInfo,
    saved_model_info,
)
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_bundle import BundleIndex, read_bundle_index
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Format, Role
from kerascope.readers.config import build_tree, chain_stored_shapes, node_facts
from kerascope.readers.graph_ops import WATCHED_OPS, unsafe_op_findings
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.savedmodel_export import read_export

WHAT = "a SavedModel"
KIND = Kind.SAVEDMODEL
NAMED = SAVEDMODEL_FILES = (METADATA_FILE, SAVED_MODEL_FILE)
PAIRS_WITH_CONFIG = False
INDEX_FILE = "variables/variables.index"
T = TypeVar("T")
_LAYER_IDENTIFIERS = {
    "_tf_keras_layer": Role.SUBLAYER,
    "_tf_keras_rnn_layer": Role.SUBLAYER,
    "_tf_keras_input_layer": Role.INPUT,
    "_tf_keras_network": Role.MODEL,
    "_tf_keras_sequential": Role.MODEL,
    "_tf_keras_model": Role.MODEL,
}


def match(probe: Probe) -> bool:
    if not probe.is_dir:
        return probe.label in SAVEDMODEL_FILES
    return savedmodel_folder(probe.source) is not None


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
    given = source if source.is_dir() else source.parent()
    folder = savedmodel_folder(given)
    if folder is None:
        raise KerascopeError(f"no {SAVED_MODEL_FILE} or {METADATA_FILE} here or in a numbered version folder")
    findings: list[Finding] = []
    data = _read(folder, METADATA_FILE, limits.max_member_bytes)
    nodes = _decoded(data, METADATA_FILE, saved_metadata_nodes, findings) if data is not None else None
    # Without Keras metadata the graph is all there is: a damaged one is an error.
    optional = nodes is not None
    data = _read(folder, SAVED_MODEL_FILE, limits.max_protobuf_bytes, "max_protobuf_bytes")
    graph = (
        _decoded(data, SAVED_MODEL_FILE, _graph_of(limits), findings, optional) if data is not None else None
    )
    data = _read(folder, INDEX_FILE, limits.max_member_bytes)
    bundle = _decoded(data, INDEX_FILE, _bundle_of(limits), findings, optional) if data is not None else None
    findings += unsafe_op_findings(graph.watched) if graph is not None else []
    if nodes is not None:
        return _read_keras(folder, nodes, graph, bundle, findings, limits)
    if graph is None:
        raise KerascopeError(f"SavedModel directory without {SAVED_MODEL_FILE}")
    return read_export(folder, given.label, graph, bundle, findings, limits)


def savedmodel_folder(source: Source) -> Source | None:
    """The folder holding a SavedModel's files: `source` itself, or, in TF Serving's
    layout, the highest of its numbered version folders that holds one, the version
    TF Serving serves."""
    if _holds_savedmodel(source):
        return source
    versions = [
        name
        for name in source.listing()
        if name.isascii()
        and name.isdigit()
        and source.is_dir(name)
        and _holds_savedmodel(source.within(name))
    ]
    return source.within(max(versions, key=int)) if versions else None


def _holds_savedmodel(folder: Source) -> bool:
    return any(folder.is_file(name) for name in SAVEDMODEL_FILES)


def _graph_of(limits: Limits) -> Callable[[bytes], SavedModelInfo]:
    return lambda data: saved_model_info(data, limits, WATCHED_OPS)


def _bundle_of(limits: Limits) -> Callable[[bytes], BundleIndex]:
    return lambda data: read_bundle_index(data, limits, INDEX_FILE)


def _decoded(
    data: bytes, name: str, decode: Callable[[bytes], T], findings: list[Finding], optional: bool = False
) -> T | None:
    """`decode(data)`; when that fails on bytes whose line endings were converted
    (git's CRLF to LF, or LF to CRLF on the way to Windows), the decoding of a
    repaired copy, with a FILE_REPAIRED finding. A file that cannot be repaired is
    an error, or, when `optional`, a finding that leaves what it holds unknown."""
    try:
        return decode(data)
    except KerascopeError as error:
        if converted(data):
            direction, repaired = "CRLF to LF", repair_protobuf(data) if name != INDEX_FILE else None
        elif inserted_crs(data):
            direction, repaired = "LF to CRLF", remove_inserted_crs(data)
        else:
            raise
        failure = error
    if repaired is not None:
        try:
            value = decode(repaired)
        except KerascopeError:
            pass
        else:
            change = len(repaired) - len(data)
            what = (
                f"the {change:,} lost CRs put back" if change > 0 else f"the {-change:,} added CRs taken out"
            )
            findings.append(
                finding(
                    Code.FILE_REPAIRED,
                    None,
                    f"{name} had its line endings converted ({direction}, as git or a text-mode copy does); "
                    f"read from a copy with {what}",
                )
            )
            return value
    message = f"{name} had its line endings converted ({direction}) and cannot be repaired ({failure})"
    if not optional:
        raise KerascopeError(message)
    findings.append(
        finding(
            Code.FILE_REPAIRED,
            None,
            f"{message}: what it holds is left out (the report's variables, signatures or ops are unknown)",
        )
    )
    return None


def _read(folder: Source, name: str, most: int, field: str = "max_member_bytes") -> bytes | None:
    return folder.read(name, most, field) if folder.is_file(name) else None


def _read_keras(
    folder: Source,
    nodes: list[tuple[int, str, str, str]],
    graph: SavedModelInfo | None,
    bundle: BundleIndex | None,
    findings: list[Finding],
    limits: Limits,
) -> ModelReport:
    documents: dict[str, tuple[int, str, Any]] = {}
    for node_id, node_path, identifier, text in nodes:
        if identifier in _LAYER_IDENTIFIERS:
            document = load_json(text, f"{METADATA_FILE} node {node_path}", limits)
            documents[node_path] = (node_id, identifier, document)
    if "root" not in documents or not isinstance(documents["root"][2], dict):
        raise KerascopeError(f"{METADATA_FILE} has no Keras root object")
    root_document = documents["root"][2]
    tree = build_tree(_serialized(root_document), folder.label, limits)
    limits.check_layers(len(tree) + len(documents))
    layers = _place_documents(tree, documents)
    expand(tree, loading_generation(root_document.get("keras_version"), False).keras3)
    if graph is not None and graph.nodes and bundle is not None:
        disagreement = _disagreement(documents, graph)
        if disagreement:
            findings.append(finding(Code.WEIGHTS_MISMATCH, None, disagreement))
        else:
            objects = ObjectGraph(graph.nodes, GraphBudget(limits), limits.max_member_bytes)
            locations = bundle_locations(folder, VARIABLES, bundle)
            findings += attach_layer_variables(tree, layers, objects, bundle, locations)
    return tree.report(
        folder.name,
        Format.SAVEDMODEL,
        keras_version=text_or_none(root_document.get("keras_version")),
        backend=text_or_none(root_document.get("backend")),
        findings=findings,
        signatures=graph.signatures_json() if graph is not None else None,
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


def _place_documents(tree: LayerTree, documents: dict[str, tuple[int, str, Any]]) -> dict[int, LayerNode]:
    """Match each metadata document to a layer of the tree, adding the layers no
    config lists; return the layers by object-graph node id.

    Object paths (`root.layer-1.inner`) name each object's parent; parents come
    before children when the paths are sorted by depth. A parent that is not a
    layer (a list a custom layer holds: `root.layer-1.blocks.0`) stands for the
    nearest layer above it. A layer the config lists takes its build shape from its
    document (the config does not hold it), and a Sequential's shapes chain from those."""
    placed: dict[str, LayerNode] = {"root": tree.root}
    layers = {documents["root"][0]: tree.root}
    taken = {tree.root.path}
    for node_path in sorted(documents, key=lambda p: (p.count("."), p)):
        if node_path == "root":
            continue
        node_id, identifier, document = documents[node_path]
        parent = _nearest_placed(placed, node_path)
        if parent is None or not isinstance(document, dict) or not isinstance(document.get("name"), str):
            continue
        name = document["name"]
        node = next((n for n in tree.children_named(parent, name) if n.path not in taken), None)
        if node is None:
            facts = node_facts(_serialized(document), listed=False)
            facts["role"] = _LAYER_IDENTIFIERS[identifier]
            if facts["config"] is None:
                facts["config_error"] = "not stored in the file"
            node = tree.add(parent, name, **facts)
        elif node.build_input_shape is None:
            node.build_input_shape = document.get("build_input_shape")
        taken.add(node.path)
        placed[node_path] = node
        layers.setdefault(node_id, node)
    chain_stored_shapes(tree)
    return layers


def _nearest_placed(placed: dict[str, LayerNode], node_path: str) -> LayerNode | None:
    parent = node_path.rpartition(".")[0]
    while parent and parent not in placed:
        parent = parent.rpartition(".")[0]
    return placed.get(parent)


def _disagreement(documents: dict[str, tuple[int, str, Any]], graph: SavedModelInfo) -> str | None:
    """Why keras_metadata.pb and saved_model.pb cannot be of the same save, if they cannot."""
    for node_path, (node_id, identifier, _) in documents.items():
        if not 0 <= node_id < len(graph.nodes) or graph.nodes[node_id].identifier != identifier:
            return (
                f"{METADATA_FILE} puts {node_path} ({identifier}) at object {node_id}, which {SAVED_MODEL_FILE} "
                "does not hold: the two files are not of one save, so no variables are attached"
            )
    return None
