"""OCDBT, tensorstore's key-value database, read for the few keys asked for.

Orbax keeps each array of a checkpoint under keys of one OCDBT database: its
metadata (`<name>/zarr.json`, a small JSON document) and its chunks
(`<name>/c/0/0`). The database is a manifest (`manifest.ocdbt`) naming the
B-tree root of its latest version, and data files (`d/<hex>`) holding B-tree
nodes and the values too large to sit inline in a leaf. Every structure is one
envelope: a big-endian magic number, its little-endian length, a format version,
a compression method (zstd), the body, a CRC-32C of all before it, checked
(tensorstore's `kvstore/ocdbt/index.rst` and `format/*.cc`).

Only the manifest and the B-tree nodes are read, and of the values only those of
the keys asked for; a chunk is never read, except the small ones a writer put
inline in a leaf node beside the metadata. Every count, offset and length is
checked before it sizes anything, each node is inflated within a bound, and a
data file named by a path that would leave the database's folder (`..`, an
absolute path, a symbolic link) is refused and left out, not opened.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO

from kerascope.decoders.crc32c import crc32c
from kerascope.decoders.source import Source
from kerascope.decoders.zstd import decompress
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits, check_time

MANIFEST_FILE = "manifest.ocdbt"
MANIFEST_MAGIC = 0x0CDB3A2A
BTREE_MAGIC = 0x0CDB20DE
_HEADER = struct.Struct("<Q")  # the envelope's length, after its 4-byte magic
_ENVELOPE_BYTES = 4 + 8 + 4  # magic, length, CRC: the least an envelope holds
_UNCOMPRESSED, _ZSTD = 0, 1
_SINGLE_FILE_MANIFEST = 0
_INLINE, _OUT_OF_LINE = 0, 1
_MAX_HEIGHT = 64  # a B-tree of 2^64 keys is still far shallower


@dataclass
class Values:
    """The values of the keys asked for, and the data files refused as outside the folder."""

    found: dict[bytes, bytes] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    keys: int = 0


@dataclass(frozen=True)
class _Node:
    path: str  # the data file holding it, relative to the database folder
    base: str  # the folder its own data-file table is relative to
    offset: int
    length: int
    height: int
    prefix: bytes


class _Budget:
    """Bytes of nodes read and inflated, and keys listed, for one database."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.bytes, self.keys = limits, 0, 0

    def spend(self, size: int, keys: int = 0) -> None:
        self.bytes += max(size, 64)
        self.keys += keys
        check_time()
        if self.bytes > self.limits.max_checkpoint_metadata_bytes:
            raise LimitExceeded(
                f"the checkpoint's B-tree holds more than {self.limits.max_checkpoint_metadata_bytes:,} bytes "
                "of nodes",
                "max_checkpoint_metadata_bytes",
            )
        if self.keys > self.limits.max_checkpoint_keys:
            raise LimitExceeded(
                f"the checkpoint's B-tree lists more than {self.limits.max_checkpoint_keys:,} keys",
                "max_checkpoint_keys",
            )


def read_values(db: Source, wanted: Callable[[bytes], bool], limits: Limits) -> Values:
    """The values of the keys `wanted` accepts, in the database folder `db`."""
    budget = _Budget(limits)
    data = db.read(MANIFEST_FILE, limits.max_member_bytes)
    budget.spend(len(data))
    body = _Cursor(
        _envelope(data, MANIFEST_MAGIC, MANIFEST_FILE, limits, limits.max_member_bytes), MANIFEST_FILE
    )
    node_limit, root = _manifest(body)
    values = Values()
    if root is None:
        return values
    node_limit = min(node_limit, limits.max_member_bytes)
    with ExitStack() as opened:
        files: dict[str, IO[bytes]] = {}

        def stream(path: str) -> IO[bytes]:
            if path not in files:
                files[path] = opened.enter_context(db.open(path))
            return files[path]

        out_of_line: list[tuple[bytes, str, int, int]] = []
        pending = [root]
        while pending:
            node = pending.pop()
            if not _inside(db, node.path, values):
                continue
            raw = _read_range(stream(node.path), node.offset, node.length, node.path, limits)
            budget.spend(len(raw))
            cursor = _Cursor(_envelope(raw, BTREE_MAGIC, node.path, limits, node_limit), node.path)
            budget.spend(len(cursor.data))
            children, leaves = _node(cursor, node)
            budget.spend(0, len(children) + len(leaves))
            values.keys = budget.keys
            pending.extend(children)
            for key, value in leaves:
                if not wanted(key):
                    continue
                if isinstance(value, bytes):
                    values.found[key] = value
                else:
                    out_of_line.append((key, *value))
        for key, path, offset, length in out_of_line:
            if _inside(db, path, values):
                if length > limits.max_json_bytes:
                    raise LimitExceeded(
                        f"a value of {length:,} bytes, over the {limits.max_json_bytes:,}-byte JSON limit",
                        "max_json_bytes",
                    )
                values.found[key] = _read_range(stream(path), offset, length, path, limits)
                budget.spend(length)
    return values


