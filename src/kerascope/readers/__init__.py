"""Static readers: a saved model read as data, without TensorFlow or Keras.

`read_path` sniffs the content, picks the reader, and turns every failure into
one `KerascopeError` line naming the file and what is wrong with it. No reader
imports, unpickles, unmarshals, evaluates or calls anything a file names.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from kerascope.errors import KerascopeError
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.model.paths import one_line
from kerascope.model.records import ModelReport
from kerascope.readers.sniff import Kind, sniff

# What the parsers (zipfile, pyfive, json, protobuf) raise on malformed bytes. RuntimeError
# covers RecursionError and pyfive's NotImplementedError; pyfive also asserts what it
# expects of a structure and computes with the numbers it finds (ArithmeticError).
_MALFORMED = (
    OSError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    RuntimeError,
    AssertionError,
    ArithmeticError,
    EOFError,
    struct.error,
    zlib.error,
)


def read_path(path: Path, limits: Limits = DEFAULT_LIMITS) -> ModelReport:
    """The report of a saved model, read statically."""
    if not path.exists():
        what = "a link to nothing" if path.is_symlink() else "no such file or directory"
        raise KerascopeError(f"{path}: {what}")
    try:
        kind = sniff(path)
        if kind is None:
            raise KerascopeError(
                "not a Keras model file (neither zip, HDF5, JSON nor a SavedModel directory)"
            )
        return _read(kind, path, limits)
    except KerascopeError as error:
        raise KerascopeError(f"{path}: {error}") from error
    except zipfile.BadZipFile as error:
        raise KerascopeError(f"{path}: corrupt zip archive ({one_line(str(error))})") from error
    except MemoryError:
        raise KerascopeError(f"{path}: ran out of memory reading it") from None
    except _MALFORMED as error:
        raise KerascopeError(
            f"{path}: unreadable ({type(error).__name__}: {one_line(str(error))})"
        ) from error


def _read(kind: Kind, path: Path, limits: Limits) -> ModelReport:
    if kind == Kind.ZIP:
        from kerascope.readers.keras_archive import read_keras_archive

        return read_keras_archive(path, limits)
    if kind == Kind.HDF5:
        from kerascope.readers.legacy_h5 import read_legacy_h5

        return read_legacy_h5(path, limits)
    if kind == Kind.SAVEDMODEL:
        from kerascope.readers.savedmodel import read_savedmodel

        return read_savedmodel(path, limits)
    from kerascope.readers.json_files import read_json_file

    return read_json_file(path, limits)
