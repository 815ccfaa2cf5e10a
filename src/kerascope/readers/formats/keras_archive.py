"""A Keras 3 archive: the zip `model.save("m.keras")` writes, or an `.npz` of weights alone.

The archive holds `config.json`, `metadata.json` and the weights
(`model.weights.h5`, `.npz` or a sharded `.json`), read by Keras's own layout
(`keras_layout.py`) through a window onto each member, never inflated whole.
`saving_lib`'s `NpzIOStore` writes the same weights as an `np.savez` archive,
which `--config` pairs with the model it was saved from.

Recognised as Keras recognises it: a `.keras` name on a zip is read as a zip
(`zipfile.is_zipfile`, from the archive's end), whatever else the bytes are.
"""

from __future__ import annotations

import zipfile

from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.model.records import Finding, ModelReport
from kerascope.model.vocabulary import Format
from kerascope.readers.keras_layout import read_saved, read_weights
from kerascope.readers.members import CONFIG_FILE, ZipMembers
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.weight_stores import npz_store

WHAT = "a zip archive"
KIND = Kind.ZIP
NAMED = (".keras",)
PAIRS_WITH_CONFIG = True


def match(probe: Probe) -> bool:
    return not probe.is_dir and probe.zip


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
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
