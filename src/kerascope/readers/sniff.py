"""What kind of file a path holds, judged by its bytes, never by its name.

A `.keras` name on HDF5 content is common, and `.h5` files are sometimes zips.
"""

from __future__ import annotations

from pathlib import Path

from kerascope.model.vocabulary import Vocabulary


class Kind(Vocabulary):
    """What a file's bytes are, before any reader looks inside."""

    ZIP = "zip"
    HDF5 = "hdf5"
    SAVEDMODEL = "savedmodel"
    JSON = "json"


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
SAVEDMODEL_FILES = ("keras_metadata.pb", "saved_model.pb")


def sniff(path: Path) -> Kind | None:
    """The kind of `path`'s content, or None when it is none of them."""
    if path.is_dir():
        return Kind.SAVEDMODEL if savedmodel_directory(path) is not None else None
    if path.name in SAVEDMODEL_FILES:
        return Kind.SAVEDMODEL
    with path.open("rb") as stream:
        head = stream.read(4096)
        if head.startswith(_ZIP_SIGNATURES):
            return Kind.ZIP
        if _has_hdf5_signature(stream, head):
            return Kind.HDF5
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"[", b'"'):
        return Kind.JSON
    return None


def savedmodel_directory(path: Path) -> Path | None:
    """The folder holding a SavedModel's files: `path` itself (or the folder of a
    `saved_model.pb` named directly), or, in TF Serving's layout, the highest of
    its numbered version folders that holds one, the version TF Serving serves."""
    folder = path if path.is_dir() else path.parent
    if _holds_savedmodel(folder):
        return folder
    versions = [
        entry
        for entry in folder.iterdir()
        if entry.name.isascii() and entry.name.isdigit() and entry.is_dir() and _holds_savedmodel(entry)
    ]
    return max(versions, key=lambda entry: int(entry.name)) if versions else None


def _holds_savedmodel(folder: Path) -> bool:
    return any((folder / name).is_file() for name in SAVEDMODEL_FILES)


def _has_hdf5_signature(stream, head: bytes) -> bool:
    """HDF5 puts its signature at 0, or after a user block at 512, 1024, 2048, ..."""
    if head.startswith(_HDF5_SIGNATURE):
        return True
    offset = 512
    while offset <= 1 << 20:
        stream.seek(offset)
        if stream.read(8) == _HDF5_SIGNATURE:
            return True
        offset *= 2
    return False
