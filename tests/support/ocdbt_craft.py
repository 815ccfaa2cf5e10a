"""OCDBT databases written byte by byte, for the hostile tests: a manifest and B-tree
leaves as tensorstore lays them out (`kvstore/ocdbt/index.rst`), each part free to
lie. `tensorstore_reads` holds the writer itself to tensorstore's reading."""

from __future__ import annotations

import struct
from pathlib import Path

import zstandard

from kerascope.decoders.crc32c import crc32c

MANIFEST_MAGIC, BTREE_MAGIC = 0x0CDB3A2A, 0x0CDB20DE


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def envelope(magic: int, body: bytes, compressed: bytes | None = None) -> bytes:
    """One encoded structure; `compressed` replaces the zstd frame of `body` (a bomb)."""
    payload = compressed if compressed is not None else zstandard.ZstdCompressor().compress(body)
    head = varint(0) + varint(1)
    length = 4 + 8 + len(head) + len(payload) + 4
    data = magic.to_bytes(4, "big") + struct.pack("<Q", length) + head + payload
    return data + struct.pack("<I", crc32c(data))


def file_table(paths: list[str]) -> bytes:
    """A data-file table of paths relative to the database folder (no shared base)."""
    encoded = [path.encode() for path in paths]
    return (
        varint(len(encoded))
        + b"".join(varint(0) for _ in encoded[1:])
        + b"".join(varint(len(path)) for path in encoded)
        + b"".join(varint(0) for _ in encoded)
        + b"".join(encoded)
    )


def leaf(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A leaf node's body holding every value inline, keys in order."""
    entries = sorted(entries)
    return (
        bytes([0])
        + file_table([])
        + varint(len(entries))
        + b"".join(varint(0) for _ in entries[1:])
        + b"".join(varint(len(key)) for key, _ in entries)
        + b"".join(key for key, _ in entries)
        + b"".join(varint(len(value)) for _, value in entries)
        + bytes(len(entries))
        + b"".join(value for _, value in entries)
    )


def manifest(data_file: str, offset: int, length: int, keys: int, max_node_bytes: int = 100_000_000) -> bytes:
    """A single-file manifest whose one version's root is the leaf at `data_file`[offset:+length]."""
    config = bytes(16) + bytes([0]) + varint(1024) + varint(max_node_bytes) + bytes([4]) + varint(1)
    config += struct.pack("<i", 0)
    version = (
        varint(1) + varint(1) + bytes([0]) + varint(0) + varint(offset) + varint(length)
        + varint(keys) + varint(length) + varint(0) + struct.pack("<Q", 1_700_000_000_000)
    )  # fmt: skip
    return envelope(MANIFEST_MAGIC, config + file_table([data_file]) + version + varint(0))


def write_database(folder: Path, entries: list[tuple[bytes, bytes]], data_file: str = "d/0000") -> None:
    """A database of one leaf, in `folder`, its data file at `data_file` (which may lie)."""
    node = envelope(BTREE_MAGIC, leaf(entries))
    target = folder / data_file
    if ".." not in data_file and not data_file.startswith("/"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(node)
    (folder / "manifest.ocdbt").write_bytes(manifest(data_file, 0, len(node), len(entries)))


def tensorstore_reads(folder: Path) -> dict[bytes, bytes]:
    """Every key and value of the database at `folder`, as tensorstore reads it."""
    import tensorstore

    store = tensorstore.KvStore.open({"driver": "ocdbt", "base": f"file://{folder}"}).result()
    return {key: store.read(key).result().value for key in store.list().result()}
