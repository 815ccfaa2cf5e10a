"""An HDF5 dataset's values, read on request through the same bounded reader as its
structure: legacy `.h5` files, the weights inside `.keras` archives, `.weights.h5`
files and their shards.

A dataset's header says how its data is laid out. Compact data sits in the header;
contiguous data is one run of the file, streamed in pieces; chunked data is tiles
listed by a chunk index (a version 1 B-tree, as h5py and Keras write, or the single
chunk and implicit indexes of HDF5 1.10's format), each stored through the dataset's
filter pipeline (`hdf5_filters`). Before one chunk is read the index is read and
checked whole: every chunk inside the dataset, at its own position, once, within
the file and overlapping no other, its decoded size within `max_tensor_bytes`, and
the dataset declaring no more than `max_compression_ratio` times the bytes its
chunks store (a decompression bomb ends there, in one line). Chunks never written
hold the dataset's fill value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from kerascope.decoders import dtypes
from kerascope.decoders.hdf5 import DATASET, SIZE_MISMATCH_FLOOR, H5Index, open_file
from kerascope.decoders.hdf5_datasets import CHUNKED, COMPACT, CONTIGUOUS, Chunk, chunk_index
from kerascope.decoders.hdf5_filters import Filter, check_pipeline, decode_chunk, pipeline
from kerascope.decoders.hdf5_format import (
    DATASPACE,
    DATATYPE,
    EXTERNAL_FILES,
    FILL_VALUE,
    FILTER_PIPELINE,
    LAYOUT,
    SHARED,
    H5File,
    ObjectHeader,
)
from kerascope.decoders.hdf5_pyfive import UNDEFINED, data_shape, stored_dtype
from kerascope.decoders.tensor_values import (
    READ_BYTES,
    Fill,
    Piece,
    StoredFile,
    TensorLocation,
    UnavailableLocation,
    ValuesUnavailable,
    flat_pieces,
    unreadable_as_error,
)
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits, check_time
from kerascope.model.records import Finding

_SINGLE_CHUNK, _IMPLICIT = 1, 2  # version 4 chunk indexes read (fixed and extensible arrays, B-trees are not)
_INDEXES = {3: "a fixed array", 4: "an extensible array", 5: "a version 2 B-tree"}


def hdf5_tensors(
    file: StoredFile, limits: Limits, findings: list[Finding] | None = None
) -> dict[str, TensorLocation]:
    """Every dataset of an HDF5 file by its path, each a location to read on request;
    what the walk finds (links, size mismatches) goes to `findings`."""
    with unreadable_as_error(file.name):
        return _hdf5_tensors(file, limits, findings)


def _hdf5_tensors(
    file: StoredFile, limits: Limits, findings: list[Finding] | None = None
) -> dict[str, TensorLocation]:
    with file.open(limits) as stream:
        index = H5Index(open_file(stream, limits), limits, [] if findings is None else findings)
        found: dict[str, TensorLocation] = {}
        for path, kind in index.kind.items():
            if kind != DATASET:
                continue
            info = index.weight(path, None)
            found[path] = dataset_location(file, path, info.shape, info.dtype, index.address(path))
        return found


def dataset_location(
    file: StoredFile, path: str, shape: list[int | None], dtype: str | None, address: int
) -> TensorLocation:
    """The dataset at `path` of `file` (its object header at `address`), of the shape and
    type its metadata declares, as a location to read on request."""
    dims = tuple(int(size) for size in shape if size is not None)
    dtype = dtype or "an unknown type"
    if dtypes.holds_numbers(dtype):
        return H5Location(path, dims, dtype, file, address)
    return UnavailableLocation(path, dims, dtype, f"{dtype} values are not read")


@dataclass(frozen=True)
class H5Location(TensorLocation):
    """A dataset of an HDF5 file, by the address of its object header; `dtype` is what
    the file declares, `bfloat16` where Keras wrote that beside opaque 2-byte values."""

    file: StoredFile | None = None
    address: int = UNDEFINED

    def pieces(self, limits: Limits) -> Iterator[Piece | Fill]:
        assert self.file is not None
        with self.file.open(limits) as stream:
            h5 = open_file(stream, limits)
            dataset = _Dataset(self, h5, h5.header(self.address), limits)
            yield from dataset.pieces()


class _Layout(NamedTuple):
    kind: int
    address: int  # contiguous data, a chunk index, the single chunk; UNDEFINED: never written
    size: int  # contiguous: its bytes; a filtered single chunk: its stored bytes
    data: bytes  # compact data
    chunk: tuple[int, ...]  # chunk dimensions (no element size)
    index: int  # 0: a version 1 B-tree; else the version 4 index type
    mask: int  # a filtered single chunk's filter mask


class _Dataset:
    def __init__(self, where: H5Location, h5: H5File, header: ObjectHeader, limits: Limits) -> None:
        self.key, self.h5, self.limits = where.key, h5, limits
        if not header.is_dataset:
            raise KerascopeError(f"{self.key}: no HDF5 dataset at address {where.address:,}")
        space = header.first(DATASPACE)
        dims = data_shape(space.data, space.start) if space is not None and not space.flags & SHARED else None
        self.shape = tuple(dims or ())
        if self.shape != where.shape:
            raise KerascopeError(
                f"{self.key}: the dataset's shape is {list(self.shape)}, not {list(where.shape)}"
            )
        self.element, stored = _element(h5, header, where.dtype, self.key)
        self.big_endian = stored.str.startswith(">")
        self.itemsize = stored.itemsize
        if header.has(EXTERNAL_FILES):
            raise ValuesUnavailable(f"{self.key}: its data lives in raw files outside this one, never opened")
        self.layout = _layout(header, len(self.shape), self.itemsize, self.key)
        message = header.first(FILTER_PIPELINE)
        self.filters: tuple[Filter, ...] = (
            pipeline(message.data, message.start, message.end) if message else ()
        )
        check_pipeline(self.filters, self.key)
        self.fill = _fill_value(header, self.element, self.itemsize, self.big_endian)
        self.total = math.prod(self.shape)

    def pieces(self) -> Iterator[Piece | Fill]:
        layout, declared = self.layout, self.total * self.itemsize
        if layout.kind == COMPACT:
            if len(layout.data) != declared:
                raise KerascopeError(
                    f"malformed HDF5: {self.key} holds {len(layout.data):,} compact bytes for {declared:,}"
                )
            yield from flat_pieces(
                _Cursor(lambda at, size: layout.data[at : at + size]).read,
                self.shape,
                self.element,
                self.big_endian,
            )
        elif layout.kind == CONTIGUOUS and (layout.address == UNDEFINED or declared == 0):
            yield Fill(self.total, self.fill)
        elif layout.kind == CONTIGUOUS:
            if layout.size != declared:
                raise KerascopeError(
                    f"malformed HDF5: {self.key} stores {layout.size:,} bytes for its {declared:,}"
                )
            if layout.address + declared > self.h5.size:
                raise KerascopeError(f"malformed HDF5: the data of {self.key} lies outside the file")
            read = _Cursor(lambda at, size: self.h5.values(layout.address + at, size, "dataset data")).read
            yield from flat_pieces(read, self.shape, self.element, self.big_endian)
        else:
            yield from self._chunked()

    # -- chunked ----------------------------------------------------------------------
    def _chunked(self) -> Iterator[Piece | Fill]:
        layout, shape, rank = self.layout, self.shape, len(self.shape)
        chunk_bytes = math.prod(layout.chunk) * self.itemsize
        if chunk_bytes > self.limits.max_tensor_bytes:
            raise LimitExceeded(
                f"{self.key}: chunks of {chunk_bytes:,} bytes, over the {self.limits.max_tensor_bytes:,}-byte tensor limit",
                "max_tensor_bytes",
            )
        chunks = self._chunks(chunk_bytes)
        stored = sum(chunk.size for chunk in chunks)
        declared = self.total * self.itemsize
        ratio = self.limits.max_compression_ratio
        if declared > SIZE_MISMATCH_FLOOR and declared > max(stored, 1) * ratio:
            raise LimitExceeded(
                f"{self.key} declares {declared:,} bytes but its chunks store {stored:,} "
                f"(more than {ratio:,}x: a decompression bomb?)",
                "max_compression_ratio",
            )
        covered = sum(
            math.prod(min(c, s - o) for c, s, o in zip(layout.chunk, shape, chunk.offset[:rank], strict=True))
            for chunk in chunks
        )
        if covered < self.total:
            yield Fill(self.total - covered, self.fill)
        for run in _runs(chunks):
            check_time()
            start = run[0].address
            data = self.h5.values(start, run[-1].address + run[-1].size - start, "chunk")
            for chunk in run:
                raw = data[chunk.address - start : chunk.address - start + chunk.size]
                yield self._piece(chunk, self._decoded(raw, chunk, chunk_bytes))

    def _decoded(self, raw: bytes, chunk: Chunk, chunk_bytes: int) -> bytes:
        if self.filters:
            return decode_chunk(raw, chunk.mask, self.filters, chunk_bytes, self.itemsize)
        if len(raw) != chunk_bytes:
            raise KerascopeError(
                f"malformed HDF5: an unfiltered chunk of {self.key} stores {len(raw):,} bytes, not {chunk_bytes:,}"
            )
        return raw

    def _piece(self, chunk: Chunk, raw: bytes) -> Piece:
        tile = dtypes.decode(raw, self.element, self.big_endian).reshape(self.layout.chunk)
        box = tuple(
            slice(o, min(o + c, s))
            for o, c, s in zip(chunk.offset[: len(self.shape)], self.layout.chunk, self.shape, strict=True)
        )
        return Piece(box, tile[tuple(slice(0, part.stop - part.start) for part in box)])

    def _chunks(self, chunk_bytes: int) -> list[Chunk]:
        """The dataset's chunks from its index, checked whole, in the order they lie in the file."""
        layout, rank = self.layout, len(self.shape)
        grid = [-(-size // step) for size, step in zip(self.shape, layout.chunk, strict=True)]
        positions = math.prod(grid)
        if layout.address == UNDEFINED or self.total == 0:
            listed: list[Chunk] = []
        elif layout.index == 0:
            listed = []
            for chunk in chunk_index(self.h5, layout.address, rank + 1):
                listed.append(chunk)
                if len(listed) > positions:
                    raise KerascopeError(
                        f"malformed HDF5: {self.key}'s chunk index lists more chunks than it has places"
                    )
        elif layout.index == _SINGLE_CHUNK:
            listed = [Chunk(layout.size or chunk_bytes, layout.mask, (0,) * (rank + 1), layout.address)]
        else:  # implicit: every chunk, one after another in row-major order
            if self.filters:
                raise KerascopeError(f"malformed HDF5: {self.key} has filtered chunks without an index")
            listed = [
                Chunk(
                    chunk_bytes,
                    0,
                    (*(i * c for i, c in zip(place, layout.chunk, strict=True)), 0),
                    layout.address + n * chunk_bytes,
                )
                for n, place in enumerate(np.ndindex(*grid))
            ]
        places = set()
        for chunk in listed:
            corner = chunk.offset[:rank]
            if (
                len(chunk.offset) != rank + 1
                or chunk.offset[rank] != 0
                or any(o % c or o >= s for o, c, s in zip(corner, layout.chunk, self.shape, strict=True))
            ):
                raise KerascopeError(
                    f"malformed HDF5: {self.key} lists a chunk at {list(corner)}, outside its chunk grid"
                )
            if corner in places:
                raise KerascopeError(f"malformed HDF5: {self.key} lists the chunk at {list(corner)} twice")
            places.add(corner)
            if chunk.size == 0 or chunk.address == UNDEFINED or chunk.address + chunk.size > self.h5.size:
                raise KerascopeError(
                    f"malformed HDF5: a chunk of {self.key} ({chunk.size:,} bytes at address {chunk.address:,}) "
                    f"lies outside the file"
                )
        listed.sort(key=lambda chunk: chunk.address)
        for before, after in pairwise(listed):
            if before.address + before.size > after.address:
                raise KerascopeError(
                    f"malformed HDF5: chunks of {self.key} overlap at address {after.address:,}"
                )
        return listed


def _runs(chunks: list[Chunk]) -> Iterator[list[Chunk]]:
    """Chunks lying back to back, in runs of about `READ_BYTES`, each read at once."""
    run: list[Chunk] = []
    for chunk in chunks:
        if run and (
            run[-1].address + run[-1].size != chunk.address
            or chunk.address + chunk.size - run[0].address > READ_BYTES
        ):
            yield run
            run = []
        run.append(chunk)
    if run:
        yield run


class _Cursor:
    """Reads forward through bytes given by `fetch(at, size)`."""

    def __init__(self, fetch) -> None:  # type: ignore[no-untyped-def]
        self._fetch, self._at = fetch, 0

    def read(self, count: int) -> bytes:
        data = self._fetch(self._at, count)
        self._at += count
        return data


def _element(h5: H5File, header: ObjectHeader, declared: str, key: str) -> tuple[str, np.dtype]:
    """The element type of a dataset's values, and numpy's type of its stored bytes."""
    message = header.first(DATATYPE)
    if message is None:
        raise KerascopeError(f"{key}: an HDF5 dataset without a datatype")
    if message.flags & SHARED:
        message = h5.shared(message)
    stored = stored_dtype(message.data, message.start)
    if stored is None:
        raise ValuesUnavailable(f"{key}: {declared} values are not read")
    if stored.kind == "V":
        if declared == "bfloat16" and stored.itemsize == 2:
            return "bfloat16", np.dtype("<u2")
        raise ValuesUnavailable(f"{key}: opaque {stored.itemsize}-byte values are not read")
    if declared == "bool":
        return "bool", stored
    return stored.newbyteorder("=").name, stored


def _layout(header: ObjectHeader, rank: int, itemsize: int, key: str) -> _Layout:
    """A data layout message (IV.A.2.i): compact and contiguous of versions 1 to 4, chunked
    of version 3 and version 4's single-chunk and implicit indexes."""
    message = header.first(LAYOUT)
    if message is None:
        raise KerascopeError(f"{key}: an HDF5 dataset without a layout message")
    data, at, end = message.data, message.start, message.end
    version, kind = data[at], data[at + 1]
    if version in (1, 2):
        raise ValuesUnavailable(
            f"{key}: an HDF5 data layout of version {version} (before HDF5 1.6.3) is not read"
        )
    if version not in (3, 4) or end - at < 4:
        raise KerascopeError(f"malformed HDF5: {key} has a layout message of version {version}")
    if kind == COMPACT:
        size = int.from_bytes(data[at + 2 : at + 4], "little")
        if at + 4 + size > end:
            raise KerascopeError(f"malformed HDF5: {key}'s compact data runs past its message")
        return _Layout(COMPACT, UNDEFINED, size, bytes(data[at + 4 : at + 4 + size]), (), 0, 0)
    if kind == CONTIGUOUS:
        address, size = (
            int.from_bytes(data[at + 2 : at + 10], "little"),
            int.from_bytes(data[at + 10 : at + 18], "little"),
        )
        return _Layout(CONTIGUOUS, address, size, b"", (), 0, 0)
    if kind != CHUNKED:
        raise ValuesUnavailable(f"{key}: a virtual dataset, whose data lives in other files, is not read")
    if version == 3:
        dims, address = data[at + 2], int.from_bytes(data[at + 3 : at + 11], "little")
        sizes = [int.from_bytes(data[at + 11 + 4 * i : at + 15 + 4 * i], "little") for i in range(dims)]
        index, size, mask = 0, 0, 0
    else:
        flags, dims, width = data[at + 2], data[at + 3], data[at + 4]
        if not 1 <= width <= 8:
            raise KerascopeError(f"malformed HDF5: {key} encodes chunk sizes in {width} bytes")
        position = at + 5
        sizes = [
            int.from_bytes(data[position + width * i : position + width * (i + 1)], "little")
            for i in range(dims)
        ]
        position += width * dims
        index = data[position]
        position += 1
        size = mask = 0
        if index == _SINGLE_CHUNK and flags & 0x02:
            size, mask = (
                int.from_bytes(data[position : position + 8], "little"),
                int.from_bytes(data[position + 8 : position + 12], "little"),
            )
            position += 12
        if index not in (_SINGLE_CHUNK, _IMPLICIT):
            raise ValuesUnavailable(
                f"{key}: chunks indexed by {_INDEXES.get(index, f'an index of type {index}')} are not read"
            )
        address = int.from_bytes(data[position : position + 8], "little")
    if dims != rank + 1 or any(step == 0 for step in sizes) or sizes[rank] != itemsize:
        raise KerascopeError(f"malformed HDF5: {key}'s chunk dimensions {sizes} do not fit its rank {rank}")
    return _Layout(CHUNKED, address, size, b"", tuple(sizes[:rank]), index, mask)


def _fill_value(header: ObjectHeader, element: str, itemsize: int, big_endian: bool) -> np.ndarray:
    """The value of elements never written: the fill value message's (IV.A.2.f), else zero."""
    message = header.first(FILL_VALUE)
    value = b""
    if message is not None and not message.flags & SHARED and message.end - message.start >= 2:
        data, at = message.data, message.start
        version = data[at]
        if version in (1, 2) and message.end - at >= 8 and (version == 1 or data[at + 3]):
            size = int.from_bytes(data[at + 4 : at + 8], "little")
            value = data[at + 8 : at + 8 + size]
        elif version == 3 and data[at + 1] & 0x20 and message.end - at >= 6:
            size = int.from_bytes(data[at + 2 : at + 6], "little")
            value = data[at + 6 : at + 6 + size]
    if len(value) != itemsize:
        value = bytes(itemsize)
    return dtypes.decode(value, element, big_endian).reshape(())
