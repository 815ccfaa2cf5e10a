"""TensorFlow's tensor-bundle index, `variables/variables.index`, read without TensorFlow.

The index is a LevelDB-format table as TensorFlow writes it (`core/lib/io/`
`table_builder.cc`, `block_builder.cc`, `format.cc`): data blocks of sorted,
prefix-compressed keys with restart points, an index block whose values are the
data blocks' handles, an empty metaindex block, and a 48-byte footer holding the
metaindex and index handles and a magic number. Every block is followed by a
type byte and a masked CRC-32C. `tensor_bundle.cc` writes bundles uncompressed
(`kNoCompression`: Snappy is not on every platform), so a Snappy block is
refused rather than decompressed.

Each value is a `BundleEntryProto` (dtype, shape, shard, offset, size, crc,
slices); the empty key holds the `BundleHeaderProto`. Only this index is read
here; a tensor's bytes in the data shards are read, on request only, by
`bundle_values.py`. Every length, count
and handle in the file is checked against the bytes present before it is used,
and the blocks must follow one another in order, so a read takes time linear in
the file's size.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from kerascope.decoders.crc32c import crc32c, unmask
from kerascope.decoders.dtypes import from_tensorflow, itemsize
from kerascope.decoders.protobuf import parse, shape_list
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits, check_time

MAGIC = 0xDB4775248B80FB57
FOOTER_BYTES = 48  # two handles padded to 40 bytes, then the 8-byte magic
TRAILER_BYTES = 5  # block type, masked CRC-32C
NO_COMPRESSION, SNAPPY = 0, 1
HEADER_KEY = b""
BIG_ENDIAN = 1


@dataclass(frozen=True)
class BundleEntry:
    """One tensor the bundle lists: where its bytes are, never the bytes."""

    key: str
    dtype: str | None
    shape: list[int]
    shard_id: int
    offset: int
    size: int
    sliced: bool  # a partitioned tensor: its bytes are in the entries of its slices
    crc32c: int = 0  # of its bytes, masked as TensorFlow stores it


@dataclass(frozen=True)
class BundleIndex:
    num_shards: int
    big_endian: bool  # of the shards' tensor bytes; the index itself is the same either way
    version: int  # the bundle format version that wrote it (TensorFlow writes 1)
    entries: list[BundleEntry]  # in key order, the header left out

    def by_key(self) -> dict[str, BundleEntry]:
        return {entry.key: entry for entry in self.entries}


def read_bundle_index(data: bytes, limits: Limits, what: str = "variables.index") -> BundleIndex:
    """The entries of a tensor-bundle index; anything malformed is one KerascopeError."""
    table = _Table(data, what)
    header = None
    entries: list[BundleEntry] = []
    for key, value in table.items(limits):
        if key == HEADER_KEY:
            header = parse("BundleHeaderProto", value, f"{what}'s header")
            continue
        if header is None:
            raise KerascopeError(f"{what} does not start with a bundle header")
        entries.append(_entry(key, value, header.num_shards, what))
    if header is None:
        raise KerascopeError(f"{what} has no bundle header")
    return BundleIndex(header.num_shards, header.endianness == BIG_ENDIAN, header.version.producer, entries)


def _entry(key: bytes, value: bytes, num_shards: int, what: str) -> BundleEntry:
    name = key.decode("utf-8", errors="backslashreplace")
    proto = parse("BundleEntryProto", value, f"{what} entry {name!r}")
    where = f"{what} entry {name!r}"
    shape = shape_list(proto.shape, where)
    if shape is None or None in shape:
        raise KerascopeError(f"{where} has a shape that is not fully known")
    if not 0 <= proto.shard_id < max(num_shards, 1) or proto.offset < 0 or proto.size < 0:
        raise KerascopeError(
            f"{where} points outside the bundle (shard {proto.shard_id} of {num_shards}, "
            f"offset {proto.offset}, size {proto.size})"
        )
    dtype = from_tensorflow(proto.dtype)
    sliced = len(proto.slices) > 0
    item = itemsize(dtype)
    if item is not None and not sliced and math.prod(shape) * item != proto.size:
        raise KerascopeError(f"{where} declares a {dtype} tensor of shape {shape} but {proto.size:,} bytes")
    return BundleEntry(name, dtype, shape, proto.shard_id, proto.offset, proto.size, sliced, proto.crc32c)


class _Table:
    """A LevelDB-format table in memory: its index block and data blocks, checked."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.what = data, what
        if len(data) < FOOTER_BYTES:
            raise KerascopeError(f"{what} is {len(data)} bytes, shorter than a table's footer")
        footer = data[-FOOTER_BYTES:]
        if struct.unpack("<Q", footer[-8:])[0] != MAGIC:
            raise KerascopeError(f"{what} is not a TensorFlow table (bad magic number)")
        position = 0
        _, position = _varint(footer, position, 10, f"{what}'s footer")  # metaindex offset
        _, position = _varint(footer, position, 10, f"{what}'s footer")  # metaindex size
        offset, position = _varint(footer, position, 10, f"{what}'s footer")
        size, position = _varint(footer, position, 10, f"{what}'s footer")
        if position > FOOTER_BYTES - 8:
            raise KerascopeError(f"{what}'s footer handles overrun the footer")
        self.index_offset = offset
        self.index = self.block(offset, size, len(data) - FOOTER_BYTES, "index block")

    def block(self, offset: int, size: int, end: int, name: str) -> memoryview:
        """The contents of the block at `offset`, which must end (trailer included) by `end`."""
        if offset + size + TRAILER_BYTES > end:
            raise KerascopeError(
                f"{self.what}'s {name} (offset {offset:,}, {size:,} bytes) runs past the end of its space"
            )
        view = memoryview(self.data)
        contents = view[offset : offset + size]
        kind = self.data[offset + size]
        stored = struct.unpack_from("<I", self.data, offset + size + 1)[0]
        if crc32c(view[offset : offset + size + 1]) != unmask(stored):
            raise KerascopeError(f"{self.what}'s {name} at offset {offset:,} fails its checksum")
        if kind == SNAPPY:
            raise KerascopeError(
                f"{self.what}'s {name} is Snappy-compressed; TensorFlow writes bundle indexes uncompressed"
            )
        if kind != NO_COMPRESSION:
            raise KerascopeError(f"{self.what}'s {name} has unknown block type {kind}")
        return contents

    def items(self, limits: Limits) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) in key order. Data blocks must follow one another
        without overlap and before the index block, as TensorFlow writes them."""
        previous_key: bytes | None = None
        next_free = 0
        count = 0
        key_bytes = 0
        for _, handle in _block_entries(self.index, self.what, "index block"):
            offset, position = _varint(handle, 0, 10, f"{self.what}'s index block handle")
            size, _ = _varint(handle, position, 10, f"{self.what}'s index block handle")
            if offset < next_free:
                raise KerascopeError(f"{self.what}'s data blocks overlap or are out of order")
            block = self.block(offset, size, self.index_offset, "data block")
            next_free = offset + size + TRAILER_BYTES
            for key, value in _block_entries(block, self.what, "data block"):
                count += 1
                key_bytes += len(key)
                if count > limits.max_bundle_entries:
                    raise LimitExceeded(
                        f"{self.what} lists more than {limits.max_bundle_entries:,} tensors (the bundle entry limit)",
                        "max_bundle_entries",
                    )
                if key_bytes > limits.max_member_bytes:
                    raise LimitExceeded(
                        f"{self.what}'s keys spell out to more than {limits.max_member_bytes:,} bytes",
                        "max_member_bytes",
                    )
                if previous_key is not None and key <= previous_key:
                    raise KerascopeError(f"{self.what}'s keys are not in increasing order")
                previous_key = key
                yield key, bytes(value)


def _block_entries(block: memoryview, what: str, name: str) -> Iterator[tuple[bytes, memoryview]]:
    """(key, value) of each entry of a block: keys share a prefix with the previous
    key, and share nothing at a restart point. The restart points are checked in
    step with the entries (each must be where an entry starts), never gathered."""
    if len(block) < 4:
        raise KerascopeError(f"{what}'s {name} is too short to hold its restart count")
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    if restarts == 0 or restarts > (len(block) - 4) // 4:
        raise KerascopeError(f"{what}'s {name} claims {restarts:,} restart points in {len(block):,} bytes")
    limit = len(block) - 4 * (restarts + 1)
    restart = 0  # the next restart point to meet
    key = b""
    position = 0
    while position < limit:
        check_time()
        at_restart = (
            restart < restarts and struct.unpack_from("<I", block, limit + 4 * restart)[0] == position
        )
        restart += at_restart
        shared, position = _varint(block, position, 5, f"{what}'s {name}", limit)
        unshared, position = _varint(block, position, 5, f"{what}'s {name}", limit)
        value_length, position = _varint(block, position, 5, f"{what}'s {name}", limit)
        if shared > len(key) or (at_restart and shared):
            raise KerascopeError(f"{what}'s {name} has an entry sharing more of a key than there is")
        if unshared + value_length > limit - position:
            raise KerascopeError(f"{what}'s {name} has an entry running past the end of the block")
        key = key[:shared] + bytes(block[position : position + unshared])
        position += unshared
        yield key, block[position : position + value_length]
        position += value_length
    empty_block = limit == 0 and restarts == 1 and struct.unpack_from("<I", block, 0)[0] == 0
    if restart != restarts and not empty_block:
        raise KerascopeError(f"{what}'s {name} has a restart point that is not where an entry starts")


def _varint(
    data: bytes | memoryview, position: int, most: int, what: str, end: int | None = None
) -> tuple[int, int]:
    """A little-endian base-128 number of at most `most` bytes, and the position after it."""
    end = len(data) if end is None else end
    value = 0
    for shift in range(0, 7 * most, 7):
        if position >= end:
            raise KerascopeError(f"{what} is cut short inside a number")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
    raise KerascopeError(f"{what} has a number longer than {most} bytes")
