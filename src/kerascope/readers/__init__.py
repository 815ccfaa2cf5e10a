"""Static readers: a saved model read as data, without TensorFlow or Keras.

`read` recognises the input once (`registry.recognise`, from a `Probe` of its
content), hands it to the one format that reads it, and turns every failure into
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
from kerascope.model.findings import finding
from kerascope.model.records import Finding, ModelReport
from kerascope.model.vocabulary import Code
from kerascope.readers.probe import Probe
from kerascope.readers.registry import recognise, unrecognised

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
        probe = Probe(source, limits)
        recognition = recognise(probe)
        if recognition is None:
            raise KerascopeError("; ".join([*source.refused[:4], unrecognised(probe)]))
        if config is not None and not recognition.reading.PAIRS_WITH_CONFIG:
            raise KerascopeError(
                "a config pairs only with a weights file (.weights.h5, .weights.json or .npz)"
            )
        report = recognition.reading.read(probe, config)
        report.findings = recognition.findings(source.label) + report.findings + _outside(source, config)
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


def _outside(*sources: Source | None) -> list[Finding]:
    """A finding for each file of the model a symbolic link leads out of its folder:
    refused by the `Source`, never opened, whatever it holds unknown."""
    return [
        finding(Code.PATH_OUTSIDE_MODEL, None, f"{why}; what it holds is unknown")
        for source in sources
        if source is not None
        for why in source.refused
    ]