def _manifest(body: _Cursor) -> tuple[int, _Node | None]:
    """The most a node may inflate to, as the writer set it, and the latest version's root."""
    body.raw(16)  # the database's UUID
    kind = body.byte()
    body.varint()  # max_inline_value_bytes
    node_limit = body.varint()
    body.byte()  # version_tree_arity_log2
    if body.varint() == _ZSTD:
        body.raw(4)  # the zstd level the writer used
    if kind != _SINGLE_FILE_MANIFEST:
        raise KerascopeError(
            f"{MANIFEST_FILE}: a manifest of kind {kind}, not the single-file kind Orbax writes"
        )
    files = _data_files(body, "")
    count = body.count()
    if count == 0:
        return node_limit, None
    columns = [
        [body.varint() for _ in range(count)],  # generation
        [body.byte() for _ in range(count)],  # root height
        [body.varint() for _ in range(count)],  # data file
        [body.varint() for _ in range(count)],  # offset
        [body.varint() for _ in range(count)],  # length
    ]
    latest = count - 1  # versions are listed oldest first; the last is what a reader reads
    height, file_id, offset, length = (column[latest] for column in columns[1:])
    if length == 0:
        return node_limit, None
    path, base = _file(files, file_id, MANIFEST_FILE)
    return node_limit, _Node(path, base, offset, length, height, b"")


def _node(
    cursor: _Cursor, node: _Node
) -> tuple[list[_Node], list[tuple[bytes, bytes | tuple[str, int, int]]]]:
    """A B-tree node's children (an interior node) or its keys and values (a leaf)."""
    height = cursor.byte()
    if height != node.height or height > _MAX_HEIGHT:
        raise KerascopeError(
            f"{node.path}: a B-tree node of height {height} where {node.height} was expected"
        )
    files = _data_files(cursor, node.base)
    count = cursor.count()
    prefixes = [0] + [cursor.varint() for _ in range(max(count - 1, 0))]
    suffixes = [cursor.varint() for _ in range(count)]
    common = [cursor.varint() for _ in range(count)] if height else []
    keys: list[bytes] = []
    for index in range(count):
        before = keys[index - 1] if index else b""
        if prefixes[index] > len(before):
            raise KerascopeError(f"{node.path}: a key shares more bytes with the one before it than it has")
        keys.append(before[: prefixes[index]] + cursor.raw(suffixes[index]))
    if height:
        places = [[cursor.varint() for _ in range(count)] for _ in range(3)]  # file, offset, length
        children = []
        for index, key in enumerate(keys):
            if common[index] > len(key):
                raise KerascopeError(f"{node.path}: a subtree prefix longer than its key")
            path, base = _file(files, places[0][index], node.path)
            children.append(
                _Node(
                    path,
                    base,
                    places[1][index],
                    places[2][index],
                    height - 1,
                    node.prefix + key[: common[index]],
                )
            )
        return children, []
    lengths = [cursor.varint() for _ in range(count)]
    kinds = [cursor.byte() for _ in range(count)]
    if any(kind not in (_INLINE, _OUT_OF_LINE) for kind in kinds):
        raise KerascopeError(f"{node.path}: a value of unknown kind")
    outside = [index for index in range(count) if kinds[index] == _OUT_OF_LINE]
    file_ids = {index: cursor.varint() for index in outside}
    offsets = {index: cursor.varint() for index in outside}
    leaves: list[tuple[bytes, bytes | tuple[str, int, int]]] = []
    for index, key in enumerate(keys):
        if kinds[index] == _INLINE:
            leaves.append((node.prefix + key, cursor.raw(lengths[index])))
        else:
            path, _ = _file(files, file_ids[index], node.path)
            leaves.append((node.prefix + key, (path, offsets[index], lengths[index])))
    return [], leaves


