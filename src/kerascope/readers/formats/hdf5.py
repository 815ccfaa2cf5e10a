"""HDF5 files: legacy full models and weights from Keras 1, 2 and 3, and Keras 3 weights.

A legacy full model keeps its config as JSON in the root attribute
`model_config`, and its weights under `model_weights`, one group per top-level
layer listed in `layer_names`, each naming its variables in `weight_names`. A
legacy weights-only file (`save_weights`) has the same layer groups at the root
and no config: its report has the structure and the weights, every class unknown.

A Keras 3 `.weights.h5` has neither: it is the attribute tree Keras 3 saves
(`layers/dense/vars/0`), read by `keras_layout.read_weights`; which of the three a
file is, its root group says, as each loader that opens it finds out.

Keras's `load_model` sends a `.h5` or `.hdf5` name to its legacy HDF5 loader
before anything else looks at the bytes (`saving_api.py`), and `load_weights` a
`.weights.h5` to Keras 3's: an HDF5 file that is also a zip is read as HDF5 under
those names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kerascope.addressing import Generation, expand, loading_generation, place_group
from kerascope.addressing.prediction import LegacyGroup, Slot, check_legacy, refusal
from kerascope.addressing.slots import legacy_slots
from kerascope.decoders.hdf5 import H5Index, attr_list, attr_text, join, open_file
from kerascope.decoders.json_text import load_json
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_values import StoredFile
from kerascope.errors import KerascopeError
from kerascope.families import Sublayer
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Format, LoadStatus, Origin, Role
from kerascope.readers.config import build_tree, configless_tree
from kerascope.readers.keras_layout import paired_config, read_weights
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.weight_stores import H5Store, located

NO_CONFIG = "not stored in the file: a weights-only file has no configs"
TOP_LEVEL_WEIGHTS = "top_level_model_weights"


WHAT = "an HDF5 file"
KIND = Kind.HDF5
NAMED = (".h5", ".hdf5")
PAIRS_WITH_CONFIG = True


def match(probe: Probe) -> bool:
    return not probe.is_dir and probe.hdf5


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
    findings: list[Finding] = []
    with source.open() as stream:
        try:
            top = open_file(stream, limits)
        except KerascopeError as error:
            raise KerascopeError(f"HDF5 signature but unreadable as HDF5 ({error})") from None
        index = H5Index(top, limits, findings)
        if is_keras3_weights(index):
            return read_weights(source, H5Store(index, StoredFile(source)), limits, findings, config)
        return _read_legacy(source, index, limits, findings, config)


def is_keras3_weights(index: H5Index) -> bool:
    """Keras 3 weights: no legacy markers, and a `vars` group at the root or in a
    group at the root (a subclassed model's attributes need not be in `layers`)."""
    stored = index.attrs("")
    if "model_config" in stored or "layer_names" in stored or "model_weights" in index.kind:
        return False
    return index.is_group("vars") or any(index.is_group(join(key, "vars")) for key in index.children(""))


@dataclass
class LegacyFile:
    """What a legacy HDF5 file holds, as Keras's legacy loader reads it: its model
    config (a full model's), its layers' groups in `layer_names` order, each with its
    weights in `weight_names` order, the model's own (`top_level_model_weights`),
    and the Keras version its weights group states."""

    config: dict[str, Any] | None
    groups: list[tuple[str, list[WeightInfo]]]
    top_level: list[WeightInfo] | None
    locations: dict[str, list[str]]  # a group's name -> the path of each of its datasets
    keras_version: str | None
    backend: str | None
    training_text: str | None


def legacy_file(index: H5Index, limits: Limits, file: StoredFile | None = None) -> LegacyFile:
    """What `index` holds; each weight knows where its values are in `file`, when given."""
    stored = index.attrs("")
    if "model_config" in stored and (size := stored.nbytes("model_config")) > limits.max_json_bytes:
        raise LimitExceeded(
            f"model_config is {size:,} bytes, over the {limits.max_json_bytes:,}-byte JSON limit",
            "max_json_bytes",
        )
    config_text = attr_text(stored, "model_config")
    if config_text is None and "model_config" in stored:
        raise KerascopeError("the model_config attribute is not text")
    weights_root = "model_weights" if "model_weights" in index.kind else ""
    if not index.is_group(weights_root):
        raise KerascopeError("model_weights is not a group")
    layer_names = attr_list(index.attrs(weights_root), "layer_names")
    if config_text is None and layer_names is None:
        raise KerascopeError(
            "HDF5 file with neither model_config nor layer_names: not a Keras model or weights file"
        )
    config = None
    if config_text is not None:
        config = load_json(config_text, "model_config", limits)
        if not isinstance(config, dict) or "config" not in config:
            raise KerascopeError("model_config does not hold a serialized Keras model")
    groups = [
        (name, _group_weights(index, name, join(weights_root, name), file))
        for name in layer_names or []
        if index.is_group(join(weights_root, name))
    ]
    locations = {
        name: [
            join(join(weights_root, name), weight_name)
            for weight_name in _weight_names(index, join(weights_root, name))
        ]
        for name, _ in groups
    }
    top_level = join(weights_root, TOP_LEVEL_WEIGHTS)
    return LegacyFile(
        config,
        groups,
        _group_weights(index, "the model", top_level, file) if index.is_group(top_level) else None,
        locations,
        attr_text(stored, "keras_version") or attr_text(index.attrs(weights_root), "keras_version"),
        attr_text(stored, "backend") or attr_text(index.attrs(weights_root), "backend"),
        attr_text(stored, "training_config"),
    )


def _read_legacy(
    source: Source, index: H5Index, limits: Limits, findings: list[Finding], config: Source | None
) -> ModelReport:
    held = legacy_file(index, limits, StoredFile(source))
    facts: dict[str, Any] = {}
    if config is not None:
        if held.config is not None:
            raise KerascopeError("a config pairs only with a weights file; this HDF5 file holds a model")
        serialized, stated = paired_config(config, limits)
        tree = build_tree(serialized, None, limits)
        facts = {"metadata": {"config": config.name}}
        keras_version = stated or held.keras_version
    elif held.config is not None:
        tree = build_tree(held.config, None, limits)
        keras_version = held.keras_version
    else:
        tree = configless_tree(source.stem, NO_CONFIG, limits)
        keras_version = held.keras_version
    loader = loading_generation(keras_version, False)
    made = expand(tree, loader.keras3).made
    if held.config is None:
        # Its own variables, if any, are in `top_level_model_weights`; its layers' in their groups.
        tree.root.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    tops = _tops(tree, held, config is not None, findings, loader, made)
    for (_, weights), top in zip(held.groups, tops, strict=True):
        if top is not None:
            place_group(tree, top, weights, made, loader.keras3)
    if held.top_level is not None:  # the model's own variables, none of its layers'
        tree.root.weights.extend(held.top_level)
        tree.root.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    tree.sum_params()
    return tree.report(
        source.name,
        Format.H5 if held.config is not None else Format.H5_WEIGHTS,
        keras_version=held.keras_version,
        backend=held.backend,
        findings=findings,
        training_config=load_json(held.training_text, "training_config", limits)
        if held.training_text
        else None,
        **facts,
    )


def _tops(
    tree: LayerTree,
    held: LegacyFile,
    paired: bool,
    findings: list[Finding],
    loader: Generation,
    made: dict[str, Sublayer],
) -> list[LayerNode | None]:
    """The layer each group's weights go to. A file's own config, or none: the layer of
    the group's name (a weights-only file's layers are known by their groups alone).
    A config paired with it: the layer Keras's topological `load_weights` gives each
    group (the model's layers holding weights, in order, with the groups holding
    weights), when Keras would load them; a WEIGHTS_MISMATCH finding when it would not."""
    if paired:
        pairing = _topological(tree, held, findings, loader, made)
        if pairing is not None:
            return pairing
    tops: list[LayerNode | None] = []
    for position, (name, _) in enumerate(held.groups):
        top = tree.child(tree.root, name)
        if top is None:
            top = tree.add_hidden(tree.root, name, role=Role.LAYER)
            if held.config is None and not paired:
                top.config_error, top.index = NO_CONFIG, position
        tops.append(top)
    return tops


def _topological(
    tree: LayerTree, held: LegacyFile, findings: list[Finding], loader: Generation, made: dict[str, Sublayer]
) -> list[LayerNode | None] | None:
    """The model layer Keras's `load_weights` loads each group into, or None (with a
    finding) where it would refuse them."""
    layers = sorted((c for c in tree.children(tree.root) if c.index is not None), key=lambda c: c.index or 0)

    def slots(layer: LayerNode) -> list[Slot] | None:
        found = legacy_slots(layer, tree.children, made, keras3=loader.keras3)
        return None if found is None else [(slot.owner.path, slot.name, slot.shape) for slot in found]

    groups = [LegacyGroup(name, weights) for name, weights in held.groups]
    outcome = check_legacy(layers, slots, groups, held.top_level, loader, by_name=False)
    message = refusal(outcome, loader)
    if message is not None:
        findings.append(finding(Code.WEIGHTS_MISMATCH, None, message))
        return None
    if any(layer.status is LoadStatus.UNKNOWN for layer in outcome.layers):
        return None
    into = {
        layer.group: tree[layer.path]
        for layer in outcome.layers
        if layer.group is not None and layer.path in tree
    }
    return [into.get(name) for name, _ in held.groups]


def _weight_names(index: H5Index, group: str) -> list[str]:
    return attr_list(index.attrs(group), "weight_names") or []


def _group_weights(index: H5Index, owner: str, group: str, file: StoredFile | None) -> list[WeightInfo]:
    """The weights a layer's group lists in `weight_names`, in that order (the order
    Keras pairs them with the layer's variables), each with where its values are."""
    found = []
    for weight_name in _weight_names(index, group):
        dataset = join(group, weight_name)
        if not index.is_dataset(dataset):
            raise KerascopeError(f"weight {weight_name!r} of layer {owner!r} is listed but not stored")
        found.append(located(index.weight(dataset, weight_name.removesuffix(":0")), index, dataset, file))
    return found
