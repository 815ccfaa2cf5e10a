"""HDF5 filter pipelines: the filters a chunked dataset lists, and a chunk's stored bytes
decoded back through them, each step held to the size it must give.

The filters Keras and h5py write are read through the libraries made for them:
Fletcher-32 through pyfive's check (numcodecs' checksum, with HDF5's two spellings of
a zero sum), shuffle through numcodecs, LZF through `lzf` (python-neo-lzf, pyfive's
choice), deflate through zlib. pyfive and numcodecs would inflate a chunk whole,
however far it expands, so deflate is read with zlib's own output bound instead:
every chunk decodes to exactly the bytes its dimensions say (the chunk size times
the element size) or is refused, so a decompression bomb stops one byte past that.
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

import lzf
import numpy as np
from numcodecs import Shuffle
from pyfive.btree import BTreeV1RawDataChunks

from kerascope.decoders.tensor_values import ValuesUnavailable
from kerascope.errors import KerascopeError

DEFLATE, SHUFFLE, FLETCHER32, LZF = 1, 2, 3, 32000
_NAMES = {1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset", 32000: "lzf"}
_COMPRESSORS = (DEFLATE, LZF)
MAX_FILTERS = 32  # H5Z_MAX_NFILTERS
_U16 = struct.Struct("<H")


class Filter(NamedTuple):
    id: int
    optional: bool  # a chunk the filter did not help is stored without it (its bit in the chunk's mask)
    values: tuple[int, ...]  # the filter's client data (shuffle: the element size)


def pipeline(data: bytes, start: int, end: int) -> tuple[Filter, ...]:
    """The filters of a filter pipeline message (IV.A.2.l, versions 1 and 2), in the
    order they were applied when the data was written."""
    if end - start < 2:
        raise KerascopeError("malformed HDF5: a short filter pipeline message")
    version, count = data[start], data[start + 1]
    if version not in (1, 2) or count > MAX_FILTERS:
        raise KerascopeError(f"malformed HDF5: a filter pipeline of version {version} with {count} filters")
    position = start + (8 if version == 1 else 2)
    filters = []
    for _ in range(count):
        ident, position = _field(data, position, end)
        named = version == 1 or ident >= 256
        name_length, position = _field(data, position, end) if named else (0, position)
        flags, position = _field(data, position, end)
        client_count, position = _field(data, position, end)
        position += -(-name_length // 8) * 8 if version == 1 else name_length
        values_end = position + 4 * client_count
        if values_end > end:
            raise KerascopeError("malformed HDF5: a filter description runs past its message")
        values = struct.unpack_from(f"<{client_count}I", data, position)
        position = values_end + (4 if version == 1 and client_count % 2 else 0)
        filters.append(Filter(ident, bool(flags & 0x01), values))
    return tuple(filters)


def _field(data: bytes, position: int, end: int) -> tuple[int, int]:
    if position + 2 > end:
        raise KerascopeError("malformed HDF5: a filter description runs past its message")
    return _U16.unpack_from(data, position)[0], position + 2


def check_pipeline(filters: tuple[Filter, ...], where: str) -> None:
    """Refuse, before any chunk is read, a pipeline kerascope does not decode."""
    unknown = [
        _NAMES.get(f.id, f"filter {f.id}") for f in filters if f.id not in (DEFLATE, SHUFFLE, FLETCHER32, LZF)
    ]
    if unknown:
        raise ValuesUnavailable(
            f"{where}: its chunks pass through {', '.join(unknown)}, which kerascope does not decode"
        )
    if sum(f.id in _COMPRESSORS for f in filters) > 1:
        raise ValuesUnavailable(f"{where}: its chunks are compressed twice")


def decode_chunk(raw: bytes, mask: int, filters: tuple[Filter, ...], size: int, itemsize: int) -> bytes:
    """A chunk's `raw` stored bytes through `filters` in reverse (skipping those `mask`
    marks), giving exactly `size` bytes or an error."""
    sizes = []  # what undoing each filter must give
    expected: int | None = size
    for index, entry in enumerate(filters):
        sizes.append(expected)
        if not mask & (1 << index) and expected is not None:
            expected = (
                expected + 4 if entry.id == FLETCHER32 else None if entry.id in _COMPRESSORS else expected
            )
    data = raw
    for index in range(len(filters) - 1, -1, -1):
        if mask & (1 << index):
            continue
        entry, want = filters[index], sizes[index]
        if entry.id == FLETCHER32:
            data = _fletcher32(data)
        elif entry.id == SHUFFLE:
            data = _unshuffle(data, entry.values[0] if entry.values else itemsize)
        elif want is None:
            raise ValuesUnavailable("an HDF5 chunk compressed twice")
        elif entry.id == DEFLATE:
            data = _inflate(data, want)
        else:
            data = _unlzf(data, want)
    if len(data) != size:
        raise KerascopeError(f"malformed HDF5: a chunk holds {len(data):,} bytes where {size:,} belong")
    return data


def _fletcher32(data: bytes) -> bytes:
    try:
        BTreeV1RawDataChunks._verify_fletcher32(data)
    except ValueError:
        raise KerascopeError("an HDF5 chunk fails its Fletcher-32 checksum") from None
    return data[:-4]


def _unshuffle(data: bytes, elementsize: int) -> bytes:
    """HDF5's shuffle undone; bytes past the last whole element stay where they are."""
    whole = len(data) - len(data) % elementsize if elementsize > 1 else 0
    if whole == 0:
        return data
    body = Shuffle(elementsize).decode(np.frombuffer(data, np.uint8, whole))
    return body.tobytes() + data[whole:]


def _inflate(data: bytes, size: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, size)
        if not inflater.eof and (inflater.unconsumed_tail or inflater.decompress(b"", 1)):
            raise KerascopeError(
                f"an HDF5 chunk inflates past the {size:,} bytes it should hold (a decompression bomb?)"
            )
    except zlib.error as error:
        raise KerascopeError(f"malformed HDF5: a chunk does not inflate ({error})") from None
    if not inflater.eof:
        raise KerascopeError("malformed HDF5: a deflated chunk is cut short")
    return out


def _unlzf(data: bytes, size: int) -> bytes:
    try:
        out = lzf.decompress(data, size)
    except ValueError as error:
        raise KerascopeError(f"malformed HDF5: an LZF chunk does not decompress ({error})") from None
    if out is None:  # it would expand past `size`, or is no LZF stream
        raise KerascopeError(f"an HDF5 LZF chunk does not decompress to the {size:,} bytes it should hold")
    return out
