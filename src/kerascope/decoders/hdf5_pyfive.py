"""The pieces of pyfive the HDF5 reader uses, each behind a check.

pyfive decodes datatypes, dataspaces, fractal heaps and version 2 B-trees (new-style
groups keep their links, and objects past 8 attributes their attributes, in a heap
indexed by such a tree). It trusts the counts and sizes it reads, so each header is
read and checked here first; its B-trees count the records they keep, and stop at
the number declared; its heaps find an object by bisection. Its reads go through
the paged file, so each is charged to the metadata budget before it is made, and its
complaints (its own exception, its assertions) become one KerascopeError.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol

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
    P5FloatType,
    P5IntegerType,
    P5OpaqueType,
    P5ReferenceType,
    P5SequenceType,
    P5VlenStringType,
)

from kerascope.decoders.dtypes import from_numpy
from kerascope.decoders.paged import PagedFile
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits


class H5File(Protocol):
    """What these adapters need of an open HDF5 file (`hdf5_format.H5File`): its pages,
    where its addresses start, exact reads and the limits. Declared here so that the
    file's parser can use the adapters without the two importing each other."""

    paged: PagedFile
    base: int
    limits: Limits

    def exactly(self, address: int, size: int, what: str) -> bytes: ...


UNDEFINED = 0xFFFF_FFFF_FFFF_FFFF
LINK_NAMES, ATTRIBUTE_NAMES = 5, 8  # the name-index B-trees of dense links and attributes
_NAME_INDEXES: dict[int, type[BTreeV2]] = {LINK_NAMES: BTreeV2GroupNames, ATTRIBUTE_NAMES: BTreeV2AttrNames}
_ADDRESS_LENGTH = struct.Struct("<QQ")
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


@contextmanager
def decoding(what: str) -> Iterator[None]:
    """pyfive's complaints about a malformed structure (its own exception, its
    assertions, arithmetic on impossible numbers) as one KerascopeError."""
    try:
        yield
    except (InvalidHDF5File, AssertionError, ArithmeticError) as error:
        raise KerascopeError(f"malformed HDF5 {what} ({type(error).__name__}: {error})") from None


def data_shape(data: bytes, start: int) -> tuple[int, ...] | None:
    """A dataspace message's dimensions; None for HDF5's empty (NULL) dataspace."""
    with decoding("dataspace"):
        dims = determine_data_shape(data, start)[0]
    return tuple(int(d) for d in dims) if dims is not None else None


class HugeObject(NamedTuple):
    """A fractal heap object stored on its own, read only once its size is checked."""

    address: int
    length: int


def dense_records(
    file: H5File, heap_address: int, btree_address: int, btree_type: int, tick: Callable[[], None], what: str
) -> Iterator[bytes | HugeObject]:
    """The heap objects a name-index B-tree lists (link messages, or attribute messages).
    `tick` is called for each record before it is kept."""
    heap = _fractal_heap(file, heap_address, what)
    total = _check_btree_v2(file, btree_address, btree_type, what)
    records = 0

    def count() -> None:
        nonlocal records
        records += 1
        if records > total:
            raise KerascopeError(f"malformed HDF5: the B-tree of {what} holds more records than it declares")
        tick()

    with decoding(what):
        btree = _counting(_NAME_INDEXES[btree_type], count)(file.paged.cursor(file.base), btree_address)
        for record in btree.iter_records():
            heap_id = record["heapid"]
            if heap_id and (heap_id[0] >> 4) & 0x03 == 1:
                yield _huge_object(heap, heap_id, what)
                continue
            data = heap.get_data(heap_id)
            if data is None:
                raise KerascopeError(f"malformed HDF5: {what} point outside their heap")
            yield data


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


