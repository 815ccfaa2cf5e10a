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

from kerascope.decoders.source import LocalSource, Source
from kerascope.errors import KerascopeError, one_line
from kerascope.limits import DEFAULT_LIMITS, Limits
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
    """The report of a saved model on the local disk, read statically."""
    return read(LocalSource(path), limits)


def read(source: Source, limits: Limits = DEFAULT_LIMITS, config: Source | None = None) -> ModelReport:
    """The report of a saved model, read statically from wherever `source` is;
    `config` pairs a weights-only file with the architecture it was saved from."""
    if isinstance(source, LocalSource) and not source.path.exists():
        what = "a link to nothing" if source.path.is_symlink() else "no such file or directory"
        raise KerascopeError(f"{source.name}: {what}")
    try:
        kind = sniff(source)
        if kind is None:
            raise KerascopeError(
                "not a Keras model (neither a zip, HDF5 or JSON file, a SavedModel, nor a folder with a config.json)"
            )
        report = _read(kind, source, limits, config)
        fetched = [part.fetched for part in (source, config) if part is not None and part.fetched is not None]
        if fetched:
            report.bytes_fetched = sum(fetched)
        return report
    except KerascopeError as error:
        raise KerascopeError(f"{source.name}: {error}") from error
    except zipfile.BadZipFile as error:
        raise KerascopeError(f"{source.name}: corrupt zip archive ({one_line(str(error))})") from error
    except MemoryError:
        raise KerascopeError(f"{source.name}: ran out of memory reading it") from None
    except _MALFORMED as error:
        raise KerascopeError(
            f"{source.name}: unreadable ({type(error).__name__}: {one_line(str(error))})"
        ) from error


def _read(kind: Kind, source: Source, limits: Limits, config: Source | None) -> ModelReport:
    if config is not None and kind not in (Kind.HDF5, Kind.JSON, Kind.ZIP):
        raise KerascopeError("a config pairs only with a weights file (.weights.h5, .weights.json or .npz)")
    if kind == Kind.ZIP:
        from kerascope.readers.keras_saved import read_zip

        return read_zip(source, limits, config)
    if kind == Kind.HDF5:
        from kerascope.readers.legacy_h5 import read_hdf5

        return read_hdf5(source, limits, config)
    if kind == Kind.SAVEDMODEL:
        from kerascope.readers.savedmodel import read_savedmodel

        return read_savedmodel(source, limits)
    if kind == Kind.CONFIG_FOLDER:
        from kerascope.readers.folders import read_config_folder

        return read_config_folder(source, limits)
    from kerascope.readers.json_files import read_json_file

    return read_json_file(source, limits, config)
