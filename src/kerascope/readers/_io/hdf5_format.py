"""The HDF5 file format, decoded within limits: superblock, object headers, links and
what a dataset declares and stores.

pyfive (pure Python) decodes the self-contained pieces: datatypes, dataspaces,
fractal heaps and version 2 B-trees, each checked here before it is handed over.
The structures a hostile file can make endless or huge are walked here instead,
with every count and size checked before it is acted on: object header
continuations, symbol-table B-trees, chunk indexes, local heaps. Nothing is
resolved by name: soft and external links come back as what they say, for the
caller to report; no other file is ever opened; no dataset value is ever read.
"""

from __future__ import annotations

import math
import struct
from bisect import bisect_right
from collections import deque, namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

import numpy as np
from pyfive.btree import BTreeV2, BTreeV2AttrNames, BTreeV2GroupNames
from pyfive.core import InvalidHDF5File
from pyfive.dataobjects import determine_data_shape
from pyfive.datatype_msg import DatatypeMessage
from pyfive.misc_low_level import FractalHeap
from pyfive.p5t import (
    P5CompoundType,
    P5EnumType,
    P5FixedStringType,
    P5OpaqueType,
    P5ReferenceType,
    P5SequenceType,
    P5VlenStringType,
)

from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.readers._io.paged import PagedFile

UNDEFINED = 0xFFFF_FFFF_FFFF_FFFF
SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Object header message types (HDF5 file format specification, IV.A.2).
DATASPACE, LINK_INFO, DATATYPE, LINK, EXTERNAL_FILES, LAYOUT = 0x01, 0x02, 0x03, 0x06, 0x07, 0x08
ATTRIBUTE, CONTINUATION, SYMBOL_TABLE, ATTRIBUTE_INFO = 0x0C, 0x10, 0x11, 0x15
_SHARED = 0x02  # message flag: the message lives elsewhere (a committed datatype, or the SOHM heap)
# The messages kept of each header (fill values, times, B-tree sizes, filters and padding are not needed).
_KEPT = frozenset(
    (DATASPACE, LINK_INFO, DATATYPE, LINK, EXTERNAL_FILES, LAYOUT, ATTRIBUTE, SYMBOL_TABLE, ATTRIBUTE_INFO)
)

# Dataset layout classes.
COMPACT, CONTIGUOUS, CHUNKED, VIRTUAL = 0, 1, 2, 3

_SUPER_V0 = struct.Struct("<BBBBBBBBHHI")  # after the signature: version ... flags
_SUPER_V2 = struct.Struct("<BBBBQQQQ")  # version, sizes, flags, base, extension, eof, root
_HEADER_V1 = struct.Struct("<BxHII4x")  # version, messages, references, header size
_MESSAGE_V1 = struct.Struct("<HHB3x")  # type, size, flags
_MESSAGE_V2 = struct.Struct("<BHB")  # type, size, flags
_ADDRESS_LENGTH = struct.Struct("<QQ")
_U16, _U32, _U64 = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<Q")
_LOCAL_HEAP = struct.Struct("<4sB3xQQQ")  # signature, version, data size, free list, data address
_BTREE_V1 = struct.Struct("<4sBBHQQ")  # signature, node type, level, entries, left, right
_SYMBOL_NODE = struct.Struct("<4sBxH")  # signature, version, symbols
_SYMBOL_ENTRY = struct.Struct("<QQI4x16s")  # name offset, object header, cache type, scratch
_FRACTAL_HEAP = struct.Struct("<4sBHHBIQQQQQQQQQQQQHQQHHQH")
_FractalHeapHeader = namedtuple(
    "_FractalHeapHeader",
    "signature version id_length filters flags max_managed next_huge huge_btree free_space free_manager"
    " managed_space managed_allocated iterator managed_count huge_size huge_count tiny_size tiny_count"
    " width start_block max_block heap_bits start_rows root rows",
)
_BTREE_V2 = struct.Struct("<4sBBIHHBBQHQ")
_BTreeV2Header = namedtuple(
    "_BTreeV2Header", "signature version type node_size record_size depth split merge root root_records total"
)
_GLOBAL_OBJECT = struct.Struct("<HHIQ")  # index, references, reserved, size
_NAME_INDEXES: dict[int, type[BTreeV2]] = {5: BTreeV2GroupNames, 8: BTreeV2AttrNames}  # links, attributes


