"""A tensor's values, read on request, one piece at a time, within limits.

Reading a model's structure never reads a value. When values are asked for, each
tensor is a `TensorLocation`: where its bytes are and how they are stored, made
from the metadata a static read already holds (an HDF5 dataset's header address, a
checkpoint entry's shard and offset, a manifest's byte range), so attaching one to
every weight costs nothing. `values(location, limits)` then streams the tensor as
`Piece`s (a box of the tensor and its values) and at most one `Fill` (so many copies
of one value, for HDF5 chunks never written: `pieces.py`); `value_stats.tensor_stats` folds them
into statistics and `read_array` into the array, if it fits `Limits.max_tensor_bytes`.

Every format's locations live beside this module (`hdf5_values`, `npy_values`,
`bundle_values`, `tfjs_values`, `safetensors_values`); bytes laid out flat (all but
chunked HDF5) share `FlatLocation`. A remote file is read by range requests for the
tensor's own bytes (and the few structures that say where they are), nothing else.
"""

from __future__ import annotations

import math
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

import numpy as np

from kerascope.decoders import dtypes
from kerascope.decoders.crc32c import crc32c, unmask
from kerascope.decoders.pieces import Fill, Piece
from kerascope.decoders.source import Source
from kerascope.decoders.value_stats import tensor_stats
from kerascope.decoders.zip_members import ZIP_ERRORS, inflating, open_member
from kerascope.errors import KerascopeError, ValuesUnavailable, one_line
from kerascope.limits import LimitExceeded, Limits, check_time

READ_BYTES = 4 * 1024 * 1024  # stored bytes read per piece of a flat tensor
# What the parsers (zipfile, zlib, pyfive, numcodecs, struct) raise on malformed bytes,
# as `readers.read` lists them: each becomes one KerascopeError naming the tensor.
MALFORMED = (
    OSError, ValueError, LookupError, TypeError, AttributeError, RuntimeError, AssertionError,
    ArithmeticError, EOFError, struct.error, zlib.error,
)  # fmt: skip


# -- where bytes are -------------------------------------------------------------------
@dataclass(frozen=True)
class StoredFile:
    """A file holding tensor bytes: `member` of `source` (the source itself when empty),
    or a member of the zip archive that file is (`archived`, outermost first: an
    `.npy` inside `model.weights.npz` inside a `.keras`)."""

    source: Source
    member: str = ""
    archived: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return "/".join((self.member or self.source.label, *self.archived))

    @contextmanager
    def open(self, limits: Limits, seekable: bool = True) -> Iterator[IO[bytes]]:
        """The file as a binary stream; seekable, or (`seekable=False`) one read
        forward only, which a member streams through zipfile without a copy (a
        compressed one inflating, and either checked against its CRC-32 at its end)."""
        with ExitStack() as stack:
            stream = stack.enter_context(self.source.open(self.member))
            for depth, name in enumerate(self.archived):
                archive, info = _archive_member(stream, name, stack)
                if depth == len(self.archived) - 1 and not seekable:
                    # zipfile checks the member's CRC-32 when the read reaches its end.
                    stream = stack.enter_context(inflating(archive, info, limits))
                else:
                    stream = stack.enter_context(open_member(stream, archive, info, limits))
            yield stream

    def size(self, limits: Limits) -> int:
        if not self.archived:
            try:
                return self.source.size(self.member)
            except OSError as error:
                raise KerascopeError(f"{self.name}: cannot be read ({error.strerror or error})") from None
        with ExitStack() as stack:
            stream = stack.enter_context(self.source.open(self.member))
            for name in self.archived[:-1]:
                archive, info = _archive_member(stream, name, stack)
                stream = stack.enter_context(open_member(stream, archive, info, limits))
            return _archive_member(stream, self.archived[-1], stack)[1].file_size


def _archive_member(
    stream: IO[bytes], name: str, stack: ExitStack
) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
    try:
        archive = stack.enter_context(zipfile.ZipFile(stream))
        return archive, archive.getinfo(name)
    except KeyError:
        raise KerascopeError(f"the archive has no member {name!r}") from None
    except ZIP_ERRORS as error:
        raise KerascopeError(f"not a readable zip archive ({error})") from None


class ByteRange(NamedTuple):
    file: StoredFile
    offset: int
    size: int


# -- locations -------------------------------------------------------------------------
@dataclass(frozen=True)
class TensorLocation:
    """One tensor of a file: its name there (an HDF5 path, an `.npy` member, a checkpoint
    key, a manifest's weight name, a safetensors key), shape and element type, and
    (in each kind of location) where its bytes are. Making one reads nothing."""

    key: str
    shape: tuple[int, ...]
    dtype: str  # the element type of its values, as `dtypes` names it

    def pieces(self, limits: Limits) -> Iterator[Piece | Fill]:
        raise NotImplementedError

    def resolved(self, limits: Limits) -> TensorLocation:
        """The location that says how the bytes are laid out: itself, unless it is
        found in a listing made on first use (`IndexedLocation`)."""
        return self

    def array(self, limits: Limits) -> np.ndarray:
        """The whole tensor (`read_array`), within `limits.max_tensor_bytes`."""
        return read_array(self, limits)

    def stats(self, limits: Limits) -> dict[str, Any]:
        """The tensor's statistics, streamed, as a report's weight holds them."""
        return tensor_stats(values(self, limits)).as_dict()


