"""The HDF5 file format, decoded within limits: superblock, object headers, links and
the global heap.

The structures a hostile file can make endless or huge are walked here, with every
count and size checked before it is acted on: object header continuations, the
symbol-table B-trees and local heaps of old-style groups, global heap collections.
pyfive decodes the self-contained pieces (`hdf5_pyfive`). Nothing is resolved by
name: soft and external links come back as what they say, for the caller to
report, and no other file is ever opened.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable, Iterator
from enum import Enum
from typing import NamedTuple

from kerascope.decoders.hdf5_pyfive import LINK_NAMES, UNDEFINED, HugeObject, dense_records
from kerascope.decoders.paged import PagedFile
from kerascope.errors import KerascopeError
from kerascope.limits import Limits

SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Object header message types (HDF5 file format specification, IV.A.2).
DATASPACE, LINK_INFO, DATATYPE, FILL_VALUE, LINK, EXTERNAL_FILES = 0x01, 0x02, 0x03, 0x05, 0x06, 0x07
LAYOUT, FILTER_PIPELINE, ATTRIBUTE, CONTINUATION, SYMBOL_TABLE, ATTRIBUTE_INFO = (
    0x08,
    0x0B,
    0x0C,
    0x10,
    0x11,
    0x15,
)
SHARED = 0x02  # message flag: the message lives elsewhere (a committed datatype, or the SOHM heap)
# The messages kept of each header (times, B-tree sizes and padding are not needed).
_KEPT = frozenset(
    (
        DATASPACE, LINK_INFO, DATATYPE, FILL_VALUE, LINK, EXTERNAL_FILES, LAYOUT, FILTER_PIPELINE,
        ATTRIBUTE, SYMBOL_TABLE, ATTRIBUTE_INFO,
    )
)  # fmt: skip

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
_GLOBAL_OBJECT = struct.Struct("<HHIQ")  # index, references, reserved, size


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

    def values(self, address: int, size: int, what: str) -> bytes:
        """Stored values (a dataset's data, a chunk): read straight from the file, not
        cached and not charged to the metadata budget (the value limits bound them)."""
        if address + size > self.size:
            raise KerascopeError(f"malformed HDF5: {what} at address {address:,} lies outside the file")
        return self.paged.read_through(self.base + address, size)

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
            if committed is None or committed.flags & SHARED:
                raise KerascopeError(f"malformed HDF5: a shared message points at nothing ({address:,})")
            self._committed[address] = committed
        return self._committed[address]

    # -- fetching ahead ---------------------------------------------------------------
    # A remote file is read by range requests: one round trip per structure would be
    # thousands. The walk asks for a whole level of the tree at once instead: these
    # name the structures it will read next, and the stream fetches them together.
    # Each is a hint; what is then read is decoded and checked as always.
    HEADER_GUESS = 512  # bytes of an object header read ahead (a continuation is read when met)

    def prefetch_headers(self, addresses: list[int]) -> None:
        if not self.paged.fetches_remotely:
            return
        self.paged.prefetch([(self.base + address, self.HEADER_GUESS) for address in addresses])

    def prefetch_links(self, groups: list[ObjectHeader]) -> None:
        """Fetch what `links()` will read for each of `groups`: symbol-table groups keep
        their links in a local heap and a B-tree of symbol-table nodes, two steps."""
        if not self.paged.fetches_remotely:
            return
        tables = [
            _ADDRESS_LENGTH.unpack_from(message.data, message.start)
            for group in groups
            for message in group.messages
            if message.type == SYMBOL_TABLE and message.end - message.start >= _ADDRESS_LENGTH.size
        ]
        if not tables:
            return
        self.paged.prefetch(
            [(self.base + btree, _BTREE_V1.size + 16 * 33) for btree, _ in tables]
            + [(self.base + heap, _LOCAL_HEAP.size) for _, heap in tables]
        )
        ahead = []
        for _, heap in tables:
            try:
                _, _, size, _, data = _LOCAL_HEAP.unpack(self.exactly(heap, _LOCAL_HEAP.size, "local heap"))
                ahead.append((self.base + data, min(size, self.HEADER_GUESS * 8)))
            except (KerascopeError, struct.error):
                continue  # the walk itself reads it again, and says what is wrong
        nodes, seen = [btree for btree, _ in tables], set()
        while nodes:  # a large group's B-tree has inner levels: one batch per level
            inner = []
            for node in nodes:
                if node in seen or len(seen) > self.limits.max_h5_objects:
                    continue
                seen.add(node)
                try:
                    _, _, level, entries, _, _ = _BTREE_V1.unpack(
                        self.exactly(node, _BTREE_V1.size, "B-tree node")
                    )
                    body = self.exactly(node + _BTREE_V1.size, entries * 16 + 8, "B-tree node")
                except (KerascopeError, struct.error):
                    continue
                children = [_U64.unpack_from(body, 16 * i + 8)[0] for i in range(entries)]
                if level == 0:
                    ahead += [
                        (self.base + child, _SYMBOL_NODE.size + 32 * _SYMBOL_ENTRY.size) for child in children
                    ]
                else:
                    inner += children
            self.paged.prefetch([(self.base + node, _BTREE_V1.size + 16 * 33) for node in inner] + ahead)
            ahead, nodes = [], inner

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
        for link in dense_records(self, heap, names, LINK_NAMES, tick, "links"):
            if isinstance(link, HugeObject):
                link = self.exactly(link.address, link.length, "link")
            yield decode_link(link, 0, len(link))

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