def _data_files(cursor: _Cursor, base: str) -> list[tuple[str, str] | None]:
    """A data-file table: each file's path and the folder its own nodes' tables are
    relative to, both relative to the database folder (None for a path that is no text)."""
    count = cursor.count()
    prefixes = [0] + [cursor.varint() for _ in range(max(count - 1, 0))]
    suffixes = [cursor.varint() for _ in range(count)]
    base_lengths = [cursor.varint() for _ in range(count)]
    paths: list[bytes] = []
    for index in range(count):
        before = paths[index - 1] if index else b""
        if prefixes[index] > len(before):
            raise KerascopeError(
                f"{cursor.what}: a data file path shares more bytes than the one before it has"
            )
        paths.append(before[: prefixes[index]] + cursor.raw(suffixes[index]))
    files: list[tuple[str, str] | None] = []
    for path, base_length in zip(paths, base_lengths, strict=True):
        if base_length > len(path):
            raise KerascopeError(f"{cursor.what}: a data file's base folder is longer than its path")
        try:
            files.append((base + path.decode("utf-8"), base + path[:base_length].decode("utf-8")))
        except UnicodeDecodeError:
            files.append(None)
    return files


def _file(files: list[tuple[str, str] | None], index: int, what: str) -> tuple[str, str]:
    if index >= len(files):
        raise KerascopeError(f"{what}: names data file {index} of {len(files)}")
    found = files[index]
    return found if found is not None else ("\ufffd", "")


def _inside(db: Source, path: str, values: Values) -> bool:
    """Whether `path` names a file inside the database folder, reached through no link;
    a path that is not is recorded as refused (once)."""
    parts = path.split("/")
    safe = (
        path
        and not path.startswith("/")
        and "\\" not in path
        and "\0" not in path
        and "\ufffd" not in path
        and all(part not in ("", ".", "..") for part in parts)
        and ":" not in parts[0]
    )
    if safe and not db.is_link(path):
        return True
    if path not in values.refused:
        values.refused.append(path)
    return False


def _read_range(stream: IO[bytes], offset: int, length: int, what: str, limits: Limits) -> bytes:
    if length > limits.max_member_bytes:
        raise LimitExceeded(
            f"{what}: a node of {length:,} bytes, over the {limits.max_member_bytes:,}-byte limit",
            "max_member_bytes",
        )
    stream.seek(offset)
    data = stream.read(length)
    if len(data) != length:
        raise KerascopeError(f"{what}: {length:,} bytes at offset {offset:,} run past the file's end")
    return data


def _envelope(data: bytes, magic: int, what: str, limits: Limits, inflated_limit: int) -> bytes:
    """The body of one encoded structure, inflated within `inflated_limit` and the
    compression-ratio limit."""
    if len(data) < _ENVELOPE_BYTES or int.from_bytes(data[:4], "big") != magic:
        raise KerascopeError(f"{what}: not an OCDBT structure (no magic number {magic:#010x})")
    (length,) = _HEADER.unpack_from(data, 4)
    if length != len(data):
        raise KerascopeError(f"{what}: says it is {length:,} bytes long, and is {len(data):,}")
    if crc32c(data[:-4]) != int.from_bytes(data[-4:], "little"):
        raise KerascopeError(f"{what}: its CRC-32C does not match its bytes (damaged)")
    header = _Cursor(data[: len(data) - 4], what)
    header.position = 12
    version, compression = header.varint(), header.varint()
    if version != 0:
        raise KerascopeError(f"{what}: OCDBT format version {version}, not 0")
    body = data[header.position : len(data) - 4]
    if compression == _UNCOMPRESSED:
        return body
    if compression != _ZSTD:
        raise KerascopeError(f"{what}: compression method {compression}, neither none nor zstd")
    if len(body) * limits.max_compression_ratio < inflated_limit:
        return decompress(body, len(body) * limits.max_compression_ratio, what, "max_compression_ratio")
    return decompress(body, inflated_limit, what, "max_member_bytes")


class _Cursor:
    """Bytes read in order, every read checked against what is left."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.what, self.position = data, what, 0

    def raw(self, size: int) -> bytes:
        end = self.position + size
        if end > len(self.data):
            raise KerascopeError(f"{self.what}: {size:,} bytes asked for where {self.left:,} are left")
        value = self.data[self.position : end]
        self.position = end
        return value

    def byte(self) -> int:
        return self.raw(1)[0]

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise KerascopeError(f"{self.what}: a number longer than 64 bits")

    def count(self) -> int:
        """A count of entries that follow, each taking at least one byte."""
        value = self.varint()
        if value > self.left:
            raise KerascopeError(f"{self.what}: {value:,} entries where {self.left:,} bytes are left")
        return value

    @property
    def left(self) -> int:
        return len(self.data) - self.position
