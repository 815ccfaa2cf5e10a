"""The values of a safetensors file's tensors (Transformers and timm checkpoints, and
the ones KerasHub exports): an 8-byte little-endian header length, a JSON header
naming each tensor's `dtype`, `shape` and `data_offsets` (from the first byte after
the header), then the bytes, little-endian, in C order.

Each tensor's byte range must hold exactly its shape's elements and lie inside the
file; the header is held to the JSON limits before it is parsed.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from kerascope.decoders import dtypes
from kerascope.decoders.json_text import load_json
from kerascope.decoders.tensor_values import (
    ByteRange,
    FlatLocation,
    StoredFile,
    TensorLocation,
    UnavailableLocation,
    unreadable_as_error,
)
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits

METADATA = "__metadata__"


def safetensors_tensors(file: StoredFile, limits: Limits) -> dict[str, TensorLocation]:
    """Every tensor of a safetensors file by its key, each a location to read on request."""
    with unreadable_as_error(file.name):
        return _safetensors_tensors(file, limits)


def _safetensors_tensors(file: StoredFile, limits: Limits) -> dict[str, TensorLocation]:
    size = file.size(limits)
    with file.open(limits, seekable=False) as stream:
        head = stream.read(8)
        if len(head) != 8:
            raise KerascopeError(f"{file.name} is too short to be safetensors")
        (length,) = struct.unpack("<Q", head)
        if length > limits.max_json_bytes:
            raise LimitExceeded(
                f"{file.name} declares a {length:,}-byte header, over the {limits.max_json_bytes:,}-byte limit",
                "max_json_bytes",
            )
        if 8 + length > size:
            raise KerascopeError(f"{file.name}'s header runs past the end of the file")
        header = load_json(stream.read(length), f"{file.name} header", limits)
    if not isinstance(header, dict):
        raise KerascopeError(f"{file.name}'s header is not a JSON object")
    limits.check_layers(len(header))
    start, room = 8 + length, size - 8 - length
    found: dict[str, TensorLocation] = {}
    for key, entry in header.items():
        if key != METADATA:
            found[key] = _location(file, key, entry, start, room)
    return found


def _location(file: StoredFile, key: str, entry: Any, start: int, room: int) -> TensorLocation:
    where = f"{file.name}: tensor {key!r}"
    code = entry.get("dtype") if isinstance(entry, dict) else None
    dtype = dtypes.from_safetensors(code) if isinstance(code, str) else None
    shape, offsets = (
        (entry.get("shape"), entry.get("data_offsets")) if isinstance(entry, dict) else (None, None)
    )
    if (
        not isinstance(shape, list)
        or len(shape) > 64
        or not all(
            isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 1 << 48 for size in shape
        )
    ):
        raise KerascopeError(f"{where} has no shape of sizes")
    if dtype is None:
        raise KerascopeError(f"{where} has no known dtype")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(isinstance(at, int) and not isinstance(at, bool) for at in offsets)
        and 0 <= offsets[0] <= offsets[1] <= room
    ):
        raise KerascopeError(f"{where}'s data_offsets do not lie inside the file")
    declared = math.prod(shape) * (dtypes.itemsize(dtype) or 0)
    if offsets[1] - offsets[0] != declared:
        raise KerascopeError(
            f"{where} declares shape {shape} of {dtype} ({declared:,} bytes) but spans {offsets[1] - offsets[0]:,}"
        )
    if not dtypes.holds_numbers(dtype):
        return UnavailableLocation(key, tuple(shape), dtype, f"{dtype} values are not read")
    return FlatLocation(key, tuple(shape), dtype, ranges=(ByteRange(file, start + offsets[0], declared),))
