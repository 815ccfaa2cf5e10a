"""Members of a zip archive, read within limits and without trusting the headers.

Keras stores `.keras` members uncompressed, so the weights file is opened in
place through a window onto the archive: the HDF5 reader takes it in cached pages
(`paged.py`), reads only the metadata it needs, and no weight bytes are copied;
seeking backwards costs nothing, unlike zipfile's own stream, which restarts from
the member's start. A compressed member that must be read at random (an HDF5 file) is
streamed once into a temporary file, stopping at the size limit or a bomb-like
compression ratio; one read forward (an `.npy` header, a pickle) inflates as it is
read (`inflating`), after its declared size is held to the compression-ratio limit.
"""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
import zlib
from typing import IO

from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
# What zipfile raises on a member it cannot open or inflate.
ZIP_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error, OverflowError,
    NotImplementedError, RuntimeError,
)  # fmt: skip
_LOCAL_MAGIC = b"PK\x03\x04"


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """A member's bytes, refusing more than the member limit, or than its compressed
    size times the compression-ratio limit, whatever its header claims."""
    limit, field = limits.max_member_bytes, "max_member_bytes"
    if info.compress_type != zipfile.ZIP_STORED:  # a bomb stops at its ratio, whatever its header says
        by_ratio = max(info.compress_size, 1) * limits.max_compression_ratio
        if by_ratio < limit:
            limit, field = by_ratio, "max_compression_ratio"
    if info.file_size > limit:
        raise LimitExceeded(
            f"{info.filename} is {info.file_size:,} bytes, over the {limit:,}-byte limit", field
        )
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise LimitExceeded(f"{info.filename} expands past the {limit:,}-byte limit", field)
    return data


def open_member(
    stream: IO[bytes], archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits
) -> IO[bytes]:
    """A seekable binary stream over one member of the archive in `stream`, for the
    HDF5 reader to read in place."""
    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
        return ArchiveWindow(stream, _data_offset(stream, info), info.file_size)
    return _spooled_copy(archive, info, limits)


def inflating(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> IO[bytes]:
    """A member read forward as it inflates (zipfile stops at the size it declares),
    refused before anything is inflated if that size is more than the compression-ratio
    limit times what it stores. Nothing is written to a file or held whole."""
    ratio = limits.max_compression_ratio
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > max(info.compress_size, 1) * ratio:
        raise LimitExceeded(
            f"{info.filename} claims {info.file_size:,} bytes from {info.compress_size:,} compressed "
            f"(more than {ratio:,}x: a zip bomb?)",
            "max_compression_ratio",
        )
    try:
        return archive.open(info)
    except ZIP_ERRORS as error:
        raise KerascopeError(f"{info.filename}: cannot be read from the archive ({error})") from None


def _data_offset(stream: IO[bytes], info: zipfile.ZipInfo) -> int:
    stream.seek(info.header_offset)
    header = stream.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise KerascopeError(f"{info.filename}: bad local header in the zip archive")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = fields[-2], fields[-1]
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _spooled_copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> IO[bytes]:
    limit = min(limits.max_member_bytes * 16, max(info.compress_size, 1) * limits.max_compression_ratio)
    copy = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 - the caller owns and closes it
    with archive.open(info) as source:
        copied = 0
        while chunk := source.read(1 << 20):
            copied += len(chunk)
            if copied > limit:
                copy.close()
                raise LimitExceeded(
                    f"{info.filename} expands past {limit:,} bytes (a zip bomb?)", "max_compression_ratio"
                )
            copy.write(chunk)
    copy.seek(0)
    return copy


class ArchiveWindow(io.RawIOBase):
    """A read-only, seekable view of `length` bytes at `offset` in a stream it shares
    (and does not close): each read is one seek and one read of the stream (the HDF5
    reader asks for whole pages)."""

    def __init__(self, stream: IO[bytes], offset: int, length: int) -> None:
        super().__init__()
        self._file = stream
        self._offset = offset
        self._length = length
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def page_size(self) -> int | None:
        """The block size of a remote archive, for readers to page by."""
        return getattr(self._file, "page_size", None)

    @property
    def page_shift(self) -> int:
        """Where the window starts within the archive's blocks."""
        return self._offset + getattr(self._file, "page_shift", 0)

    def prefetch(self, ranges: list[tuple[int, int]]) -> None:
        fetch = getattr(self._file, "prefetch", None)
        if fetch is not None:
            fetch([(self._offset + offset, min(size, self._length - offset)) for offset, size in ranges])

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:  # type: ignore[override]
        available = max(0, self._length - self._position)
        count = min(len(buffer), available)
        if count == 0:
            return 0
        self._file.seek(self._offset + self._position)
        read = self._file.readinto(memoryview(buffer)[:count])
        self._position += read
        return read
