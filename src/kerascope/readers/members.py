"""The files of a saved model by name, and the small JSON documents beside a model.

Keras 3's saving format keeps the same files (`config.json`, `metadata.json`,
the weights) in a zip or extracted into a folder; a KerasHub preset keeps them in
a folder. Each place is a `Members` (names, and bytes or a stream by name), so
every reader that reads those files serves every place they can be.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from typing import IO, Any, Protocol

from kerascope.decoders.json_text import load_json
from kerascope.decoders.source import Source
from kerascope.decoders.zip_members import open_member, read_member
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding
from kerascope.model.vocabulary import Code

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"


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


def serialized_object(data: bytes, what: str, limits: Limits, unwrap: bool = False) -> dict[str, Any]:
    """A JSON document holding one serialized Keras object (`class_name`, `config`)."""
    return as_serialized_object(load_json(data, what, limits, unwrap_string=unwrap), what)


def as_serialized_object(value: Any, what: str) -> dict[str, Any]:
    """`value` when it is a serialized Keras object, else the file is refused."""
    if not is_serialized_object(value):
        raise KerascopeError(f"{what} does not hold a serialized Keras object")
    return value


def is_serialized_object(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("config"), (dict, list))


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
