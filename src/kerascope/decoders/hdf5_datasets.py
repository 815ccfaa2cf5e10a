"""What an HDF5 dataset declares (shape, type) and how many bytes the file holds for it,
from its header messages alone: no value is ever read.

The bytes held are what a loader would trust a file to back its declared shape
with (a dataset declaring far more is a decompression or shape bomb,
CVE-2026-0897). They are counted as HDF5 counts them (the layout's own size, or
the sizes its chunk index lists), but never beyond the end of the file; for the
chunk indexes only HDF5 1.10's format writes (fixed and extensible arrays,
version 2 B-trees), the file's own size stands as an upper bound.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from kerascope.decoders.hdf5_format import (
    DATASPACE,
    DATATYPE,
    EXTERNAL_FILES,
    LAYOUT,
    SHARED,
    H5File,
    Message,
    ObjectHeader,
)
from kerascope.decoders.hdf5_pyfive import UNDEFINED, data_shape, dtype_name
from kerascope.errors import KerascopeError

# Dataset layout classes.
COMPACT, CONTIGUOUS, CHUNKED, VIRTUAL = 0, 1, 2, 3
_U16, _U32, _U64 = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<Q")
_ADDRESS_LENGTH = struct.Struct("<QQ")
_BTREE_V1 = struct.Struct("<4sBBHQQ")  # signature, node type, level, entries, left, right


@dataclass(frozen=True)
class DatasetInfo:
    shape: list[int]
    dtype: str | None  # numpy's name for it, as h5py would map it; None: a type numpy cannot hold
    itemsize: int
    layout: int
    external: bool  # its data lives in raw files outside this one
    stored: int
    stored_exact: bool  # False: `stored` is an upper bound (the file's own size)


def describe(file: H5File, header: ObjectHeader, enough: Callable[[int], int]) -> DatasetInfo:
    """A dataset from its messages alone. `enough(declared)` says how many stored bytes
    end the count of a chunked dataset's chunks: past it, the exact total is not needed."""
    space = header.first(DATASPACE)
    if space is None or space.flags & SHARED:
        raise KerascopeError(f"HDF5 dataset at {header.address:,} without a readable dataspace")
    dims = data_shape(space.data, space.start)
    shape = list(dims) if dims is not None else []
    message = header.first(DATATYPE)
    if message is None:
        raise KerascopeError(f"HDF5 dataset at {header.address:,} without a datatype")
    if message.flags & SHARED:
        message = file.shared(message)
    dtype, itemsize = dtype_name(message.data, message.start)
    layout = header.first(LAYOUT)
    if layout is None:
        raise KerascopeError(f"HDF5 dataset at {header.address:,} without a layout message")
    declared = math.prod(shape) * itemsize
    kind, stored, exact = _storage(file, layout, declared, enough(declared))
    return DatasetInfo(shape, dtype, itemsize, kind, header.has(EXTERNAL_FILES), stored, exact)


def _storage(file: H5File, message: Message, declared: int, enough: int) -> tuple[int, int, bool]:
    """The layout class, the bytes of the file that hold the data, and whether that
    count is exact (IV.A.2.i, versions 1 to 4)."""
    data, start = message.data, message.start
    version, first = data[start], data[start + 1]
    if version in (1, 2):
        kind, dims = data[start + 2], first
        position = start + 8
        if kind == COMPACT:
            size = _U32.unpack_from(data, position + 4 * dims)[0]
            return kind, min(size, message.end - position), True
        address = _U64.unpack_from(data, position)[0]
        if kind == CONTIGUOUS:
            return kind, _present(file, address, declared), True
        if kind == CHUNKED:
            return kind, _chunk_bytes(file, address, dims, enough), True
    elif version in (3, 4):
        kind = first
        if kind == COMPACT:
            return kind, _U16.unpack_from(data, start + 2)[0], True
        if kind == CONTIGUOUS:
            address, size = _ADDRESS_LENGTH.unpack_from(data, start + 2)
            return kind, _present(file, address, size), True
        if kind == CHUNKED and version == 3:
            dims, address = struct.unpack_from("<BQ", data, start + 2)
            return kind, _chunk_bytes(file, address, dims, enough), True
        if kind == CHUNKED:
            return (kind, *_indexed_chunks(file, data, start + 2, declared))
        if kind == VIRTUAL:
            return kind, 0, True
    raise KerascopeError(f"malformed HDF5: a layout message of version {version} and class {first}")


def _present(file: H5File, address: int, size: int) -> int:
    """Of `size` bytes at `address`, how many the file holds."""
    if address == UNDEFINED or address >= file.size:
        return 0
    return min(size, file.size - address)


def _chunk_bytes(file: H5File, address: int, dims: int, enough: int) -> int:
    """The bytes of a chunked dataset's chunks, from its version 1 B-tree, stopping
    once `enough` are counted."""
    total = 0
    for chunk in chunk_index(file, address, dims):
        total += chunk.size
        if total >= enough:
            break
    return min(total, file.size)


class Chunk(NamedTuple):
    size: int  # stored bytes
    mask: int  # the filters skipped for it (bit i: the pipeline's filter i)
    offset: tuple[int, ...]  # where it starts in the dataset, one index per dimension and 0
    address: int


def chunk_index(file: H5File, address: int, dims: int) -> Iterator[Chunk]:
    """The chunks a version 1 B-tree lists (`dims`: the layout's dimensionality, the
    dataset's rank plus one), each node read once."""
    stack, seen = [(address, -1)], set()
    key = 8 + 8 * dims
    while stack and address != UNDEFINED:
        node, level = stack.pop()
        if node in seen:
            raise KerascopeError(f"malformed HDF5: a chunk B-tree reaches the node at {node:,} twice")
        seen.add(node)
        signature, kind, node_level, entries, _, _ = _BTREE_V1.unpack(
            file.exactly(node, _BTREE_V1.size, "chunk B-tree node")
        )
        if signature != b"TREE" or kind != 1 or level not in (-1, node_level):
            raise KerascopeError(f"malformed HDF5: bad chunk B-tree node at address {node:,}")
        body = file.exactly(node + _BTREE_V1.size, entries * (key + 8) + key, "chunk B-tree node")
        children = []
        for entry in range(entries):
            at = entry * (key + 8)
            child = _U64.unpack_from(body, at + key)[0]
            if node_level == 0:
                size, mask = struct.unpack_from("<II", body, at)
                yield Chunk(size, mask, struct.unpack_from(f"<{dims}Q", body, at + 8), child)
            else:
                children.append((child, node_level - 1))
        stack.extend(reversed(children))


def _indexed_chunks(file: H5File, data: bytes, position: int, declared: int) -> tuple[int, bool]:
    """A version 4 chunked layout: exact for a single chunk or an implicit index (all
    chunks allocated up front); for the array and B-tree indexes, at most the file."""
    flags, dims, width = data[position], data[position + 1], data[position + 2]
    position += 3
    chunk = math.prod(
        int.from_bytes(data[position + width * i : position + width * (i + 1)], "little") for i in range(dims)
    )
    position += width * dims
    index = data[position]
    position += 1
    if index == 1:  # a single chunk
        if flags & 0x02:  # filtered: its stored size is recorded
            size, _, address = struct.unpack_from("<QIQ", data, position)
            return _present(file, address, size), True
        return _present(file, _U64.unpack_from(data, position)[0], chunk), True
    if index == 2:  # implicit
        return _present(file, _U64.unpack_from(data, position)[0], declared), True
    return file.size, False
