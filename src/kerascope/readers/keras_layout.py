"""Keras 3's own saving layout, wherever its files are.

`model.save("m.keras")` writes `config.json`, `metadata.json` and the weights
(`model.weights.h5`; `model.weights.npz` or a sharded `model.weights.json` index
from some savers) into a zip. The same files appear extracted into a folder,
inside a KerasHub preset, or a weights file alone (`save_weights`), which
`--config` pairs with the architecture it was saved from, as `load_weights` would.
The formats that hold them (`formats/keras_archive.py`, `keras_folder.py`,
`keras_hub_preset.py`, `hdf5.py`, `json_document.py`) read them here, through
`Members` (`members.py`); weights are read as metadata only.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from kerascope.addressing import (
    LATEST_KERAS_3,
    Generation,
    Line,
    attach,
    expand,
    generation_of,
    loading_generation,
)
from kerascope.addressing.prediction import check_saving_lib, refusal, store_view
from kerascope.addressing.saving_lib import ROOT_EXTRAS, Grow, Naming
from kerascope.addressing.slots import config_variables
from kerascope.addressing.structure import Expansion
from kerascope.decoders.json_text import text_or_none
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.families import Sublayer
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Role
from kerascope.readers.config import build_tree, grow_model
from kerascope.readers.members import (
    CONFIG_FILE,
    METADATA_FILE,
    Members,
    ZipMembers,
    optional_json,
    serialized_object,
)
from kerascope.readers.probe import Probe
from kerascope.readers.weight_stores import (
    UnreadableWeights,
    WeightStore,
    nested,
    npz_store,
    open_h5_store,
    sharded_store,
)

WEIGHTS_STEM = "model.weights"
NO_CONFIG = "not stored in the file: a weights-only file has no configs"


def read_saved(
    members: Members,
    source: Source,
    format: Format,
    limits: Limits,
    findings: list[Finding],
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ModelReport:
    """`config.json` grown into the layer tree, completed from the weights beside it;
    `config` and `metadata` are those files already parsed, where they were."""
    if metadata is None:
        metadata = optional_json(members, METADATA_FILE, limits)
    if config is None:
        config = serialized_object(members.read(CONFIG_FILE), CONFIG_FILE, limits)
    tree = build_tree(config, None, limits)
    version = text_or_none(metadata.get("keras_version"))
    with ExitStack() as opened:
        tree.sum_params(
            unknown=attach_saved_weights(
                tree,
                members,
                WEIGHTS_STEM,
                tree.root,
                opened,
                limits,
                findings,
                version,
            )
        )
    return tree.report(
        source.name,
        format,
        keras_version=version,
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
    keras_version: str | None,
) -> set[str]:
    """Complete the subtree at `at` from the weights saved as `stem.*`, as the Keras
    that wrote them (`keras_version`, where the files state it) named them, with the
    sublayers that the Keras loading them creates (Keras 3: only it reads this
    layout, TF-Keras 2.13's files included); the paths whose parameters are unknown (all of the subtree's when there are no
    weights, or none that can be read)."""
    made = expand(tree, loading_generation(keras_version, True).keras3, at)
    try:
        store = weights_in(members, stem, opened, limits, findings)
    except UnreadableWeights:
        store = None
    if store is None:
        return {
            node.path for node in tree.nodes() if node.path == at.path or node.path.startswith(at.path + "/")
        }
    saver = generation_of(keras_version)
    return attach_checked(tree, store, at, made, findings, Naming(saver=saver), saver or LATEST_KERAS_3)


def attach_checked(
    tree: LayerTree,
    store: WeightStore,
    at: LayerNode,
    made: Expansion,
    findings: list[Finding],
    naming: Naming,
    loader: Generation,
) -> set[str]:
    """Attach `store` below `at` as `naming` names its groups, and say, in a
    WEIGHTS_MISMATCH finding, when the Keras `loader` would refuse these weights
    for this config (as far as the config alone says what each layer holds); the
    paths whose parameters are unknown."""
    found = attach(tree, store, naming.saver, at, made.made, naming, grower(loader.keras3))
    held = config_variables(at, tree.children, made.made, loader.keras3)
    expected = {
        path: None if own is None else [(name, shape) for name, shape, _ in own] for path, own in held.items()
    }
    view = store_view(store, "", ROOT_EXTRAS)
    outcome = check_saving_lib(at, tree.children, made.made, expected, found.groups, view, loader)
    message = refusal(outcome, loader)
    if message is not None:
        findings.append(finding(Code.WEIGHTS_MISMATCH, at.path or None, message))
    return found.unknown


def weights_in(
    members: Members, stem: str, opened: ExitStack, limits: Limits, findings: list[Finding]
) -> WeightStore | None:
    """The weights saved as `stem.h5`, `stem.json` (+ shards) or `stem.npz`, if any;
    the streams they read stay open until `opened` closes. Each store knows the file it
    reads (`members.stored`), for its weights' values and the names a load check gives."""
    h5, index, npz = f"{stem}.h5", f"{stem}.json", f"{stem}.npz"
    if h5 in members.names:
        stream = opened.enter_context(members.open(h5))
        try:
            return nested(open_h5_store(stream, limits, findings, members.stored(h5)))
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
                members.stored,
            )
        )
    if npz in members.names:
        return nested(
            npz_store(opened.enter_context(members.open(npz)), limits, findings, npz, members.stored(npz))
        )
    return None


