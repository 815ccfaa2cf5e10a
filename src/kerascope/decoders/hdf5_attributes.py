"""HDF5 attributes, read only when asked for and sized before they are read.

An attribute's header (name, type, shape) is cheap; its value may not be: a
fixed-length string can claim gigabytes, and an array of variable-length
strings can point every element at the same large heap object, so that a few
kilobytes of file become gigabytes of text. Every value is therefore costed
first, element by element and with the heap objects its elements point at, and
refused over `Limits.max_h5_attribute_bytes` before any string is made. Only text
is decoded: Keras stores names, configs and versions as strings.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator
from typing import NamedTuple

from kerascope.decoders.hdf5_format import (
    ATTRIBUTE,
    ATTRIBUTE_INFO,
    DATATYPE,
    SHARED,
    H5File,
    Message,
    ObjectHeader,
)
from kerascope.decoders.hdf5_pyfive import (
    ATTRIBUTE_NAMES,
    UNDEFINED,
    HugeObject,
    data_shape,
    dense_records,
)
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded

ELEMENT_COST = 64  # what one string of a value costs at least, however short
_STRING, _VARIABLE_LENGTH = 3, 9  # datatype classes
_VLEN_ELEMENT = struct.Struct("<IQI")  # length, global heap collection, object index
_ATTRIBUTE_V1 = struct.Struct("<BxHHH")  # version, name size, datatype size, dataspace size
_ATTRIBUTE_V3 = struct.Struct("<BBHHHB")  # ... and flags; version 3 adds the name's encoding
_MOST_PREFIX = 9 + 3 * 0x10000  # an attribute message's header, name, datatype and dataspace at most


class Attribute(NamedTuple):
    name: str
    type_class: int
    type_size: int
    vlen_string: bool
    shape: tuple[int, ...] | None  # None: HDF5's empty (NULL) dataspace, no value at all
    data: bytes | None  # the message holding the value; None: a huge heap object, in the file
    value_at: int  # where the value starts: in `data`, or (a huge object's) in the file
    available: int  # bytes the stored value holds

    @property
    def count(self) -> int:
        return math.prod(self.shape) if self.shape is not None else 0

    @property
    def is_text(self) -> bool:
        return self.type_class == _STRING or self.vlen_string


class Allowance:
    """What one attribute value (or a list split over several) may still take."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, cost: int, name: str) -> None:
        self.left -= cost
        if self.left < 0:
            raise LimitExceeded(
                f"HDF5 attribute {name!r} holds more than {self.limit:,} bytes (the HDF5 attribute limit)",
                "max_h5_attribute_bytes",
            )


