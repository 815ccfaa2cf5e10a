"""A seekable stream read in pages, charging a budget for everything its reader takes.

HDF5 metadata is thousands of small structures scattered over a file: reading a
Keras weights file means tens of thousands of reads of a few dozen bytes. Reading
whole pages once and slicing them turns those into a few hundred system calls,
and backward seeks cost nothing. Every read also charges a budget (its bytes, and
at least `READ_COST` for the call itself), checked before anything is allocated:
a file whose structures point in circles or claim huge sizes exhausts the budget
long before it exhausts memory or time.
"""

from __future__ import annotations

import io
from typing import IO

from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded

PAGE = 16 * 1024  # a local file's page; a remote stream states its own (`page_size`)
MAX_PAGE_BYTES = 16 * 1024 * 1024  # pages kept
READ_COST = 64  # what one read costs at least, however few bytes it asks for
# ... and one of pyfive's (fractal heaps, version 2 B-trees), which keeps a Python object per read
CURSOR_READ_COST = 256


class PagedFile:
    """The bytes of `stream` (any seekable binary stream), read in cached pages."""

    def __init__(self, stream: IO[bytes], budget: int, what: str) -> None:
        self._stream = stream
        self.size = stream.seek(0, io.SEEK_END)
        # A remote stream fetches aligned blocks: pages of its block size, aligned with
        # its blocks (a window into a zip starts mid-block), fetch each block once.
        self._page_bytes = getattr(stream, "page_size", None) or PAGE
        self._shift = getattr(stream, "page_shift", 0) % self._page_bytes
        self._most_pages = MAX_PAGE_BYTES // self._page_bytes
        self._pages: dict[int, bytes] = {}
        self._budget = budget
        self._spent = 0
        self._what = what

    def charge(self, cost: int, least: int = READ_COST) -> None:
        """Count `cost` bytes (at least `least`) against the budget, before they are taken."""
        self._spent += cost if cost > least else least
        if self._spent > self._budget:
            raise LimitExceeded(
                f"{self._what} takes more than {self._budget:,} bytes (the HDF5 metadata limit)",
                "max_h5_metadata_bytes",
            )

    def read(self, offset: int, size: int, least: int = READ_COST) -> bytes:
        """Up to `size` bytes at `offset`: fewer only where the stream ends.

        The reader's hottest call (every structure of the HDF5 metadata comes through
        it): the budget check is inlined, and one cached page is one slice."""
        if offset < 0 or size < 0:
            raise KerascopeError(f"{self._what}: a negative offset or size ({offset}, {size})")
        if offset + size > self.size:
            size = self.size - offset if offset < self.size else 0
        self._spent += size if size > least else least
        if self._spent > self._budget:
            self.charge(0)  # raises, naming the limit
        if size == 0:
            return b""
        page, shift = self._page_bytes, self._shift
        first, last = (offset + shift) // page, (offset + size - 1 + shift) // page
        base = first * page - shift
        start = offset - base if base > 0 else offset
        if first == last:
            cached = self._pages.get(first)
            return (cached or self._page(first))[start : start + size]
        if last - first == 1:
            return (self._page(first) + self._page(last))[start : start + size]
        return self._fetch(offset, size)  # a large structure: read once, not cached

    def read_through(self, offset: int, size: int) -> bytes:
        """`size` bytes at `offset` (fewer where the stream ends) straight from the
        stream: neither cached nor charged, for bytes that are values, not metadata."""
        if offset < 0 or size < 0:
            raise KerascopeError(f"{self._what}: a negative offset or size ({offset}, {size})")
        return self._fetch(offset, max(0, min(size, self.size - offset)))

    @property
    def fetches_remotely(self) -> bool:
        """Whether the stream is remote: it states a block size, and fetches what it is
        asked for ahead (`prefetch`)."""
        return getattr(self._stream, "page_size", None) is not None and hasattr(self._stream, "prefetch")

    def prefetch(self, ranges: list[tuple[int, int]]) -> None:
        """Let a stream that fetches remotely fetch these `(offset, size)` ranges
        together, ahead of the reads that will want them; a local file ignores it."""
        fetch = getattr(self._stream, "prefetch", None)
        if fetch is not None and ranges:
            fetch([(offset, size) for offset, size in ranges if 0 <= offset < self.size and size > 0])

    def exactly(self, offset: int, size: int, what: str) -> bytes:
        """`size` bytes at `offset`, or an error naming `what` ran past the end."""
        data = self.read(offset, size)
        if len(data) != size:
            raise KerascopeError(f"{self._what}: {what} at byte {offset:,} runs past the end of the file")
        return data

    def _page(self, index: int) -> bytes:
        page = self._pages.get(index)
        if page is None:
            if len(self._pages) >= self._most_pages:
                del self._pages[next(iter(self._pages))]
            start = max(0, index * self._page_bytes - self._shift)
            end = (index + 1) * self._page_bytes - self._shift
            page = self._pages[index] = self._fetch(start, end - start)
        return page

    def _fetch(self, offset: int, size: int) -> bytes:
        self._stream.seek(offset)
        parts = []
        while size > 0 and (part := self._stream.read(size)):
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    def cursor(self, base: int) -> Cursor:
        return Cursor(self, base)


class Cursor:
    """A file-like view (seek, tell, read) of a PagedFile with addresses counted from
    `base`, for pyfive's decoders, which read through a file handle."""

    def __init__(self, paged: PagedFile, base: int) -> None:
        self._paged = paged
        self._base = base
        self._position = 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            offset += self._paged.size - self._base
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._paged.size
        data = self._paged.read(self._base + self._position, size, CURSOR_READ_COST)
        self._position += len(data)
        return data