def read_weights(
    source: Source, store: WeightStore, limits: Limits, findings: list[Finding], config: Source | None
) -> ModelReport:
    """A Keras 3 weights file alone: the layer tree from its attribute paths, every
    class unknown; with `config`, the tree that config describes, completed and
    checked against the weights as `model.load_weights` would see them."""
    store = nested(store)
    facts: dict[str, Any] = {}
    made = Expansion()
    naming = Naming(saver=_saver_of(store))
    loader = LATEST_KERAS_3
    if config is not None:
        serialized, keras_version = paired_config(config, limits)
        tree = build_tree(serialized, None, limits)
        loader = loading_generation(keras_version, True)
        made = expand(tree, loader.keras3)
        naming = Naming(loader=loader, weighted=_weighted(tree, made))
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
    tree.sum_params(unknown=attach_checked(tree, store, tree.root, made, findings, naming, loader))
    return tree.report(source.name, Format.KERAS_WEIGHTS, findings=findings, **facts)


def grower(keras3: bool) -> Grow:
    """How a model that only a parent's config serializes is grown when the weights
    show it: its config's layers, and the sublayers Keras's classes create in them."""

    def grow(tree: LayerTree, model: LayerNode) -> dict[str, Sublayer]:
        grow_model(tree, model)
        return expand(tree, keras3, model).made

    return grow


def _weighted(tree: LayerTree, made: Expansion) -> Callable[[LayerNode], bool]:
    """Whether a layer holds variables, itself or below, as its config says (a layer
    of a class that is not Keras's own is taken to hold some)."""
    held = config_variables(tree.root, tree.children, made.made)

    def weighted(node: LayerNode) -> bool:
        stack = [node]
        while stack:
            current = stack.pop()
            own = held.get(current.path)
            if own is None or own:
                return True
            stack.extend(tree.children(current))
        return False

    return weighted


def _saver_of(store: WeightStore) -> Generation | None:
    """A weights file alone states no version: what its layout shows (Keras >= 3.6
    names its groups), else nothing."""
    return Generation(Line.KERAS_3, (3, 6, 0)) if store.layer_name("vars") is not None else None


def paired_config(config: Source, limits: Limits) -> tuple[dict[str, Any], str | None]:
    """The serialized model a `--config` names (a `.keras`, an extracted folder, a
    `config.json` or a `model.to_json()` file), and the Keras version it states."""
    probe = Probe(config, limits)
    try:
        if probe.is_dir and probe.has_file(CONFIG_FILE):
            return _config_of(probe.members, limits)
        if probe.zip:
            with config.open() as stream:
                return _config_of(ZipMembers(stream, zipfile.ZipFile(stream), limits, []), limits)
        if probe.json:
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