class LinkKind(Enum):
    HARD = "hard"
    SOFT = "soft"
    EXTERNAL = "external"
    USER = "user-defined"


class Link(NamedTuple):
    key: bytes  # the name as stored, which orders the links as HDF5 does
    kind: LinkKind
    address: int  # the object a hard link points to
    target: str  # what a soft or external link names


class HugeObject(NamedTuple):
    """A fractal heap object stored on its own, read only once its size is checked."""

    address: int
    length: int


class Message(NamedTuple):
    type: int
    flags: int
    data: bytes  # the header chunk holding the message
    start: int
    end: int


class ObjectHeader:
    """One object's header messages, read once."""

    __slots__ = ("address", "has_attributes", "is_dataset", "is_group", "messages")

    def __init__(self, address: int, messages: list[Message]) -> None:
        self.address = address
        self.messages = messages
        kinds = {message.type for message in messages}
        # As HDF5 decides: a group has a symbol table (old style) or link info (new style).
        self.is_group = SYMBOL_TABLE in kinds or LINK_INFO in kinds
        self.is_dataset = not self.is_group and DATATYPE in kinds and DATASPACE in kinds
        self.has_attributes = ATTRIBUTE in kinds or ATTRIBUTE_INFO in kinds

    def first(self, kind: int) -> Message | None:
        return next((message for message in self.messages if message.type == kind), None)

    def has(self, kind: int) -> bool:
        return any(message.type == kind for message in self.messages)


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset declares (shape, type) and how many bytes the file holds for it."""

    shape: list[int]
    dtype: str | None  # numpy's name for it, as h5py would map it; None: a type numpy cannot hold
    itemsize: int
    layout: int
    external: bool  # its data lives in raw files outside this one
    stored: int
    stored_exact: bool  # False: `stored` is an upper bound (the file's own size)


@contextmanager
def decoding(what: str) -> Iterator[None]:
    """pyfive's complaints about a malformed structure (its own exception, its
    assertions, arithmetic on impossible numbers) as one KerascopeError."""
    try:
        yield
    except (InvalidHDF5File, AssertionError, ArithmeticError) as error:
        raise KerascopeError(f"malformed HDF5 {what} ({type(error).__name__}: {error})") from None


class H5File:
    """An HDF5 file (or archive member) as a bounded source of object headers, links,
    dataset descriptions and heap objects. Addresses are the file's own (relative to
    the superblock), as every structure in it stores them."""

    def __init__(self, paged: PagedFile, limits: Limits) -> None:
        self.paged = paged
        self.limits = limits
        self.base = _find_signature(paged)
        self.size = paged.size - self.base  # bytes from the base address to the end of the file
        self.root = self._read_superblock()
        self._global_heaps: dict[int, tuple[bytes, dict[int, tuple[int, int]]]] = {}
        self._committed: dict[int, Message] = {}

    # -- bytes ------------------------------------------------------------------------
    def exactly(self, address: int, size: int, what: str) -> bytes:
        if address + size > self.size:
            raise KerascopeError(f"malformed HDF5: {what} at address {address:,} lies outside the file")
        return self.paged.read(self.base + address, size)

    def _read_superblock(self) -> int:
        head = self.paged.exactly(self.base + 8, 1, "superblock")
        version = head[0]
        if version in (0, 1):
            fields = _SUPER_V0.unpack(self.paged.exactly(self.base + 8, _SUPER_V0.size, "superblock"))
            sizes = fields[5], fields[6]
            after = self.base + 8 + _SUPER_V0.size + (4 if version == 1 else 0)
            # base, free space, end of file, driver info; then the root group's symbol table entry
            entry = self.paged.exactly(after + 32, _SYMBOL_ENTRY.size, "superblock root entry")
            root = _SYMBOL_ENTRY.unpack(entry)[1]
        elif version in (2, 3):
            fields = _SUPER_V2.unpack(self.paged.exactly(self.base + 8, _SUPER_V2.size, "superblock"))
            sizes, root = (fields[1], fields[2]), fields[7]
        else:
            raise KerascopeError(f"HDF5 superblock version {version} is not one kerascope reads")
        if sizes != (8, 8):
            raise KerascopeError(
                f"HDF5 file with {sizes[0]}-byte addresses and {sizes[1]}-byte lengths: not read"
            )
        return root

    # -- object headers ---------------------------------------------------------------
    def header(self, address: int) -> ObjectHeader:
        """The messages of the object header at `address`, continuations followed once each."""
        first = self.exactly(address, 1, "object header")[0]
        if first == 1:
            messages = self._header_v1(address)
        elif first == ord("O"):
            messages = self._header_v2(address)
        else:
            raise KerascopeError(f"malformed HDF5: no object header at address {address:,}")
        return ObjectHeader(address, messages)

    def _header_v1(self, address: int) -> list[Message]:
        _, _, _, size = _HEADER_V1.unpack(self.exactly(address, _HEADER_V1.size, "object header"))
        messages: list[Message] = []
        chunks, seen = deque([(address + _HEADER_V1.size, size)]), {address, address + _HEADER_V1.size}
        while chunks:
            start, length = chunks.popleft()
            data = self.exactly(start, length, "object header")
            position = 0
            while position + 8 <= length:
                kind, size, flags = _MESSAGE_V1.unpack_from(data, position)
                position += 8
                if position + size > length:
                    raise KerascopeError(
                        f"malformed HDF5: a message runs past its object header at {address:,}"
                    )
                if kind in _KEPT:
                    messages.append(Message(kind, flags, data, position, position + size))
                elif kind == CONTINUATION:
                    chunks.append(self._continuation(data, position, size, seen, address))
                position += size
        return messages

    def _header_v2(self, address: int) -> list[Message]:
        prefix = self.paged.read(self.base + address, 4 + 2 + 16 + 4 + 8)
        if prefix[:4] != b"OHDR" or len(prefix) < 7 or prefix[4] != 2:
            raise KerascopeError(f"malformed HDF5: bad object header at address {address:,}")
        flags = prefix[5]
        position = 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        width = 1 << (flags & 0x03)
        if position + width > len(prefix):
            raise KerascopeError(f"malformed HDF5: object header at {address:,} is cut short")
        size = int.from_bytes(prefix[position : position + width], "little")
        header_size = 6 if flags & 0x04 else 4  # with the creation order of each message
        messages: list[Message] = []
        chunks = deque([(address + position + width, size, 0)])
        seen = {address, address + position + width}
        while chunks:
            start, length, skip = chunks.popleft()
            data = self.exactly(start, length, "object header")
            position, end = skip, length - (4 if skip else 0)  # a continuation chunk: OCHK ... checksum
            if skip and data[:4] != b"OCHK":
                raise KerascopeError(f"malformed HDF5: bad continuation of the object header at {address:,}")
            while position + header_size <= end:
                kind, size, message_flags = _MESSAGE_V2.unpack_from(data, position)
                position += header_size
                if position + size > end:
                    raise KerascopeError(
                        f"malformed HDF5: a message runs past its object header at {address:,}"
                    )
                if kind in _KEPT:
                    messages.append(Message(kind, message_flags, data, position, position + size))
                elif kind == CONTINUATION:
                    chunks.append((*self._continuation(data, position, size, seen, address), 4))
                position += size
        return messages

    @staticmethod
    def _continuation(data: bytes, position: int, size: int, seen: set[int], address: int) -> tuple[int, int]:
        """Where a header continues (each place once: a header may not continue into itself)."""
        if size < 16:
            raise KerascopeError(f"malformed HDF5: a short continuation message in the header at {address:,}")
        start, length = _ADDRESS_LENGTH.unpack_from(data, position)
        if start in seen:
            raise KerascopeError(f"malformed HDF5: the object header at {address:,} continues into itself")
        seen.add(start)
        return start, length

    def shared(self, message: Message) -> Message:
        """A shared message resolved: a committed datatype's own message. (Messages in
        the shared-message heap are not read: no Keras writer uses them.)"""
        data, start = message.data, message.start
        version = data[start] if start < message.end else 0
        if version == 1:
            address = _U64.unpack_from(data, start + 8)[0]
        elif version == 2 or (version == 3 and data[start + 1] == 2):
            address = _U64.unpack_from(data, start + 2)[0]
        else:
            raise KerascopeError("an HDF5 message kept in the shared-message heap: not read")
        if address not in self._committed:
            committed = self.header(address).first(message.type)
            if committed is None or committed.flags & _SHARED:
                raise KerascopeError(f"malformed HDF5: a shared message points at nothing ({address:,})")
            self._committed[address] = committed
        return self._committed[address]

    # -- links ------------------------------------------------------------------------
    def links(self, group: ObjectHeader, tick: Callable[[], None]) -> list[Link]:
        """A group's links in HDF5's name order; `tick` is called once for each."""
        found: list[Link] = []
        for message in group.messages:
            if message.type == SYMBOL_TABLE:
                found.extend(self._symbol_table_links(message, tick))
            elif message.type == LINK:
                tick()
                found.append(decode_link(message.data, message.start, message.end))
            elif message.type == LINK_INFO:
                found.extend(self._dense_links(message, tick))
        found.sort(key=lambda link: link.key)
        return found

    def _symbol_table_links(self, message: Message, tick: Callable[[], None]) -> Iterator[Link]:
        btree, heap = _ADDRESS_LENGTH.unpack_from(message.data, message.start)
        names = self._local_heap(heap)
        leaves = self._group_btree_leaves(btree)
        if len(set(leaves)) != len(leaves):
            raise KerascopeError("malformed HDF5: a group's B-tree lists a symbol table node twice")
        for node in leaves:
            signature, _, count = _SYMBOL_NODE.unpack(self.exactly(node, _SYMBOL_NODE.size, "symbol table"))
            if signature != b"SNOD":
                raise KerascopeError(f"malformed HDF5: no symbol table node at address {node:,}")
            entries = self.exactly(node + _SYMBOL_NODE.size, count * _SYMBOL_ENTRY.size, "symbol table")
            for name_at, address, cache, scratch in _SYMBOL_ENTRY.iter_unpack(entries):
                tick()
                key = _heap_string(names, name_at)
                if cache == 2:  # a soft link: its value is a string in the same heap
                    value = _heap_string(names, _U32.unpack_from(scratch)[0])
                    yield Link(key, LinkKind.SOFT, UNDEFINED, value.decode("utf-8", "replace"))
                else:
                    yield Link(key, LinkKind.HARD, address, "")

    def _local_heap(self, address: int) -> bytes:
        signature, _, size, _, data = _LOCAL_HEAP.unpack(
            self.exactly(address, _LOCAL_HEAP.size, "local heap")
        )
        if signature != b"HEAP":
            raise KerascopeError(f"malformed HDF5: no local heap at address {address:,}")
        return self.exactly(data, size, "local heap")

    def _group_btree_leaves(self, address: int) -> list[int]:
        """The symbol table nodes of a group's B-tree, each node visited once."""
        leaves: list[int] = []
        stack: list[tuple[int, int | None]] = [(address, None)]
        seen: set[int] = set()
        while stack:
            node, level = stack.pop()
            if node in seen:
                raise KerascopeError(f"malformed HDF5: a group's B-tree reaches the node at {node:,} twice")
            seen.add(node)
            signature, kind, node_level, entries, _, _ = _BTREE_V1.unpack(
                self.exactly(node, _BTREE_V1.size, "B-tree node")
            )
            if signature != b"TREE" or kind != 0 or (level is not None and node_level != level):
                raise KerascopeError(f"malformed HDF5: bad group B-tree node at address {node:,}")
            body = self.exactly(node + _BTREE_V1.size, entries * 16 + 8, "B-tree node")
            children = [_U64.unpack_from(body, 16 * i + 8)[0] for i in range(entries)]
            if node_level == 0:
                leaves.extend(children)
            else:
                stack.extend((child, node_level - 1) for child in reversed(children))
        return leaves

    def _dense_links(self, message: Message, tick: Callable[[], None]) -> Iterator[Link]:
        data, start = message.data, message.start
        if message.end - start < 18 or data[start] != 0:
            raise KerascopeError("malformed HDF5: a bad link info message")
        position = start + 2 + (8 if data[start + 1] & 0x01 else 0)
        heap, names = _ADDRESS_LENGTH.unpack_from(data, position)
        if heap == UNDEFINED:
            return  # a new-style group whose links are all in its header
        for link in self.dense_records(heap, names, 5, tick, "links"):
            if isinstance(link, HugeObject):
                link = self.exactly(link.address, link.length, "link")
            yield decode_link(link, 0, len(link))

    # -- dense storage: a fractal heap indexed by a version 2 B-tree ------------------
    def dense_records(
        self, heap_address: int, btree_address: int, btree_type: int, tick: Callable[[], None], what: str
    ) -> Iterator[bytes | HugeObject]:
        """The heap objects a name-index B-tree lists (links, or attribute messages)."""
        heap = self.fractal_heap(heap_address, what)
        total = self._check_btree_v2(btree_address, btree_type, what)
        records = 0

        def count() -> None:
            nonlocal records
            records += 1
            if records > total:
                raise KerascopeError(
                    f"malformed HDF5: the B-tree of {what} holds more records than it declares"
                )
            tick()

        with decoding(what):
            btree = _counting(_NAME_INDEXES[btree_type], count)(self.paged.cursor(self.base), btree_address)
            for record in btree.iter_records():
                heap_id = record["heapid"]
                if heap_id and (heap_id[0] >> 4) & 0x03 == 1:
                    yield self._huge_object(heap, heap_id, what)
                    continue
                data = heap.get_data(heap_id)
                if data is None:
                    raise KerascopeError(f"malformed HDF5: {what} point outside their heap")
                yield data

    @staticmethod
    def _huge_object(heap: FractalHeap, heap_id: bytes, what: str) -> HugeObject:
        """Where a huge heap object is, from its ID or the heap's own B-tree of them."""
        if heap.huge_ids_are_filtered:
            raise KerascopeError(f"HDF5 {what} in filtered heap objects: not read")
        if heap.huge_ids_are_direct:
            return HugeObject(*_ADDRESS_LENGTH.unpack_from(heap_id, 1))
        if heap._huge_btree is None:
            raise KerascopeError(f"malformed HDF5: {what} in a heap without its index of huge objects")
        record = heap._huge_btree.find(int.from_bytes(heap_id[1 : 1 + heap._huge_id_size], "little"))
        return HugeObject(record["address"], record["length"])

    def fractal_heap(self, address: int, what: str) -> FractalHeap:
        """pyfive's fractal heap, once its header's sizes and counts are sane."""
        head = _FractalHeapHeader._make(
            _FRACTAL_HEAP.unpack(self.exactly(address, _FRACTAL_HEAP.size, "fractal heap"))
        )
        if head.signature != b"FRHP" or head.version != 0:
            raise KerascopeError(f"malformed HDF5: no fractal heap at address {address:,} for {what}")
        if not (
            _power_of_two(head.width, 1 << 12)
            and _power_of_two(head.start_block, head.max_block)
            and _power_of_two(head.max_block, self.limits.max_h5_metadata_bytes)
            and 0 < head.heap_bits <= 64
            and head.rows <= head.heap_bits
            and 0 < head.id_length <= 1024
        ):
            raise KerascopeError(f"malformed HDF5: the fractal heap of {what} declares impossible sizes")
        if head.filters:
            raise KerascopeError(f"HDF5 {what} in a filtered fractal heap: not read")
        if head.huge_btree != UNDEFINED:
            self._check_btree_v2(head.huge_btree, 1, what)
        with decoding(what):
            return _IndexedHeap(self.paged.cursor(self.base), address)

    def _check_btree_v2(self, address: int, kind: int, what: str) -> int:
        """A version 2 B-tree's header checked before pyfive walks it: its record count."""
        head = _BTreeV2Header._make(_BTREE_V2.unpack(self.exactly(address, _BTREE_V2.size, "B-tree")))
        sane_sizes = 0 < head.record_size < head.node_size <= 1 << 20
        if head.signature != b"BTHD" or head.type != kind or not sane_sizes or head.depth > 16:
            raise KerascopeError(f"malformed HDF5: bad B-tree header for {what} at address {address:,}")
        if head.total > self.limits.max_h5_objects:
            raise LimitExceeded(
                f"an HDF5 B-tree declares {head.total:,} {what}, more than {self.limits.max_h5_objects:,} "
                "(the object limit)"
            )
        return head.total

    # -- the global heap: variable-length strings --------------------------------------
    def global_heap_object(self, address: int, index: int) -> memoryview:
        """One object of a global heap collection; each collection is read once."""
        if address not in self._global_heaps:
            head = self.exactly(address, 16, "global heap")
            if head[:4] != b"GCOL" or head[4] != 1:
                raise KerascopeError(f"malformed HDF5: no global heap at address {address:,}")
            size = _U64.unpack_from(head, 8)[0]
            data = self.exactly(address, size, "global heap")
            objects, position = {}, 16
            while position + 16 <= size:
                number, _, _, length = _GLOBAL_OBJECT.unpack_from(data, position)
                if number == 0:
                    break  # free space to the end of the collection
                if position + 16 + length > size:
                    raise KerascopeError(
                        f"malformed HDF5: a global heap object overruns its collection ({address:,})"
                    )
                objects.setdefault(number, (position + 16, length))
                position += 16 + -(-length // 8) * 8
            self._global_heaps[address] = (data, objects)
        data, objects = self._global_heaps[address]
        if index not in objects:
            raise KerascopeError(f"malformed HDF5: global heap object {index} at {address:,} does not exist")
        start, length = objects[index]
        return memoryview(data)[start : start + length]

    # -- datasets ---------------------------------------------------------------------
    def describe(self, header: ObjectHeader, enough: Callable[[int], int]) -> DatasetInfo:
        """A dataset from its messages alone. `enough(declared)` says how many stored
        bytes end the count of a chunked dataset's chunks (no need to go further)."""
        space = header.first(DATASPACE)
        if space is None or space.flags & _SHARED:
            raise KerascopeError(f"HDF5 dataset at {header.address:,} without a readable dataspace")
        with decoding("dataspace"):
            dims = determine_data_shape(space.data, space.start)[0]
        shape = [int(d) for d in dims] if dims is not None else []
        dtype, itemsize = self.datatype(header)
        layout = header.first(LAYOUT)
        if layout is None:
            raise KerascopeError(f"HDF5 dataset at {header.address:,} without a layout message")
        declared = math.prod(shape) * itemsize
        kind, stored, exact = self._storage(layout, declared, enough(declared))
        return DatasetInfo(shape, dtype, itemsize, kind, header.has(EXTERNAL_FILES), stored, exact)

    def datatype(self, header: ObjectHeader) -> tuple[str | None, int]:
        message = header.first(DATATYPE)
        if message is None:
            raise KerascopeError(f"HDF5 object at {header.address:,} without a datatype")
        if message.flags & _SHARED:
            message = self.shared(message)
        return dtype_name(message.data, message.start)

    def _storage(self, message: Message, declared: int, enough: int) -> tuple[int, int, bool]:
        """The layout class, and the bytes of the file that hold the data (counted as
        HDF5 counts them, but never more than the file holds)."""
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
                return kind, self._present(address, declared), True
            if kind == CHUNKED:
                return kind, self._chunk_bytes(address, dims, enough), True
        elif version in (3, 4):
            kind = first
            if kind == COMPACT:
                return kind, _U16.unpack_from(data, start + 2)[0], True
            if kind == CONTIGUOUS:
                address, size = _ADDRESS_LENGTH.unpack_from(data, start + 2)
                return kind, self._present(address, size), True
            if kind == CHUNKED and version == 3:
                dims, address = struct.unpack_from("<BQ", data, start + 2)
                return kind, self._chunk_bytes(address, dims, enough), True
            if kind == CHUNKED:
                return (kind, *self._indexed_chunks(data, start + 2, declared))
            if kind == VIRTUAL:
                return kind, 0, True
        raise KerascopeError(f"malformed HDF5: a layout message of version {version} and class {first}")

    def _present(self, address: int, size: int) -> int:
        """Of `size` bytes at `address`, how many the file holds."""
        if address == UNDEFINED or address >= self.size:
            return 0
        return min(size, self.size - address)

    def _chunk_bytes(self, address: int, dims: int, enough: int) -> int:
        """The bytes of a chunked dataset's chunks, from its version 1 B-tree, each node
        read once, stopping once `enough` are counted."""
        total, stack, seen = 0, [(address, -1)], set()
        key = 8 + 8 * dims
        while stack and total < enough and address != UNDEFINED:
            node, level = stack.pop()
            if node in seen:
                raise KerascopeError(f"malformed HDF5: a chunk B-tree reaches the node at {node:,} twice")
            seen.add(node)
            signature, kind, node_level, entries, _, _ = _BTREE_V1.unpack(
                self.exactly(node, _BTREE_V1.size, "chunk B-tree node")
            )
            if signature != b"TREE" or kind != 1 or level not in (-1, node_level):
                raise KerascopeError(f"malformed HDF5: bad chunk B-tree node at address {node:,}")
            body = self.exactly(node + _BTREE_V1.size, entries * (key + 8) + key, "chunk B-tree node")
            for entry in range(entries):
                at = entry * (key + 8)
                if node_level == 0:
                    total += _U32.unpack_from(body, at)[0]
                else:
                    stack.append((_U64.unpack_from(body, at + key)[0], node_level - 1))
        return min(total, self.size)

    def _indexed_chunks(self, data: bytes, position: int, declared: int) -> tuple[int, bool]:
        """A version 4 chunked layout: exact for one chunk or implicit (all chunks
        allocated); for the array and B-tree indexes, at most the file's own size."""
        flags, dims, width = data[position], data[position + 1], data[position + 2]
        position += 3
        chunk = math.prod(
            int.from_bytes(data[position + width * i : position + width * (i + 1)], "little")
            for i in range(dims)
        )
        position += width * dims
        index = data[position]
        position += 1
        if index == 1:  # a single chunk
            if flags & 0x02:  # filtered: its stored size is recorded
                size, _, address = struct.unpack_from("<QIQ", data, position)
                return self._present(address, size), True
            return self._present(_U64.unpack_from(data, position)[0], chunk), True
        if index == 2:  # implicit: every chunk allocated when the dataset was created
            return self._present(_U64.unpack_from(data, position)[0], declared), True
        return self.size, False


class _IndexedHeap(FractalHeap):
    """pyfive's fractal heap, finding an object's block by bisection rather than by a
    scan of every block for every object (blocks x objects steps on a large heap)."""

    def __init__(self, fh: Any, offset: int) -> None:
        super().__init__(fh, offset)
        self._sorted_blocks = sorted(self.blocks)
        self._block_starts = [block[0] for block in self._sorted_blocks]

    def _heapid_to_buffer_offset(self, heapid_offset: int) -> int:
        index = bisect_right(self._block_starts, heapid_offset) - 1
        if index >= 0:
            heap_offset, buffer_offset, size = self._sorted_blocks[index]
            if heapid_offset < heap_offset + size:
                return buffer_offset + heapid_offset - heap_offset
        raise KeyError("HeapID offset not inside any heap block")


def _counting(btree_class: type[BTreeV2], count: Callable[[], None]) -> type[BTreeV2]:
    """pyfive's B-tree, calling `count` before it keeps each record: a tree whose
    nodes point back at each other ends at its declared record count."""

    class Counting(btree_class):  # type: ignore[valid-type, misc]
        def _parse_record(self, record: bytes) -> Any:
            count()
            return super()._parse_record(record)

    return Counting


def _find_signature(paged: PagedFile) -> int:
    """HDF5's signature at 0, 512, 1024, 2048, ... (after a user block)."""
    offset = 0
    while offset + len(SIGNATURE) <= paged.size:
        if paged.read(offset, len(SIGNATURE)) == SIGNATURE:
            return offset
        offset = 512 if offset == 0 else offset * 2
    raise KerascopeError("no HDF5 signature")


def _heap_string(heap: bytes, offset: int) -> bytes:
    end = heap.find(b"\0", offset)
    if offset >= len(heap) or end < 0:
        raise KerascopeError("malformed HDF5: a name outside its group's heap")
    return heap[offset:end]


def _power_of_two(value: int, most: int) -> bool:
    return 0 < value <= most and value & (value - 1) == 0


def decode_link(data: bytes, start: int, end: int) -> Link:
    """A link message (IV.A.2.g): hard, soft, external or user-defined."""
    if end - start < 3 or data[start] != 1:
        raise KerascopeError("malformed HDF5: a bad link message")
    flags = data[start + 1]
    position = start + 2
    kind = 0
    if flags & 0x08:
        kind = data[position]
        position += 1
    position += (8 if flags & 0x04 else 0) + (1 if flags & 0x10 else 0)
    width = 1 << (flags & 0x03)
    length = int.from_bytes(data[position : position + width], "little")
    position += width
    key = data[position : position + length]
    position += length
    if position > end or len(key) != length:
        raise KerascopeError("malformed HDF5: a link message runs past its end")
    if kind == 0:
        if position + 8 > end:
            raise KerascopeError("malformed HDF5: a hard link without an address")
        return Link(key, LinkKind.HARD, _U64.unpack_from(data, position)[0], "")
    size = _U16.unpack_from(data, position)[0] if position + 2 <= end else 0
    value = data[position + 2 : min(position + 2 + size, end)]
    if kind == 1:
        return Link(key, LinkKind.SOFT, UNDEFINED, value.decode("utf-8", "replace"))
    if kind == 64:  # a flags byte, then the file name and the object path, each NUL-terminated
        file, _, rest = value[1:].partition(b"\0")
        path = rest.partition(b"\0")[0]
        return Link(
            key,
            LinkKind.EXTERNAL,
            UNDEFINED,
            f"{file.decode('utf-8', 'replace')}:{path.decode('utf-8', 'replace')}",
        )
    return Link(key, LinkKind.USER, UNDEFINED, f"type {kind}")


def dtype_name(data: bytes, start: int) -> tuple[str | None, int]:
    """numpy's name for an HDF5 datatype, as h5py maps it, and its size in numpy.
    None for a type numpy has no equivalent of (time, bitfield, array)."""
    raw_size = _U32.unpack_from(data, start + 4)[0]
    try:
        with decoding("datatype"):
            ptype = DatatypeMessage(data, start).ptype
    except NotImplementedError:
        return None, raw_size
    if isinstance(ptype, (P5VlenStringType, P5SequenceType, P5ReferenceType)):
        return "object", np.dtype(object).itemsize
    if isinstance(ptype, P5EnumType):
        if sorted(ptype.mapping) == ["FALSE", "TRUE"] and {k: int(v) for k, v in ptype.mapping.items()} == {
            "FALSE": 0,
            "TRUE": 1,
        }:
            return "bool", 1
        return ptype.base_dtype.name, ptype.base_dtype.itemsize
    if isinstance(ptype, P5OpaqueType):
        return str(np.dtype(f"V{raw_size}")), raw_size
    try:
        dtype = np.dtype(f"S{raw_size}") if isinstance(ptype, P5FixedStringType) else ptype.dtype
    except (TypeError, ValueError, KeyError):
        return None, raw_size
    if isinstance(ptype, P5CompoundType) and not ptype.is_complex:
        return str(dtype), raw_size
    return (dtype.name if dtype.kind != "V" else str(dtype)), dtype.itemsize
