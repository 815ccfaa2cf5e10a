"""What recognising a model looks at, each fact found once and kept for the read.

Every format's `match` asks a `Probe` rather than the source: the file's first
bytes, whether it is HDF5 or a zip, its name's ending, a folder's listing, a
folder's `config.json` parsed. Each fact is found the first time a `match` asks,
so trying every format costs one look at the input, and the reader that wins
reads on from what the probe already holds (the parsed `config.json`, the
listing) instead of reading it again.

A zip is recognised as Keras's `load_model` recognises one, by
`zipfile.is_zipfile` (the end-of-archive record, wherever the archive starts),
whenever that can change what is read or what is said of it: a `.keras` name
(Keras reads such a zip whatever else the bytes are), or, for a read that looks
for polyglots, HDF5 bytes (a file can be both). Looking costs up to 64 KiB at the
file's end, which a remote file fetches; `scan`'s walk, which only asks what each
input is read as, does not look there.
"""

from __future__ import annotations

import zipfile
from functools import cached_property
from typing import IO, Any

from kerascope.decoders.json_text import load_json
from kerascope.decoders.line_endings import HDF5_CONVERTED_SIGNATURE, converted_hdf5_error
from kerascope.decoders.source import Source
from kerascope.limits import Limits
from kerascope.model.vocabulary import Vocabulary
from kerascope.readers.members import CONFIG_FILE, METADATA_FILE, FolderMembers, optional_json

HEAD_BYTES = 4096
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# HDF5 puts its signature at 0, or after a user block at 512, 1024, 2048, ...
_LAST_USER_BLOCK = 1 << 20
_JSON_STARTS = (b"{", b"[", b'"')


class Kind(Vocabulary):
    """What an input is on disk, before any reader looks inside (`scan`'s catalog column)."""

    ZIP = "zip"
    HDF5 = "hdf5"
    SAVEDMODEL = "savedmodel"
    JSON = "json"
    CONFIG_FOLDER = "config-folder"
    ORBAX = "orbax-checkpoint"
    PICKLE = "pickle"


class Probe:
    """The facts about one input that recognition needs, each found once."""

    def __init__(self, source: Source, limits: Limits, polyglots: bool = True) -> None:
        self.source, self.limits, self.polyglots = source, limits, polyglots

    # -- any input -------------------------------------------------------------
    @cached_property
    def is_dir(self) -> bool:
        return self.source.is_dir()

    @cached_property
    def label(self) -> str:
        return self.source.label

    def named(self, *endings: str) -> bool:
        """Whether the input's name ends in one of `endings`, compared as Keras's loaders
        compare (`str(filepath).endswith(".keras")`: case and all)."""
        return self.label.endswith(endings)

    # -- a file ----------------------------------------------------------------
    @cached_property
    def _start(self) -> tuple[bytes, bool]:
        """The file's first bytes, and whether it is HDF5, found in one opening."""
        if self.is_dir:
            return b"", False
        with self.source.open() as stream:
            head = stream.read(HEAD_BYTES)
            hdf5 = _has_hdf5_signature(stream, head)
        if head.startswith(HDF5_CONVERTED_SIGNATURE):
            raise converted_hdf5_error()
        return head, hdf5

    @property
    def head(self) -> bytes:
        """The file's first bytes (nothing for a folder)."""
        return self._start[0]

    @property
    def hdf5(self) -> bool:
        """HDF5 bytes: the signature at the start or after a user block."""
        return self._start[1]

    @cached_property
    def zip(self) -> bool:
        """A zip archive: one from its first byte, or one `zipfile.is_zipfile` finds
        from its end, looked for where a name or HDF5 bytes make it matter."""
        if self.head.startswith(ZIP_SIGNATURES):
            return True
        if not self.head or not (self.named(".keras") or (self.polyglots and self.hdf5)):
            return False
        with self.source.open() as stream:
            return zipfile.is_zipfile(stream)

    @cached_property
    def json(self) -> bool:
        """JSON text, by its first character (after a byte-order mark and blanks)."""
        return self.head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in _JSON_STARTS

    # -- a folder --------------------------------------------------------------
    @cached_property
    def names(self) -> frozenset[str]:
        """The folder's entries (none for a file)."""
        return frozenset(self.source.listing()) if self.is_dir else frozenset()

    def has_file(self, name: str) -> bool:
        return name in self.names and self.source.is_file(name)

    def has_folder(self, name: str) -> bool:
        return name in self.names and self.source.is_dir(name)

    @cached_property
    def members(self) -> FolderMembers:
        """The folder's files, for the readers of Keras's saving format."""
        return FolderMembers(self.source, self.limits)

    @cached_property
    def config(self) -> Any:
        """The folder's `config.json`, parsed once; None when it has none."""
        if not self.has_file(CONFIG_FILE):
            return None
        return load_json(self.members.read(CONFIG_FILE), CONFIG_FILE, self.limits)

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """The folder's `metadata.json` beside its `config.json`, or {}."""
        return optional_json(self.members, METADATA_FILE, self.limits)


def _has_hdf5_signature(stream: IO[bytes], head: bytes) -> bool:
    if head.startswith(HDF5_SIGNATURE):
        return True
    size = stream.seek(0, 2)
    offset = 512
    while offset + 8 <= min(size, _LAST_USER_BLOCK + 8):
        stream.seek(offset)
        if stream.read(8) == HDF5_SIGNATURE:
            return True
        offset *= 2
    return False
