"""What kind of model a file or folder holds, judged by its content, never by its name.

A `.keras` name on HDF5 content is common, and `.h5` files are sometimes zips. A
folder is a model by the files in it: a SavedModel (`saved_model.pb`,
`keras_metadata.pb`, or a numbered version folder holding one), or a folder with
a `config.json` (an extracted `.keras`, a KerasHub preset, a Transformers or timm
checkpoint: `readers/folders.py` tells them apart by what `config.json` says).
"""

from __future__ import annotations

from kerascope.decoders.line_endings import HDF5_CONVERTED_SIGNATURE, converted_hdf5_error
from kerascope.decoders.source import Source
from kerascope.model.vocabulary import Vocabulary


class Kind(Vocabulary):
    """What a file's bytes or a folder's files are, before any reader looks inside."""

    ZIP = "zip"
    HDF5 = "hdf5"
    SAVEDMODEL = "savedmodel"
    JSON = "json"
    CONFIG_FOLDER = "config-folder"


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
SAVEDMODEL_FILES = ("keras_metadata.pb", "saved_model.pb")
CONFIG_FILE = "config.json"


def sniff(source: Source) -> Kind | None:
    """The kind of `source`'s content, or None when it is none of them."""
    if source.is_dir():
        if savedmodel_folder(source) is not None:
            return Kind.SAVEDMODEL
        return Kind.CONFIG_FOLDER if source.is_file(CONFIG_FILE) else None
    if source.label in SAVEDMODEL_FILES:
        return Kind.SAVEDMODEL
    with source.open() as stream:
        head = stream.read(4096)
        if head.startswith(_ZIP_SIGNATURES):
            return Kind.ZIP
        if _has_hdf5_signature(stream, head):
            return Kind.HDF5
        if head.startswith(HDF5_CONVERTED_SIGNATURE):
            raise converted_hdf5_error()
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"[", b'"'):
        return Kind.JSON
    return None


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


def _has_hdf5_signature(stream, head: bytes) -> bool:
    """HDF5 puts its signature at 0, or after a user block at 512, 1024, 2048, ..."""
    if head.startswith(_HDF5_SIGNATURE):
        return True
    size = stream.seek(0, 2)
    offset = 512
    while offset + 8 <= min(size, (1 << 20) + 8):
        stream.seek(offset)
        if stream.read(8) == _HDF5_SIGNATURE:
            return True
        offset *= 2
    return False