class H5Attributes:
    """The attributes of one object: names listed on first use, values decoded on request."""

    def __init__(self, file: H5File, header: ObjectHeader, tick: Callable[[], None]) -> None:
        self._file = file
        self._header = header
        self._tick = tick
        self._found: dict[str, Attribute] | None = None
        self.limit = file.limits.max_h5_attribute_bytes

    @property
    def _attributes(self) -> dict[str, Attribute]:
        if self._found is None:
            self._found = {}
            for attribute in self._read_all():
                self._found.setdefault(attribute.name, attribute)
        return self._found

    def __contains__(self, name: object) -> bool:
        return name in self._attributes

    def __iter__(self) -> Iterator[str]:
        return iter(self._attributes)

    def nbytes(self, name: str) -> int:
        """The bytes the value's text would take, from its header and its strings'
        declared lengths: nothing is read from a heap."""
        attribute = self._attributes[name]
        if not attribute.is_text or attribute.shape is None:
            return 0
        if not attribute.vlen_string:
            return attribute.count * attribute.type_size
        return sum(length for length, _, _ in self._vlen_elements(attribute))

    def strings(self, name: str, allowance: Allowance) -> list[str] | None:
        """Every string of a text attribute, in order (one for a scalar); None when
        the value is not text. The whole value is costed against `allowance` before
        any string is made or any heap holding one is read: a variable-length string
        is taken at most at its declared length, whatever heap object it points at."""
        attribute = self._attributes[name]
        if not attribute.is_text or attribute.shape is None:
            return None
        count = attribute.count
        allowance.take(count * ELEMENT_COST, name)
        if not attribute.vlen_string:
            size = attribute.type_size
            allowance.take(count * max(size - ELEMENT_COST, 0), name)
            raw = self._value(attribute, count * size)
            return [
                raw[i * size : (i + 1) * size].rstrip(b"\0").decode("utf-8", "replace") for i in range(count)
            ]
        elements = list(self._vlen_elements(attribute))
        allowance.take(sum(max(length - ELEMENT_COST, 0) for length, _, _ in elements), name)
        # h5py reads a variable-length string as C text: it ends at the first NUL
        return [
            bytes(self._vlen_object(element)).partition(b"\0")[0].decode("utf-8", "replace")
            for element in elements
        ]

    def is_scalar(self, name: str) -> bool:
        return self._attributes[name].shape == ()

    def is_empty(self, name: str) -> bool:
        return self._attributes[name].count == 0

    # -- values -----------------------------------------------------------------------
    def _value(self, attribute: Attribute, size: int) -> bytes:
        """The first `size` bytes of the stored value."""
        if size > attribute.available:
            raise KerascopeError(f"malformed HDF5: the value of attribute {attribute.name!r} is cut short")
        if attribute.data is None:
            return self._file.exactly(attribute.value_at, size, "attribute value")
        return attribute.data[attribute.value_at : attribute.value_at + size]

    def _vlen_elements(self, attribute: Attribute) -> Iterator[tuple[int, int, int]]:
        raw = self._value(attribute, attribute.count * _VLEN_ELEMENT.size)
        return _VLEN_ELEMENT.iter_unpack(raw)

    def _vlen_object(self, element: tuple[int, int, int]) -> memoryview:
        """A variable-length string's bytes: at most its declared length of its heap object."""
        length, collection, index = element
        if collection == 0:
            return memoryview(b"")  # a NULL string
        return self._file.global_heap_object(collection, index)[:length]

    # -- attribute messages -----------------------------------------------------------
    def _read_all(self) -> Iterator[Attribute]:
        for message in self._header.messages:
            if message.type == ATTRIBUTE:
                self._tick()
                yield self._parse(message.data, message.start, message.end, None)
            elif message.type == ATTRIBUTE_INFO:
                yield from self._dense(message)

    def _dense(self, message: Message) -> Iterator[Attribute]:
        """Attributes kept in a fractal heap, indexed by name (HDF5 does this past 8
        attributes, or for a value over 64 KiB)."""
        data, start = message.data, message.start
        if message.end - start < 18 or data[start] != 0:
            raise KerascopeError("malformed HDF5: a bad attribute info message")
        position = start + 2 + (2 if data[start + 1] & 0x01 else 0)
        heap, names = struct.unpack_from("<QQ", data, position)
        if heap == UNDEFINED:
            return
        for record in dense_records(self._file, heap, names, ATTRIBUTE_NAMES, self._tick, "attributes"):
            if isinstance(record, HugeObject):
                prefix = self._file.exactly(record.address, min(record.length, _MOST_PREFIX), "attribute")
                yield self._parse(prefix, 0, record.length, record.address)
            else:
                yield self._parse(record, 0, len(record), None)

    def _parse(self, data: bytes, start: int, end: int, address: int | None) -> Attribute:
        """An attribute message (IV.A.2.m). `end` is where it ends; when `address` is
        set, `data` holds only its beginning and the value is read from the file."""
        version = data[start]
        if version == 1:
            _, name_size, type_size, space_size = _ATTRIBUTE_V1.unpack_from(data, start)
            flags, position, align = 0, start + 8, 8
        elif version in (2, 3):
            _, flags, name_size, type_size, space_size, _ = _ATTRIBUTE_V3.unpack_from(data, start)
            position, align = start + (9 if version == 3 else 8), 1
        else:
            raise KerascopeError(f"malformed HDF5: an attribute message of version {version}")
        name = data[position : position + name_size].rstrip(b"\0").decode("utf-8", "replace")
        position += _padded(name_size, align)
        type_message = Message(DATATYPE, SHARED if flags & 0x01 else 0, data, position, position + type_size)
        position += _padded(type_size, align)
        space_at = position
        position += _padded(space_size, align)
        if position > min(end, len(data)) or flags & 0x02:
            raise KerascopeError(f"malformed HDF5: attribute {name!r} has a bad header")
        if type_message.flags & SHARED:
            type_message = self._file.shared(type_message)
        type_data, type_at = type_message.data, type_message.start
        type_class = type_data[type_at] & 0x0F
        type_size_bytes = struct.unpack_from("<I", type_data, type_at + 4)[0]
        vlen_string = type_class == _VARIABLE_LENGTH and type_data[type_at + 1] & 0x0F == 1
        shape = data_shape(data, space_at)
        if address is None:
            return Attribute(
                name, type_class, type_size_bytes, vlen_string, shape, data, position, end - position
            )
        return Attribute(
            name, type_class, type_size_bytes, vlen_string, shape, None, address + position, end - position
        )


def _padded(size: int, align: int) -> int:
    return -(-size // align) * align