def _fractal_heap(file: H5File, address: int, what: str) -> FractalHeap:
    """pyfive's fractal heap, once its header's sizes and counts are sane. Building it
    reads every block of the heap: that is charged to the metadata budget."""
    head = _FractalHeapHeader._make(
        _FRACTAL_HEAP.unpack(file.exactly(address, _FRACTAL_HEAP.size, "fractal heap"))
    )
    if head.signature != b"FRHP" or head.version != 0:
        raise KerascopeError(f"malformed HDF5: no fractal heap at address {address:,} for {what}")
    if not (
        _power_of_two(head.width, 1 << 12)
        and _power_of_two(head.start_block, head.max_block)
        and _power_of_two(head.max_block, file.limits.max_h5_metadata_bytes)
        and 0 < head.heap_bits <= 64
        and head.rows <= head.heap_bits
        and 0 < head.id_length <= 1024
    ):
        raise KerascopeError(f"malformed HDF5: the fractal heap of {what} declares impossible sizes")
    if head.filters:
        raise KerascopeError(f"HDF5 {what} in a filtered fractal heap: not read")
    if head.huge_btree != UNDEFINED:
        _check_btree_v2(file, head.huge_btree, 1, what)  # pyfive reads this one whole
    with decoding(what):
        return _IndexedHeap(file.paged.cursor(file.base), address)


def _check_btree_v2(file: H5File, address: int, kind: int, what: str) -> int:
    """A version 2 B-tree's header checked before pyfive walks the tree: its record count."""
    head = _BTreeV2Header._make(_BTREE_V2.unpack(file.exactly(address, _BTREE_V2.size, "B-tree")))
    sane_sizes = 0 < head.record_size < head.node_size <= 1 << 20
    if head.signature != b"BTHD" or head.type != kind or not sane_sizes or head.depth > 16:
        raise KerascopeError(f"malformed HDF5: bad B-tree header for {what} at address {address:,}")
    if head.total > file.limits.max_h5_objects:
        raise LimitExceeded(
            f"an HDF5 B-tree declares {head.total:,} {what}, more than {file.limits.max_h5_objects:,} "
            "(the object limit)",
            "max_h5_objects",
        )
    return head.total


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


def _power_of_two(value: int, most: int) -> bool:
    return 0 < value <= most and value & (value - 1) == 0


def _datatype(data: bytes, start: int) -> tuple[Any, int]:
    """pyfive's decoding of an HDF5 datatype message (None for a class or size it has no
    numpy type for, an 8-bit float say), and the size the message declares."""
    raw_size = struct.unpack_from("<I", data, start + 4)[0]
    try:
        with decoding("datatype"):
            return DatatypeMessage(data, start).ptype, raw_size
    except (NotImplementedError, TypeError, ValueError, KeyError):
        return None, raw_size


def dtype_name(data: bytes, start: int) -> tuple[str | None, int]:
    """numpy's name for an HDF5 datatype, as h5py maps it, and its size in numpy.
    None for a type numpy has no equivalent of (time, bitfield, array)."""
    ptype, raw_size = _datatype(data, start)
    if ptype is None:
        return None, raw_size
    if isinstance(ptype, (P5VlenStringType, P5SequenceType, P5ReferenceType)):
        return "object", np.dtype(object).itemsize
    if isinstance(ptype, P5EnumType):
        if _is_bool(ptype):
            return "bool", 1  # how h5py stores numpy's bool
        return ptype.base_dtype.name, ptype.base_dtype.itemsize
    if isinstance(ptype, P5OpaqueType):
        return str(np.dtype(f"V{raw_size}")), raw_size
    try:
        dtype = np.dtype(f"S{raw_size}") if isinstance(ptype, P5FixedStringType) else ptype.dtype
    except (TypeError, ValueError, KeyError):
        return None, raw_size
    if isinstance(ptype, P5CompoundType) and not ptype.is_complex:
        return str(dtype), raw_size
    return from_numpy(dtype), dtype.itemsize


def stored_dtype(data: bytes, start: int) -> np.dtype | None:
    """numpy's type of the bytes a numeric dataset stores, byte order included: a float,
    an integer (h5py's enum of bool too), or opaque bytes (a Keras bfloat16); None for
    any other type, which holds no numbers kerascope reads."""
    ptype, raw_size = _datatype(data, start)
    if isinstance(ptype, P5EnumType):
        return np.dtype(ptype.base_dtype) if _is_bool(ptype) else None
    if isinstance(ptype, P5OpaqueType):
        return np.dtype(f"V{raw_size}")
    if isinstance(ptype, (P5IntegerType, P5FloatType)):
        dtype = np.dtype(ptype.dtype)
        return dtype if dtype.kind in "fiu" and dtype.itemsize == raw_size else None
    return None


def _is_bool(ptype: P5EnumType) -> bool:
    return {name: int(value) for name, value in ptype.mapping.items()} == {"FALSE": 0, "TRUE": 1}