@dataclass(frozen=True)
class UnavailableLocation(TensorLocation):
    """A tensor the file lists but whose values are not read, and why."""

    reason: str = ""

    def pieces(self, limits: Limits) -> Iterator[Piece | Fill]:
        raise ValuesUnavailable(f"{self.key}: {self.reason}")


class TensorIndex:
    """Every tensor of a file by its key, listed by `list_tensors(limits)` the first time
    one is asked for, then kept: for a format whose locations cost a look at files a
    report does not otherwise open (the shards beside a TensorFlow.js manifest, a
    safetensors header read again), so that a read without values never looks.
    It holds no open file; an error listing them is kept and raised on each ask."""

    def __init__(self, list_tensors: Callable[[Limits], dict[str, TensorLocation]]) -> None:
        self._list = list_tensors
        self._found: dict[str, TensorLocation] | None = None
        self._failed: KerascopeError | None = None

    def location(self, key: str, limits: Limits) -> TensorLocation:
        if self._failed is not None:
            raise type(self._failed)(str(self._failed))
        if self._found is None:
            try:
                self._found = self._list(limits)
            except KerascopeError as error:
                self._failed = error
                raise
        found = self._found.get(key)
        if found is None:
            raise ValuesUnavailable(f"{key}: not among the tensors its file lists")
        return found


@dataclass(frozen=True)
class IndexedLocation(TensorLocation):
    """A tensor found by its key in a `TensorIndex` when its values are first asked for."""

    index: TensorIndex | None = None

    def resolved(self, limits: Limits) -> TensorLocation:
        assert self.index is not None
        return self.index.location(self.key, limits)

    def pieces(self, limits: Limits) -> Iterator[Piece | Fill]:
        return self.resolved(limits).pieces(limits)


@dataclass(frozen=True)
class FlatLocation(TensorLocation):
    """A tensor whose elements lie one after another (C order, or Fortran order),
    across `ranges` of one or more files; the bytes are of element type `stored`
    (`dtype` unless `convert` turns them into it, as TensorFlow.js dequantizes), and
    when `crc32c` is given (masked, as TensorFlow stores it) they are checked as they
    stream past."""

    ranges: tuple[ByteRange, ...] = ()
    stored: str = ""
    big_endian: bool = False
    fortran_order: bool = False
    crc32c: int | None = None
    convert: Callable[[np.ndarray], np.ndarray] | None = None

    def pieces(self, limits: Limits) -> Iterator[Piece | Fill]:
        stored = self.stored or self.dtype
        element = dtypes.element(stored)
        if element is None or element.stored is None:
            raise ValuesUnavailable(f"{self.key}: {stored} values are not read")
        declared = math.prod(self.shape) * element.itemsize
        held = sum(part.size for part in self.ranges)
        if held != declared:
            raise KerascopeError(
                f"{self.key}: a {stored} tensor of shape {list(self.shape)} needs {declared:,} bytes; "
                f"its file gives {held:,}"
            )
        checksum = 0

        def read(count: int) -> bytes:
            nonlocal checksum
            data = reader.read(count)
            if self.crc32c is not None:
                checksum = crc32c(data, checksum)
            return data

        with _RangeReader(self.ranges, limits) as reader:
            yield from flat_pieces(
                read, self.shape, stored, self.big_endian, self.fortran_order, self.convert
            )
        if self.crc32c is not None and checksum != unmask(self.crc32c):
            raise KerascopeError(f"{self.key}: its bytes fail their CRC-32C checksum")


