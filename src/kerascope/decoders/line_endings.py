"""Undoing a line-ending conversion of a binary file, in memory, when its structure allows.

Git (with `autocrlf` or a `text` attribute) and text-mode transfers turn every
`\\r\\n` in a file into `\\n` on the way in, and every `\\n` into `\\r\\n` on the way
out to Windows. In a binary file either changes bytes: an HDF5 file's signature
(`\\x89HDF\\r\\n\\x1a\\n`) loses its CR; a protobuf message written by a Windows tool
(TensorFlow.NET pretty-prints JSON with CRLF line ends inside `keras_metadata.pb`)
keeps length prefixes that now overshoot; and one that went out to Windows has a
CR before every byte 0x0A, its first tag (`\\x0a`, field 1) included, which no
parser (TensorFlow's own included) reads as the message it was.

A CR put before every LF is undone by taking every CR before an LF out again
(`inserted_crs`, `remove_inserted_crs`); the caller keeps the copy only when it
parses, as its length prefixes must then all agree.

A protobuf message says how long each field is, so the conversion can be undone
where the lost CRs were in text: a length-delimited field is read as a nested
message when it parses as one, else as text whose every LF was a CRLF (the count
must land exactly on the stated length, and the text must be UTF-8). Where that
cannot reproduce every stated length the file is not repaired, and the reader
says the line endings were converted. The walk is bounded by a budget of steps
(each field read, and each 64 bytes of text scanned or copied, is one) that grows
with the file up to a fixed ceiling, and by a depth of nesting, whatever the bytes.
"""

from __future__ import annotations

from kerascope.errors import KerascopeError

HDF5_CONVERTED_SIGNATURE = b"\x89HDF\n\x1a\n"
_LF, _CR = 0x0A, 0x0D
_STEPS_PER_BYTE = 64  # the repair's budget: nested attempts per byte of the file,
_MAX_STEPS = 250_000  # and at most this many, whatever its size (a few seconds at worst)
_MAX_DEPTH = 100  # protobuf's own default bound on nesting
_STEP_BYTES = 64  # bytes scanned or copied per step


class _OutOfSteps(Exception):
    pass


class _Repair:
    """The budget left, and the fields already found not to hold a nested message
    (tried once each: a chain of failing nested attempts is not walked again)."""

    def __init__(self, data: bytes) -> None:
        self.left = min(len(data) * _STEPS_PER_BYTE, _MAX_STEPS)
        self.not_nested: set[tuple[int, int]] = set()

    def spend(self, count: int = 1) -> None:
        self.left -= count
        if self.left < 0:
            raise _OutOfSteps


def converted(data: bytes) -> bool:
    """Bytes that may have lost their CRs: line feeds, and not one carriage return."""
    return b"\n" in data and b"\r" not in data


def inserted_crs(data: bytes) -> bool:
    """Bytes that may have had a CR put before every LF (LF to CRLF): every LF has one."""
    lines = data.count(b"\n")
    return lines > 0 and data.count(b"\r\n") == lines


def remove_inserted_crs(data: bytes) -> bytes:
    """`data` with the CR before every LF taken out: the bytes before an LF-to-CRLF
    conversion, when it had one (a parse of the copy says)."""
    return data.replace(b"\r\n", b"\n")


def repair_protobuf(data: bytes) -> bytes | None:
    """`data` with the CRs a CRLF conversion removed put back, or None when the
    message's own lengths cannot be met that way."""
    if not converted(data):
        return None
    try:
        repaired, end = _message(data, 0, None, _Repair(data), 0)
    except (_OutOfSteps, IndexError, ValueError):
        return None
    return bytes(repaired) if end == len(data) else None


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _message(
    data: bytes, position: int, length: int | None, repair: _Repair, depth: int
) -> tuple[bytearray, int]:
    """A message of `length` repaired bytes (or to the end of `data`) from `position`:
    (the repaired bytes, where it ends in `data`)."""
    if depth > _MAX_DEPTH:
        raise ValueError("messages nested deeper than protobuf allows")
    out = bytearray()
    while (length is None and position < len(data)) or (length is not None and len(out) < length):
        repair.spend()
        start = position
        tag, position = _varint(data, position)
        wire, field = tag & 7, tag >> 3
        if field == 0:
            raise ValueError("field number 0")
        if wire == 0:
            _, position = _varint(data, position)
            out += data[start:position]
        elif wire in (1, 5):
            position += 8 if wire == 1 else 4
            if position > len(data):
                raise ValueError("fixed field past the end")
            out += data[start:position]
        elif wire == 2:
            size, body = _varint(data, position)
            out += data[start:body]
            content, position = _length_delimited(data, body, size, repair, depth)
            repair.spend(len(content) // _STEP_BYTES)
            out += content
        else:
            raise ValueError("a wire type protobuf messages here do not use")
    if length is not None and len(out) != length:
        raise ValueError("a message overshoots its stated length")
    return out, position


def _length_delimited(data: bytes, start: int, size: int, repair: _Repair, depth: int) -> tuple[bytes, int]:
    """A field's `size` repaired bytes: a nested message if it parses as one, else text
    in which every LF was a CRLF."""
    if (start, size) not in repair.not_nested:
        try:
            nested, end = _message(data, start, size, repair, depth + 1)
            return bytes(nested), end
        except (ValueError, IndexError):
            repair.not_nested.add((start, size))
    repair.spend(size // _STEP_BYTES)
    counted, position = 0, start
    while counted < size:
        counted += 2 if data[position] == _LF else 1
        position += 1
    if counted != size:
        raise ValueError("text that cannot have had CRLF line ends")
    text = data[start:position].replace(b"\n", b"\r\n")
    text.decode("utf-8")  # text, or not a repair
    return text, position


def converted_hdf5_error() -> KerascopeError:
    return KerascopeError(
        "its line endings were converted (the HDF5 signature lost its CR: git or a text-mode transfer "
        "changed CRLF to LF), which corrupts a binary file: fetch it again as binary"
    )
