"""Tensor-bundle index files written by the tests, for hostile and corrupt input.

A LevelDB-format table as TensorFlow's `table_builder.cc` lays it out, written
here without kerascope's code (its own CRC-32C, block and footer encoders), with
knobs to make each part lie. `test_savedmodel_variables.py` checks that TensorFlow
itself reads what `table()` writes, so the hostile variants differ from a valid
file only where they mean to.
"""

from __future__ import annotations

import struct

MAGIC = 0xDB4775248B80FB57


def _byte_table() -> list[int]:
    """What each byte does to the CRC, bit by bit (RFC 3720's polynomial, reflected)."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


_BYTE_TABLE = _byte_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _BYTE_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def block(
    entries: list[tuple[bytes, bytes]], restart_interval: int = 16, restarts: int | None = None
) -> bytes:
    """A block's contents: prefix-compressed entries, restart offsets, their count
    (`restarts` overrides the count written, to make it lie)."""
    out = bytearray()
    offsets = []
    previous = b""
    for position, (key, value) in enumerate(entries):
        shared = 0
        if position % restart_interval == 0:
            offsets.append(len(out))
        else:
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        previous = key
    offsets = offsets or [0]
    out += b"".join(struct.pack("<I", offset) for offset in offsets)
    out += struct.pack("<I", len(offsets) if restarts is None else restarts)
    return bytes(out)


def trailer(contents: bytes, kind: int = 0) -> bytes:
    return bytes([kind]) + struct.pack("<I", masked(crc32c(contents + bytes([kind]))))


def handle(offset: int, size: int) -> bytes:
    return varint(offset) + varint(size)


def table(
    data_blocks: list[bytes],
    *,
    separators: list[bytes] | None = None,
    handles: list[bytes] | None = None,
    block_kind: int = 0,
) -> bytes:
    """A whole table of the given data block contents. `separators` are the index
    keys (default: one per block, b"\\xff" * (i + 1)); `handles` replace the true
    data block handles in the index block."""
    out = bytearray()
    true_handles = []
    for contents in data_blocks:
        true_handles.append(handle(len(out), len(contents)))
        out += contents + trailer(contents, block_kind)
    separators = separators or [b"\xff" * (i + 1) for i in range(len(data_blocks))]
    index_handles = true_handles if handles is None else handles
    metaindex = block([])
    metaindex_handle = handle(len(out), len(metaindex))
    out += metaindex + trailer(metaindex)
    index = block(list(zip(separators, index_handles, strict=True)), restart_interval=1)
    index_handle = handle(len(out), len(index))
    out += index + trailer(index)
    return bytes(out) + footer(metaindex_handle, index_handle)


def footer(metaindex_handle: bytes, index_handle: bytes) -> bytes:
    handles = (metaindex_handle + index_handle).ljust(40, b"\0")
    return handles + struct.pack("<Q", MAGIC)


def bundle_entries(count: int, shape: tuple[int, ...] = (3, 2)) -> list[tuple[bytes, bytes]]:
    """A header and `count` float32 entries, as TensorFlow's protos serialize them."""
    from tensorflow.core.framework import tensor_shape_pb2, types_pb2
    from tensorflow.core.protobuf import tensor_bundle_pb2

    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1).SerializeToString()
    entries = [(b"", header)]
    size = 4
    for dim in shape:
        size *= dim
    for i in range(count):
        entry = tensor_bundle_pb2.BundleEntryProto(
            dtype=types_pb2.DT_FLOAT,
            shape=tensor_shape_pb2.TensorShapeProto(dim=[{"size": d} for d in shape]),
            offset=i * size,
            size=size,
        )
        entries.append((f"v{i:08d}/.ATTRIBUTES/VARIABLE_VALUE".encode(), entry.SerializeToString()))
    return entries