def flat_pieces(
    read: Callable[[int], bytes],
    shape: tuple[int, ...],
    stored: str,
    big_endian: bool = False,
    fortran_order: bool = False,
    convert: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Iterator[Piece]:
    """A tensor whose elements of type `stored` lie one after another, as pieces of about
    `READ_BYTES`, each taken by `read(count)` (exactly `count` bytes, in order)."""
    itemsize = dtypes.element(stored).itemsize  # type: ignore[union-attr]
    order = shape[::-1] if fortran_order else shape
    for box, count in box_plan(order, itemsize, READ_BYTES):
        check_time()
        data = dtypes.decode(read(count * itemsize), stored, big_endian)
        if convert is not None:
            data = convert(data)
        data = data.reshape(box_shape(box))
        yield Piece(box[::-1], data.T) if fortran_order else Piece(box, data)


class _RangeReader:
    """Reads forward through byte ranges of files, each file opened once, every range
    checked to lie inside its file before any byte is read."""

    def __init__(self, ranges: tuple[ByteRange, ...], limits: Limits) -> None:
        self._ranges = list(ranges)
        self._limits = limits
        self._stack = ExitStack()
        self._streams: dict[StoredFile, IO[bytes]] = {}
        self._index, self._position = 0, 0
        sizes: dict[StoredFile, int] = {}
        for part in self._ranges:
            if part.file not in sizes:
                sizes[part.file] = part.file.size(limits)
            if part.offset < 0 or part.size < 0 or part.offset + part.size > sizes[part.file]:
                raise KerascopeError(
                    f"{part.file.name}: a tensor's bytes ({part.offset:,} to {part.offset + part.size:,}) "
                    f"lie beyond its end ({sizes[part.file]:,} bytes)"
                )

    def __enter__(self) -> _RangeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _stream(self, file: StoredFile) -> IO[bytes]:
        if file not in self._streams:
            self._streams[file] = self._stack.enter_context(file.open(self._limits, seekable=False))
        return self._streams[file]

    def read(self, count: int) -> bytes:
        parts = []
        while count > 0:
            part = self._ranges[self._index]
            take = min(count, part.size - self._position)
            if take <= 0:
                self._index, self._position = self._index + 1, 0
                continue
            stream = self._stream(part.file)
            at = part.offset + self._position
            if stream.tell() != at:
                stream.seek(at)
            data = read_exactly(stream, take)
            if len(data) != take:
                raise KerascopeError(f"{part.file.name} ends inside a tensor's bytes (at {at + len(data):,})")
            parts.append(data)
            self._position += take
            count -= take
        return parts[0] if len(parts) == 1 else b"".join(parts)


def read_exactly(stream: IO[bytes], count: int) -> bytes:
    """Up to `count` bytes (fewer only where the stream ends); a zip member whose
    inflation or CRC fails is one KerascopeError."""
    parts = []
    while count > 0:
        try:
            part = stream.read(count)
        except ZIP_ERRORS as error:
            raise KerascopeError(f"an archive member cannot be read: {error}") from None
        if not part:
            break
        parts.append(part)
        count -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


# -- boxes -----------------------------------------------------------------------------
def box_shape(box: tuple[slice, ...]) -> tuple[int, ...]:
    return tuple(part.stop - part.start for part in box)


def box_plan(shape: tuple[int, ...], itemsize: int, budget: int) -> Iterator[tuple[tuple[slice, ...], int]]:
    """Boxes that cover a tensor of `shape` in C order, each a run of consecutive
    elements of about `budget` bytes (at least one element), and their sizes: whole
    rows of the first axis whose rows fit, single indices on the axes before it."""
    total = math.prod(shape)
    if total == 0:
        return
    if not shape:
        yield (), 1
        return
    axis, unit = 0, total // shape[0]
    while axis < len(shape) - 1 and unit * itemsize > budget:
        axis += 1
        unit //= shape[axis]
    step = max(1, budget // (unit * itemsize))
    trailing = tuple(slice(0, size) for size in shape[axis + 1 :])
    for lead in np.ndindex(*shape[:axis]):
        head = tuple(slice(index, index + 1) for index in lead)
        for start in range(0, shape[axis], step):
            stop = min(start + step, shape[axis])
            yield (*head, slice(start, stop), *trailing), (stop - start) * unit


# -- reading ---------------------------------------------------------------------------
def values(location: TensorLocation, limits: Limits) -> Iterator[Piece | Fill]:
    """The tensor at `location`, piece by piece: a KerascopeError (ValuesUnavailable,
    LimitExceeded) names what stops it, before or while it streams."""
    with unreadable_as_error(location.key):
        for piece in location.resolved(limits).pieces(limits):
            check_time()
            yield piece


@contextmanager
def unreadable_as_error(what: str) -> Iterator[None]:
    """What a parser raises on malformed bytes, or running out of memory, as one
    KerascopeError naming `what`."""
    try:
        yield
    except KerascopeError:
        raise
    except MemoryError:
        raise KerascopeError(f"{what}: ran out of memory reading it") from None
    except MALFORMED as error:
        raise KerascopeError(f"{what}: unreadable ({type(error).__name__}: {one_line(str(error))})") from None


def read_array(location: TensorLocation, limits: Limits) -> np.ndarray:
    """The whole tensor as a numpy array (bfloat16 as float32), refused up front if it
    would take more than `limits.max_tensor_bytes`."""
    with unreadable_as_error(location.key):
        location = location.resolved(limits)
    if isinstance(location, UnavailableLocation) or not dtypes.holds_numbers(location.dtype):
        next(iter(location.pieces(limits)), None)  # says why
        raise ValuesUnavailable(f"{location.key}: {location.dtype} values are not read")
    dtype = dtypes.values_dtype(location.dtype)
    size = math.prod(location.shape) * dtype.itemsize
    if size > limits.max_tensor_bytes:
        raise LimitExceeded(
            f"{location.key} takes {size:,} bytes, over the {limits.max_tensor_bytes:,}-byte tensor limit",
            "max_tensor_bytes",
        )
    array = np.zeros(location.shape, dtype)
    for piece in values(location, limits):
        if isinstance(piece, Fill):
            array[...] = piece.value
        else:
            array[piece.box] = piece.data
    return array
