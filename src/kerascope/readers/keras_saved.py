"""Keras 3's own saving format, wherever its files are.

`model.save("m.keras")` writes `config.json`, `metadata.json` and the weights
(`model.weights.h5`; `model.weights.npz` or a sharded `model.weights.json` index
from some savers) into a zip. The same files appear extracted into a folder,
inside a KerasHub preset, or a weights file alone (`save_weights`), which
`--config` pairs with the architecture it was saved from, as `load_weights` would.
Each place is a `Members` (names, and bytes or a stream by name), so one reader
serves them all.

A zip member is read in place through a window onto the archive; a remote file
is read by range requests (`decoders/source.py`); weights are read as metadata only.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from contextlib import ExitStack
from typing import IO, Any, Protocol

from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.source import Source
from kerascope.decoders.zip_members import open_member, read_member
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Role
from kerascope.readers.config import build_tree
from kerascope.readers.keras_weights import attach_weights, merge_weights
from kerascope.readers.weight_stores import (
    UnreadableWeights,
    WeightStore,
    nested,
    npz_store,
    open_h5_store,
    sharded_store,
)

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_STEM = "model.weights"
NO_CONFIG = "not stored in the file: a weights-only file has no configs"


class Members(Protocol):
    """The files of a saved model, by name: a zip's members or a folder's files."""

    names: set[str]

    def read(self, name: str) -> bytes: ...

    def open(self, name: str) -> IO[bytes]: ...


class ZipMembers:
    def __init__(
        self, stream: IO[bytes], archive: zipfile.ZipFile, limits: Limits, findings: list[Finding]
    ) -> None:
        self._stream, self._archive, self._limits = stream, archive, limits
        self._infos = _zip_infos(archive, findings)
        self.names = set(self._infos)

    def read(self, name: str) -> bytes:
        return read_member(self._archive, self._infos[name], self._limits)

    def open(self, name: str) -> IO[bytes]:
        return open_member(self._stream, self._archive, self._infos[name], self._limits)


class FolderMembers:
    def __init__(self, source: Source, limits: Limits) -> None:
        self._source, self._limits = source, limits
        self.names = {name for name in source.listing() if source.is_file(name)}

    def read(self, name: str) -> bytes:
        return self._source.read(name, self._limits.max_member_bytes)

    def open(self, name: str) -> IO[bytes]:
        return self._source.open(name)


def read_zip(source: Source, limits: Limits, config: Source | None = None) -> ModelReport:
    """A `.keras` archive, or an `.npz` of weights alone."""
    findings: list[Finding] = []
    with source.open() as stream:
        archive = zipfile.ZipFile(stream)
        members = ZipMembers(stream, archive, limits, findings)
        if members.names and all(name.endswith(".npy") for name in members.names):
            store = npz_store(stream, limits, findings, source.label)
            return read_weights(source, store, limits, findings, config)
        if config is not None:
            raise KerascopeError(
                "a config pairs only with a weights file (.weights.h5, .weights.json or .npz)"
            )
        if CONFIG_FILE not in members.names:
            shown = ", ".join(sorted(members.names)[:8]) or "none"
            raise KerascopeError(
                f"zip archive without config.json (members: {shown}); not a Keras model archive"
            )
        return read_saved(members, source, Format.KERAS, limits, findings)


def read_saved(
    members: Members, source: Source, format: Format, limits: Limits, findings: list[Finding]
) -> ModelReport:
    """`config.json` grown into the layer tree, completed from the weights beside it."""
    metadata = optional_json(members, METADATA_FILE, limits)
    config = serialized_object(members.read(CONFIG_FILE), CONFIG_FILE, limits)
    tree = build_tree(config, None, limits)
    with ExitStack() as opened:
        tree.sum_params(
            unknown=attach_saved_weights(tree, members, WEIGHTS_STEM, tree.root, opened, limits, findings)
        )
    return tree.report(
        source.name,
        format,
        keras_version=text_or_none(metadata.get("keras_version")),
        date_saved=text_or_none(metadata.get("date_saved")),
        training_config=config.get("compile_config") or None,
        findings=findings,
    )


def attach_saved_weights(
    tree: LayerTree,
    members: Members,
    stem: str,
    at: LayerNode,
    opened: ExitStack,
    limits: Limits,
    findings: list[Finding],
) -> set[str]:
    """Complete the subtree at `at` from the weights saved as `stem.*`; the paths
    whose parameters are unknown (all of the subtree's when there are no weights,
    or none that can be read)."""
    try:
        store = weights_in(members, stem, opened, limits, findings)
    except UnreadableWeights:
        store = None
    if store is None:
        return {
            node.path for node in tree.nodes() if node.path == at.path or node.path.startswith(at.path + "/")
        }
    return attach_weights(tree, store, findings, at)


def weights_in(
    members: Members, stem: str, opened: ExitStack, limits: Limits, findings: list[Finding]
) -> WeightStore | None:
    """The weights saved as `stem.h5`, `stem.json` (+ shards) or `stem.npz`, if any;
    the streams they read stay open until `opened` closes."""
    h5, index, npz = f"{stem}.h5", f"{stem}.json", f"{stem}.npz"
    if h5 in members.names:
        stream = opened.enter_context(members.open(h5))
        try:
            return nested(open_h5_store(stream, limits, findings))
        except KerascopeError as error:
            raise KerascopeError(f"{h5} is not a readable HDF5 file ({error})") from None
    if index in members.names:
        return nested(
            sharded_store(
                members.read(index),
                index,
                lambda shard: opened.enter_context(members.open(shard)) if shard in members.names else None,
                limits,
                findings,
            )
        )
    if npz in members.names:
        return nested(npz_store(opened.enter_context(members.open(npz)), limits, findings, npz))
    return None


def read_weights(
    source: Source, store: WeightStore, limits: Limits, findings: list[Finding], config: Source | None
) -> ModelReport:
    """A Keras 3 weights file alone: the layer tree from its attribute paths, every
    class unknown; with `config`, the tree that config describes, completed and
    checked against the weights as `model.load_weights` would see them."""
    store = nested(store)
    facts: dict[str, Any] = {}
    if config is not None:
        serialized, keras_version = paired_config(config, limits)
        tree = build_tree(serialized, None, limits)
        facts = {"keras_version": keras_version, "metadata": {"config": config.name}}
    else:
        stored = store.layer_name("vars")
        root = LayerNode(
            path="",
            name=stored or source.stem.removesuffix(".weights"),
            class_name=None,
            role=Role.MODEL,
            config_error=NO_CONFIG,
            origin={} if stored else {Fact.NAME: Origin.FILE_NAME},
        )
        tree = LayerTree(root, limits)
    merge_weights(tree, store, findings)
    return tree.report(source.name, Format.KERAS_WEIGHTS, findings=findings, **facts)


def paired_config(config: Source, limits: Limits) -> tuple[dict[str, Any], str | None]:
    """The serialized model a `--config` names (a `.keras`, an extracted folder, a
    `config.json` or a `model.to_json()` file), and the Keras version it states."""
    from kerascope.readers.sniff import Kind, sniff

    kind = sniff(config)
    try:
        if kind == Kind.ZIP:
            with config.open() as stream:
                members: Members = ZipMembers(stream, zipfile.ZipFile(stream), limits, [])
                return _config_of(members, limits)
        if kind == Kind.CONFIG_FOLDER:
            return _config_of(FolderMembers(config, limits), limits)
        if kind == Kind.JSON:
            document = serialized_object(
                config.read("", limits.max_json_bytes, "max_json_bytes"), config.label, limits, unwrap=True
            )
            return document, text_or_none(document.get("keras_version"))
    except KerascopeError as error:
        raise KerascopeError(f"the config {config.name}: {error}") from None
    raise KerascopeError(
        f"the config {config.name} is not a .keras file, a folder with a config.json, or a model.to_json() file"
    )


def _config_of(members: Members, limits: Limits) -> tuple[dict[str, Any], str | None]:
    if CONFIG_FILE not in members.names:
        raise KerascopeError("no config.json in it")
    metadata = optional_json(members, METADATA_FILE, limits)
    return serialized_object(members.read(CONFIG_FILE), CONFIG_FILE, limits), text_or_none(
        metadata.get("keras_version")
    )


def serialized_object(data: bytes, what: str, limits: Limits, unwrap: bool = False) -> dict[str, Any]:
    """A JSON document holding one serialized Keras object (`class_name`, `config`)."""
    value = load_json(data, what, limits, unwrap_string=unwrap)
    if not isinstance(value, dict) or not isinstance(value.get("config"), (dict, list)):
        raise KerascopeError(f"{what} does not hold a serialized Keras object")
    return value


def optional_json(members: Members, name: str, limits: Limits) -> dict[str, Any]:
    """A small JSON object beside the model (metadata), or {} when it is absent."""
    if name not in members.names:
        return {}
    value = load_json(members.read(name), name, limits)
    return value if isinstance(value, dict) else {}


def _zip_infos(archive: zipfile.ZipFile, findings: list[Finding]) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    counts = Counter(info.filename for info in infos)
    for name, count in counts.items():
        if count > 1:
            findings.append(
                finding(
                    Code.ZIP_DUPLICATE_MEMBER,
                    None,
                    f"the archive holds {count} members named {name}; readers may disagree on which counts",
                )
            )
    # Python's zipfile reads the last of duplicate names; so does kerascope, and says so above.
    return {info.filename: info for info in infos}
