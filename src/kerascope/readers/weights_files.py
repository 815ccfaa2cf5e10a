"""The two sides of a load: what a weights file holds, and what an architecture says.

Keras's `load_weights` (and `load_model`, on a file whose own weights meet its own
config) reads the weights as the file's kind decides (`saving_api.load_weights`
dispatches by name): a `.keras` archive's `model.weights.h5`, a `.weights.h5`, a
`.weights.json` index and its shards, a KerasHub preset's `model.weights.h5` (or
its shards) through `saving_lib`; a legacy `.h5`/`.hdf5` through the legacy HDF5
loader. The architecture is a serialized model: a `.keras` archive's or a folder's
`config.json`, a `model.to_json()` file, a legacy `.h5` full model's
`model_config`, a KerasHub preset's `config.json`. Where the architecture's own
file holds weights too, they show what its custom layers hold and how many
variables its optimizer has.
"""

from __future__ import annotations

import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from kerascope.addressing.stores import WeightStore
from kerascope.decoders.hdf5 import H5Index, open_file
from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_values import StoredFile
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.records import Finding
from kerascope.readers.formats.hdf5 import LegacyFile, is_keras3_weights, legacy_file
from kerascope.readers.keras_layout import WEIGHTS_STEM, weights_in
from kerascope.readers.members import CONFIG_FILE, METADATA_FILE, Members, ZipMembers, optional_json
from kerascope.readers.probe import Probe
from kerascope.readers.weight_stores import H5Store, nested, sharded_store

# What `load_weights` reads, named as the loader names it.
KERAS_ARCHIVE, FOLDER, WEIGHTS_H5, SHARDED, LEGACY = (
    "a .keras archive",
    "a saved model folder",
    "a .weights.h5 file",
    "a .weights.json index and its shards",
    "a legacy HDF5 file",
)


@dataclass
class WeightsFile:
    """What a weights file holds, as Keras's loader for it reads it: a `saving_lib`
    store (with the label its datasets' locations start with), or a legacy HDF5 file."""

    kind: str
    label: str
    store: WeightStore | None = None
    legacy: LegacyFile | None = None
    keras_version: str | None = None
    config: dict[str, Any] | None = None  # its own model config, where it holds one
    npz: bool = False  # Keras's npz weights (`NpzIOStore`): pickled dicts no Keras can load
    training_config: bool = False  # a legacy full model that stores how it was compiled


def open_weights(source: Source, limits: Limits, opened: ExitStack, findings: list[Finding]) -> WeightsFile:
    """The weights `source` holds; the streams it reads stay open until `opened` closes."""
    probe = Probe(source, limits)
    if probe.is_dir:
        members: Members = probe.members
        return _saved(members, FOLDER, "", probe.config, probe.metadata, opened, limits, findings)
    if probe.zip:
        stream = opened.enter_context(source.open())
        members = ZipMembers(stream, zipfile.ZipFile(stream), limits, findings, StoredFile(source))
        config = (
            load_json(members.read(CONFIG_FILE), CONFIG_FILE, limits)
            if CONFIG_FILE in members.names
            else None
        )
        metadata = optional_json(members, METADATA_FILE, limits)
        return _saved(members, KERAS_ARCHIVE, f"{source.label}/", config, metadata, opened, limits, findings)
    if probe.hdf5:
        stream = opened.enter_context(source.open())
        index = H5Index(open_file(stream, limits), limits, findings)
        if is_keras3_weights(index):
            return WeightsFile(WEIGHTS_H5, source.label, nested(H5Store(index, StoredFile(source))))
        held = legacy_file(index, limits, StoredFile(source))
        return WeightsFile(
            LEGACY, source.label, legacy=held, keras_version=held.keras_version, config=held.config
        )
    if probe.json:
        data = source.read("", limits.max_json_bytes, "max_json_bytes")

        def open_shard(name: str) -> Any:
            shard = source.sibling(name)
            return opened.enter_context(shard.open()) if shard.is_file() else None

        store = sharded_store(
            data, source.label, open_shard, limits, findings, lambda name: StoredFile(source.sibling(name))
        )
        return WeightsFile(SHARDED, "", nested(store))
    raise KerascopeError(
        f"{source.name}: not a weights file Keras loads (a .keras archive or folder, a .weights.h5, a "
        ".weights.json index, a legacy .h5, or a KerasHub preset)"
    )


def _saved(
    members: Members,
    kind: str,
    label: str,
    config: Any,
    metadata: dict[str, Any],
    opened: ExitStack,
    limits: Limits,
    findings: list[Finding],
) -> WeightsFile:
    store = weights_in(members, WEIGHTS_STEM, opened, limits, findings)
    if store is None:
        raise KerascopeError(f"{kind} without {WEIGHTS_STEM}.h5 or {WEIGHTS_STEM}.json: no weights to load")
    own = config if isinstance(config, dict) and isinstance(config.get("config"), (dict, list)) else None
    npz = f"{WEIGHTS_STEM}.h5" not in members.names and f"{WEIGHTS_STEM}.npz" in members.names
    version = text_or_none(metadata.get("keras_version"))
    return WeightsFile(kind, f"{label}{WEIGHTS_STEM}.h5", store, None, version, own, npz)
