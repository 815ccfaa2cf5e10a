"""Keras 3 `.keras` archives: `metadata.json`, `config.json` and the weights.

The weights are `model.weights.h5` (read in place, metadata only) or, from some
savers, `model.weights.npz`, whose members are pickled arrays: it is never
opened, and the report says its weights are unknown.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.records import Finding, ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Format, Severity
from kerascope.readers._io.hdf5 import H5Index, open_file
from kerascope.readers._io.json_text import load_json, text_or_none
from kerascope.readers._io.zip_members import open_member, read_member
from kerascope.readers.config import build_tree
from kerascope.readers.keras_weights import merge_weights

WEIGHTS_H5 = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"


def read_keras_archive(path: Path, limits: Limits) -> ModelReport:
    findings: list[Finding] = []
    with zipfile.ZipFile(path) as archive:
        members = _members(archive, findings)
        if "config.json" not in members:
            raise KerascopeError(
                f"zip archive without config.json (members: {', '.join(sorted(members)[:8]) or 'none'}); "
                "not a Keras model archive"
            )
        metadata = _optional_json(archive, members.get("metadata.json"), limits)
        config = load_json(read_member(archive, members["config.json"], limits), "config.json", limits)
        if not isinstance(config, dict) or not isinstance(config.get("config"), (dict, list)):
            raise KerascopeError("config.json does not hold a serialized Keras object")
        tree = build_tree(config, None, limits)
        if WEIGHTS_H5 in members:
            _merge_h5(path, archive, members[WEIGHTS_H5], tree, limits, findings)
        elif WEIGHTS_NPZ in members:
            findings.append(
                Finding(
                    code=Code.NPZ_WEIGHTS,
                    severity=Severity.WARNING,
                    path=None,
                    message=f"{WEIGHTS_NPZ} holds pickled arrays; kerascope does not open it, so weights are unknown",
                    hint="loading this file unpickles data: load it only if you trust its source",
                )
            )
    return tree.report(
        str(path),
        Format.KERAS,
        keras_version=text_or_none(metadata.get("keras_version")),
        date_saved=text_or_none(metadata.get("date_saved")),
        training_config=config.get("compile_config") or None,
        findings=findings,
    )


def _members(archive: zipfile.ZipFile, findings: list[Finding]) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    counts = Counter(info.filename for info in infos)
    for name, count in counts.items():
        if count > 1:
            findings.append(
                Finding(
                    code=Code.ZIP_DUPLICATE_MEMBER,
                    severity=Severity.ERROR,
                    path=None,
                    message=f"the archive holds {count} members named {name}; readers may disagree on which counts",
                    hint="do not load this file",
                )
            )
    # Python's zipfile reads the last of duplicate names; so does kerascope, and says so above.
    return {info.filename: info for info in infos}


def _optional_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, limits: Limits) -> dict[str, Any]:
    if info is None:
        return {}
    value = load_json(read_member(archive, info, limits), info.filename, limits)
    return value if isinstance(value, dict) else {}


def _merge_h5(
    path: Path,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    tree: LayerTree,
    limits: Limits,
    findings: list[Finding],
) -> None:
    with open_member(path, archive, info, limits) as stream:
        try:
            top = open_file(stream, limits)
        except KerascopeError as error:
            raise KerascopeError(f"{WEIGHTS_H5} is not a readable HDF5 file ({error})") from None
        merge_weights(tree, H5Index(top, limits, findings))
