"""Where a model's bytes are: a local path, or a remote URL read by range requests.

Every reader opens what it reads through a `Source`, so the same reader serves a
file on disk, an object in a bucket and a file on a hub. A remote source reads
only the ranges a reader asks for (a zip's central directory, `config.json`, the
HDF5 object headers of a weights file), never a whole file, and counts the bytes
it fetched; with a cache folder, what it fetched is kept for the next read.

A server is held to what was asked (`remote_http.py`: no inflating, no body longer
than its range, no silence longer than `RESPONSE_SECONDS`); each call to it has a
deadline (`RESPONSE_SECONDS` plus its bytes at `MIN_RATE`), and one command fetches
at most `MAX_FETCHED` bytes. The command's time limit bounds the whole.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path, PurePosixPath
from typing import IO, Any

from kerascope.errors import KerascopeError, one_line

# Remote bytes are fetched in aligned blocks of this size, each once; a read that
# spans several missing blocks (a config) fetches them in one range request. HDF5
# metadata is small structures scattered between weight values: small blocks fetch
# little beside them.
BLOCK = 4096
MAX_LISTING = 10_000  # entries listed from one remote folder
MAX_BLOCKS = 16_384  # blocks kept in memory (64 MiB)
MAX_LISTING_PAGE = 4 * 1024 * 1024  # an HTTP server's page listing a folder
MAX_FETCHED = 1 << 30  # bytes one command fetches from remote stores
# A server must begin answering within this, and then send at least MIN_RATE bytes a
# second (the same values remote_http.py holds each HTTP response to).
RESPONSE_SECONDS = 2.5
MIN_RATE = 256 * 1024
HTTP = ("http", "https")


class Source:
    """A file or a folder of a model, local or remote; members named relative to it."""

    name: str

    def open(self, member: str = "") -> IO[bytes]:
        """The file (or the folder's member) as a seekable binary stream."""
        raise NotImplementedError

    def is_dir(self, member: str = "") -> bool:
        raise NotImplementedError

    def is_file(self, member: str = "") -> bool:
        raise NotImplementedError

    def listing(self, member: str = "") -> list[str]:
        """The names in a folder, sorted."""
        raise NotImplementedError

    def size(self, member: str = "") -> int:
        raise NotImplementedError

    def read(self, member: str, limit: int, field: str = "max_member_bytes") -> bytes:
        """A whole (small) member, refusing one larger than `limit` bytes (the `Limits`
        field `field`)."""
        size = self.size(member)
        if size > limit:
            from kerascope.limits import LimitExceeded

            raise LimitExceeded(
                f"{member or self.label} is {size:,} bytes, over the {limit:,}-byte limit", field
            )
        with self.open(member) as stream:
            return stream.read(limit + 1)[: limit + 1]

    def within(self, member: str) -> Source:
        """The source of a member folder (a SavedModel's version folder, a preset's assets)."""
        raise NotImplementedError

    def is_link(self, member: str) -> bool:
        """Whether `member`, or a folder on the way to it, is a symbolic link (which a
        remote store does not have)."""
        return False

    def parent(self) -> Source:
        """The folder holding this file."""
        raise NotImplementedError

    def sibling(self, name: str) -> Source:
        """The file called `name` in the same folder (a shard beside its index)."""
        return self.parent().within(name)

    @property
    def label(self) -> str:
        """The file or folder's own name, without its folders (a model's name of last resort)."""
        return PurePosixPath(self.name.rstrip("/")).name

    @property
    def stem(self) -> str:
        return PurePosixPath(self.label).stem

    @property
    def fetched(self) -> int | None:
        """Bytes fetched from a remote store so far; None for a local source."""
        return None

    @property
    def refused(self) -> list[str]:
        """Why each file of the model that a symbolic link leads out of its folder was
        not opened, one line each, starting with its name (a remote store has no links)."""
        return []

    def forget(self) -> None:
        """Drop what was fetched and kept for the reads still to come (a remote
        store's blocks); a later read fetches what it needs again."""


class OutsideModel(KerascopeError):
    """A file a model names that a symbolic link leads out of the model's folder: never
    opened (`LocalSource.refused` lists it for the report's findings)."""


class LocalSource(Source):
    """A path on the local disk. The path the user named is followed wherever it leads;
    every file below it (a folder's member, a file beside a named file) is opened only
    when its real path is inside the model's folder, so a symbolic link that leads out
    of it is refused, never followed (`OutsideModel`)."""

    def __init__(self, path: Path, _model: _ModelFolder | None = None) -> None:
        self.path = path
        self.name = str(path)
        self._named = _model is None
        self._model = _ModelFolder(path) if _model is None else _model

    def _at(self, member: str) -> Path:
        at = self.path / member if member else self.path
        if (member or not self._named) and not self._model.holds(at):
            raise OutsideModel(self._model.refuse(at))
        return at

    def open(self, member: str = "") -> IO[bytes]:
        at = self._at(member)
        try:
            return at.open("rb", buffering=0)
        except OSError as error:
            raise KerascopeError(f"{member or 'the file'}: cannot open: {error.strerror}") from None

    def is_dir(self, member: str = "") -> bool:
        try:
            return self._at(member).is_dir()
        except OutsideModel:
            return False

    def is_file(self, member: str = "") -> bool:
        try:
            return self._at(member).is_file()
        except OutsideModel:
            return False

    def listing(self, member: str = "") -> list[str]:
        return sorted(entry.name for entry in self._at(member).iterdir())

    def size(self, member: str = "") -> int:
        return self._at(member).stat().st_size

    def within(self, member: str) -> Source:
        return LocalSource(self.path / member, self._model)

    def is_link(self, member: str) -> bool:
        at = self.path
        for part in member.split("/"):
            at = at / part
            if at.is_symlink():
                return True
        return False

    def parent(self) -> Source:
        return LocalSource(self.path.parent, self._model)

    @property
    def refused(self) -> list[str]:
        return list(self._model.refused.values())


class _ModelFolder:
    """The folder a local model's files must resolve inside: the folder the user named,
    or the one holding the file the user named (where its shards and companions are)."""

    def __init__(self, named: Path) -> None:
        self.shown = named if named.is_dir() else named.parent
        self.real = os.path.realpath(self.shown)
        self.refused: dict[str, str] = {}  # why each file was refused, by its name in the folder
        self._folders: dict[Path, str] = {}  # each folder's real path, resolved once

    def holds(self, path: Path) -> bool:
        real = self._real(path)
        return real == self.real or real.startswith(self.real.rstrip(os.sep) + os.sep)

    def _real(self, path: Path) -> str:
        """`os.path.realpath(path)`, with the folder holding it resolved once for all
        its files (a shard index names thousands beside each other)."""
        if path.name in ("", ".", "..") or os.path.islink(path):
            return os.path.realpath(path)
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = os.path.realpath(path.parent)
        return os.path.join(folder, path.name)

    def refuse(self, path: Path) -> str:
        """Note `path` as refused; why, in a line that starts with its name."""
        name = os.path.relpath(path, self.shown)
        return self.refused.setdefault(
            name, f"{name} leads outside the model's folder (a symbolic link): not opened"
        )


class RemoteSource(Source):
    """An fsspec URL (`https://`, `s3://`, `gs://`, `hf://`, `memory://`), read in blocks."""

    def __init__(
        self, url: str, cache: Path | None = None, _fs: Any = None, _path: str | None = None
    ) -> None:
        self.name = url
        self.cache = cache
        if _fs is None:
            try:
                from fsspec.core import url_to_fs
            except ImportError:
                raise KerascopeError(
                    f"{url}: reading a URL needs fsspec: pip install 'kerascope[remote]'"
                ) from None
            try:
                _fs, _path = url_to_fs(url, **_options(url))
            except (ImportError, ValueError) as error:
                raise KerascopeError(f"{url}: {remote_error(error)}") from None
        self.fs, self.path = _fs, _path or ""
        self.counter = _Counter()
        # What one command learned of the store, shared by every opening of a file (a
        # read, then each tensor's values): each file's size, and its blocks (at most
        # MAX_BLOCKS a file), so that no block is fetched twice; `forget` drops them.
        self.sizes: dict[str, int] = {}
        self.blocks: dict[str, dict[int, bytes]] = {}

    @property
    def over_http(self) -> bool:
        protocol = self.fs.protocol
        return bool(set(protocol if isinstance(protocol, (tuple, list)) else [protocol]) & set(HTTP))

    def call(self, method: str, *args: Any, expected: int = 0, **kwargs: Any) -> Any:
        """`fs.method(*args)`; over HTTP within a deadline: `RESPONSE_SECONDS`, plus the
        `expected` bytes at `MIN_RATE`. (A bucket's or a hub's own client keeps its own
        timeouts.)"""
        if not self.over_http:
            return getattr(self.fs, method)(*args, **kwargs)
        return self._in_time(getattr(self.fs, f"_{method}"), *args, expected=expected, **kwargs)

    def _in_time(self, coroutine: Any, *args: Any, expected: int, **kwargs: Any) -> Any:
        from fsspec.asyn import sync
        from fsspec.exceptions import FSTimeoutError

        seconds = RESPONSE_SECONDS + expected / MIN_RATE
        try:
            return sync(self.fs.loop, coroutine, *args, timeout=seconds, **kwargs)
        except FSTimeoutError:
            raise KerascopeError(
                f"the server did not answer within {seconds:.3g} s "
                f"(kerascope gives a server {RESPONSE_SECONDS:g} s to begin and {MIN_RATE // 1024} KiB/s after)"
            ) from None

    def fetch(self, path: str, start: int, end: int) -> bytes:
        """Bytes `start:end` of the file at `path` on this store, by one range request."""
        self.counter.allow(end - start)
        try:
            return self.call("cat_file", path, start=start, end=end, expected=end - start)
        except KerascopeError:
            raise
        except Exception as error:  # noqa: BLE001 - each filesystem raises its own kinds
            raise KerascopeError(remote_error(error)) from None

    def _at(self, member: str) -> str:
        return f"{self.path.rstrip('/')}/{member}" if member else self.path

    def _info(self, member: str) -> dict[str, Any]:
        try:
            return self.call("info", self._at(member))
        except KerascopeError:
            raise
        except Exception as error:  # noqa: BLE001 - each filesystem raises its own kinds
            raise KerascopeError(f"{member + ': ' if member else ''}{remote_error(error)}") from None

    @staticmethod
    def is_folder(info: dict[str, Any]) -> bool:
        """A folder: what the store calls one, or, over plain HTTP, a page listing one."""
        return info.get("type") == "directory" or str(info.get("mimetype", "")).startswith("text/html")

    def info(self, member: str = "") -> dict[str, Any]:
        """What the store says of the entry (size, validators such as an ETag), one line if it cannot."""
        return self._info(member)

    def open(self, member: str = "") -> IO[bytes]:
        size = self.size(member)
        key = f"{self.name}/{member}" if member else self.name
        return _BlockReader(self, self._at(member), size, self.cache, key)

    def is_dir(self, member: str = "") -> bool:
        info = self._info(member) if not member else self._info_or_none(member)
        return info is not None and self.is_folder(info)

    def is_file(self, member: str = "") -> bool:
        info = self._info(member) if not member else self._info_or_none(member)
        return info is not None and info.get("type") == "file" and not self.is_folder(info)

    def _info_or_none(self, member: str) -> dict[str, Any] | None:
        try:
            return self._info(member)
        except KerascopeError:
            return None

    def listing(self, member: str = "") -> list[str]:
        info = self._info(member)
        if isinstance(info.get("size"), int) and info["size"] > MAX_LISTING_PAGE:
            raise KerascopeError(f"{member or 'the folder'}: a listing of {info['size']:,} bytes")
        try:
            entries = self._entries(self._at(member))
        except KerascopeError:
            raise
        except Exception as error:  # noqa: BLE001
            raise KerascopeError(remote_error(error)) from None
        if len(entries) > MAX_LISTING:
            raise KerascopeError(f"a folder of more than {MAX_LISTING:,} entries")
        inside = self._at(member).rstrip("/") + "/"
        names = {
            PurePosixPath(str(entry).rstrip("/")).name
            for entry in entries
            if str(entry).startswith(inside) or "://" not in str(entry)
        }
        return sorted(name for name in names if name not in ("", ".", ".."))

    def _entries(self, path: str) -> list[str]:
        """What a folder lists: over HTTP, the links of its page, read within bounds and
        scanned in one pass (`remote_http.py`); elsewhere, what the store says."""
        if not self.over_http:
            return self.fs.ls(path, detail=False)
        from kerascope.decoders import remote_http

        page = self._in_time(remote_http.listing_page, self.fs, path, expected=MAX_LISTING_PAGE)
        return remote_http.page_links(page, path)

    def size(self, member: str = "") -> int:
        path = self._at(member)
        if path not in self.sizes:
            size = self._info(member).get("size")
            if not isinstance(size, int):
                raise KerascopeError(f"{self.name}: the server does not say how large the file is")
            self.sizes[path] = size
        return self.sizes[path]

    def within(self, member: str) -> Source:
        inner = RemoteSource(f"{self.name.rstrip('/')}/{member}", self.cache, self.fs, self._at(member))
        return self._sharing(inner)

    def parent(self) -> Source:
        url, path = self.name.rstrip("/").rpartition("/")[0], self.path.rstrip("/").rpartition("/")[0]
        return self._sharing(RemoteSource(url, self.cache, self.fs, path))

    def forget(self) -> None:
        self.sizes.clear()
        self.blocks.clear()

    def _sharing(self, other: RemoteSource) -> RemoteSource:
        """`other`, counting against this command's budget and sharing what it learned."""
        other.counter, other.sizes, other.blocks = self.counter, self.sizes, self.blocks
        return other

    @property
    def fetched(self) -> int:
        return self.counter.bytes


class _Counter:
    """The bytes one command fetched from one store, held to `MAX_FETCHED`."""

    def __init__(self) -> None:
        self.bytes = 0

    def allow(self, count: int) -> None:
        if self.bytes + count > MAX_FETCHED:
            raise KerascopeError(
                f"fetched {self.bytes:,} bytes already; {count:,} more would pass the "
                f"{MAX_FETCHED:,}-byte budget of one command"
            )


class _BlockReader(io.RawIOBase):
    """A remote file read in aligned blocks, each fetched once (from the cache folder
    when it holds it), and counted."""

    def __init__(self, source: RemoteSource, path: str, size: int, cache: Path | None, key: str) -> None:
        super().__init__()
        self._source, self._path, self._size = source, path, size
        self._counter = source.counter
        self._position = 0
        self._blocks = source.blocks.setdefault(path, {})
        self._cache = cache / hashlib.sha256(key.encode()).hexdigest()[:32] if cache else None

    page_size = BLOCK
    page_shift = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), max(0, self._size - self._position))
        if count == 0:
            return 0
        first, last = self._position // BLOCK, (self._position + count - 1) // BLOCK
        blocks = self._blocks_between(first, last)
        data = b"".join(blocks)
        start = self._position - first * BLOCK
        memoryview(buffer)[:count] = data[start : start + count]
        self._position += count
        return count

    def prefetch(self, ranges: list[tuple[int, int]]) -> None:
        """Fetch the blocks of these `(offset, size)` ranges that are not here yet,
        concurrently where the filesystem can (`cat_ranges`), in one batch."""
        wanted: set[int] = set()
        for offset, size in ranges:
            if size > 0 and offset < self._size:
                wanted.update(range(offset // BLOCK, (min(offset + size, self._size) - 1) // BLOCK + 1))
        missing = sorted(
            index for index in wanted if index not in self._blocks and self._cached(index) is None
        )
        runs: list[tuple[int, int]] = []
        for index in missing:
            if runs and runs[-1][1] == index - 1:
                runs[-1] = (runs[-1][0], index)
            else:
                runs.append((index, index))
        if not runs:
            return
        starts = [first * BLOCK for first, _ in runs]
        ends = [min((last + 1) * BLOCK, self._size) for _, last in runs]
        wanted_bytes = sum(ends) - sum(starts)
        self._counter.allow(wanted_bytes)
        try:
            parts = self._source.call(
                "cat_ranges", [self._path] * len(runs), starts, ends, expected=wanted_bytes
            )
        except KerascopeError:
            raise
        except Exception as error:  # noqa: BLE001 - each filesystem raises its own kinds
            raise KerascopeError(remote_error(error)) from None
        for (first, last), data in zip(runs, parts, strict=True):
            if isinstance(data, BaseException):
                raise KerascopeError(remote_error(data))
            self._counter.bytes += len(data)
            for index in range(first, last + 1):
                block = data[(index - first) * BLOCK : (index - first + 1) * BLOCK]
                self._store(index, block)
                self._keep(index, block)

    def _blocks_between(self, first: int, last: int) -> list[bytes]:
        """Blocks `first..last`, fetching each run of missing ones in one request."""
        found: dict[int, bytes] = {}
        missing = []
        for index in range(first, last + 1):
            block = self._blocks.get(index)
            if block is None:
                block = self._cached(index)
            if block is None:
                missing.append(index)
            else:
                found[index] = block
        run_start = 0
        for position in range(1, len(missing) + 1):
            if position == len(missing) or missing[position] != missing[position - 1] + 1:
                found.update(self._fetch(missing[run_start], missing[position - 1]))
                run_start = position
        for index, block in found.items():
            self._keep(index, block)
        return [found[index] for index in range(first, last + 1)]

    def _fetch(self, first: int, last: int) -> dict[int, bytes]:
        start = first * BLOCK
        data = self._source.fetch(self._path, start, min((last + 1) * BLOCK, self._size))
        self._counter.bytes += len(data)
        blocks = {
            index: data[(index - first) * BLOCK : (index - first + 1) * BLOCK]
            for index in range(first, last + 1)
        }
        for index, block in blocks.items():
            self._store(index, block)
        return blocks

    def _keep(self, index: int, block: bytes) -> None:
        if index not in self._blocks and len(self._blocks) >= MAX_BLOCKS:
            self._blocks.pop(next(iter(self._blocks)))
        self._blocks[index] = block

    def _cached(self, index: int) -> bytes | None:
        if self._cache is None:
            return None
        path = self._cache / str(index)
        try:
            found = os.lstat(path)
        except OSError:
            return None
        return path.read_bytes() if stat.S_ISREG(found.st_mode) else None

    def _store(self, index: int, block: bytes) -> None:
        if self._cache is None:
            return
        self._cache.mkdir(parents=True, exist_ok=True)
        temporary = self._cache / f".{index}.{os.getpid()}"
        temporary.write_bytes(block)
        os.replace(temporary, self._cache / str(index))


def _options(url: str) -> dict[str, Any]:
    """fsspec storage options: over HTTP, those that bound every response."""
    if url.partition("://")[0].lower() not in HTTP:
        return {}
    from kerascope.decoders import remote_http

    return remote_http.options()


def remote_error(error: BaseException) -> str:
    """One line for what a remote store said: not found, not allowed, no ranges; or why
    kerascope refused what it sent (found anywhere in the chain of causes)."""
    cause: BaseException | None = error
    for _ in range(16):
        if cause is None:
            break
        if getattr(cause, "refusal", False):
            return one_line(str(cause))
        cause = cause.__cause__ or cause.__context__
    status = getattr(error, "status", None) or getattr(getattr(error, "response", None), "status_code", None)
    text = one_line(str(error)) or type(error).__name__
    if status == 404 or isinstance(error, FileNotFoundError):
        return "not found (404)"
    if status in (401, 403) or isinstance(error, PermissionError):
        return f"not allowed ({status or 'permission denied'}): the store needs credentials"
    if status == 416 or "range" in text.lower():
        return f"the server does not serve byte ranges ({text})"
    return text
