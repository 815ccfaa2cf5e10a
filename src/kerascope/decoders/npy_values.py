"""The values of `.npy` arrays, alone or as the members of an `.npz` archive (numpy's
`savez`, and the `model.weights.npz` a `.keras` archive may hold).

An `.npy` file is a small header (a Python literal naming the element type, the
order and the shape) and then the elements, one after another: a `FlatLocation`.
A member stored in the archive is read in place; a compressed one inflates as it is
read, held to the compression-ratio limit. A member that is a pickle (an object
array, or no array at all, as Keras's own npz weights are) is never unpickled: its
values are unavailable, and say so.
"""

from __future__ import annotations

import ast
import math
import zipfile
from typing import Any

from kerascope.decoders import dtypes
from kerascope.decoders.pickles import looks_like_pickle
from kerascope.decoders.tensor_values import (
    ZIP_ERRORS,
    ByteRange,
    FlatLocation,
    StoredFile,
    TensorLocation,
    UnavailableLocation,
    read_exactly,
    unreadable_as_error,
)
from kerascope.decoders.zip_members import inflating
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits

MAGIC = b"\x93NUMPY"
HEADER_LIMIT = 64 * 1024  # numpy's own bound on a header it will parse
PICKLED = "a pickle, which kerascope never unpickles"


def npz_tensors(file: StoredFile, limits: Limits) -> dict[str, TensorLocation]:
    """Every member of an `.npz` archive by its name (without `.npy`), each a location."""
    with unreadable_as_error(file.name):
        return _npz_tensors(file, limits)


def _npz_tensors(file: StoredFile, limits: Limits) -> dict[str, TensorLocation]:
    found: dict[str, TensorLocation] = {}
    with file.open(limits) as stream:
        try:
            archive = zipfile.ZipFile(stream)
            infos = archive.infolist()
        except ZIP_ERRORS as error:
            raise KerascopeError(f"{file.name}: not an npz archive ({error})") from None
        limits.check_layers(len(infos))
        for info in infos:
            key = info.filename.removesuffix(".npy")
            member = StoredFile(file.source, file.member, (*file.archived, info.filename))
            with inflating(archive, info, limits) as opened:
                head = read_exactly(opened, min(info.file_size, HEADER_LIMIT + 16))
            found[key] = npy_location(key, member, head)
    return found


def npy_tensor(file: StoredFile, limits: Limits, key: str | None = None) -> TensorLocation:
    """The array of a lone `.npy` file."""
    with unreadable_as_error(file.name):
        return _npy_tensor(file, limits, key)


def _npy_tensor(file: StoredFile, limits: Limits, key: str | None = None) -> TensorLocation:
    with file.open(limits, seekable=False) as stream:
        head = read_exactly(stream, HEADER_LIMIT + 16)
    return npy_location(key or file.name, file, head)


def npy_location(key: str, file: StoredFile, head: bytes) -> TensorLocation:
    """The array of the `.npy` file `file` whose first bytes (up to `HEADER_LIMIT` + 16) are `head`."""
    if not head.startswith(MAGIC):
        reason = PICKLED if looks_like_pickle(head) else "not an .npy array"
        return UnavailableLocation(key, (), "unknown", reason)
    header, start = npy_header(head, f"{file.name}")
    shape, descr = tuple(header["shape"]), header["descr"]
    name = dtypes.from_descr(descr) if isinstance(descr, str) else "a structured type"
    if name == "object":
        return UnavailableLocation(key, shape, name, f"an object array: {PICKLED}")
    if not dtypes.holds_numbers(name):
        return UnavailableLocation(key, shape, name, f"{name} values are not read")
    size = math.prod(shape) * dtypes.itemsize(name)  # type: ignore[operator]
    return FlatLocation(
        key,
        shape,
        name,
        ranges=(ByteRange(file, start, size),),
        stored=name,
        big_endian=descr.startswith(">"),
        fortran_order=bool(header["fortran_order"]),
    )


def npy_header(data: bytes, what: str) -> tuple[dict[str, Any], int]:
    """An `.npy` header (`{'descr', 'fortran_order', 'shape'}`) and where the elements
    start: a Python literal of strings, booleans and integers, parsed as such
    (`ast.literal_eval`, of at most `HEADER_LIMIT` bytes)."""
    version = data[6:8]
    if version == b"\x01\x00":
        length, start = int.from_bytes(data[8:10], "little"), 10
    elif version in (b"\x02\x00", b"\x03\x00"):
        length, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise KerascopeError(f"{what}: an .npy header of unknown version {version!r}")
    if length > HEADER_LIMIT or start + length > len(data):
        raise LimitExceeded(
            f"{what}: an .npy header of {length:,} bytes, over the {HEADER_LIMIT:,}-byte limit"
        )
    try:
        header = ast.literal_eval(data[start : start + length].decode("latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise KerascopeError(f"{what}: a malformed .npy header") from None
    shape = header.get("shape") if isinstance(header, dict) else None
    if (
        not isinstance(header, dict)
        or not isinstance(header.get("descr"), (str, list))
        or not isinstance(header.get("fortran_order"), bool)
        or not isinstance(shape, tuple)
        or len(shape) > 64
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 1 << 48 for d in shape)
        or math.prod(shape) >= 1 << 48
    ):
        raise KerascopeError(f"{what}: a malformed .npy header")
    return header, start + length
