"""Where a model's bytes are: a local path, or a remote URL read by range requests.

Every reader opens what it reads through a `Source`, so the same reader serves a
file on disk, an object in a bucket and a file on a hub. A remote source reads
only the ranges a reader asks for (a zip's central directory, `config.json`, the
HDF5 object headers of a weights file), never a whole file, and counts the bytes
it fetched; with a cache folder, what it fetched is kept for the next read.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path, PurePosixPath
from typing import IO, Any

from kerascope.errors import KerascopeError

# Remote bytes are fetched in blocks of this size: a few range requests for a zip's
# directory and a config, one per stretch of HDF5 metadata.
BLOCK = 64 * 1024
MAX_LISTING = 10_000  # entries listed from one remote folder


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

    def read(self, member: str, limit: int) -> bytes:
        """A whole (small) member, refusing one larger than `limit` bytes."""
        size = self.size(member)
        if size > limit:
            from kerascope.limits import LimitExceeded

            raise LimitExceeded(
                f"{member or self.name} is {size:,} bytes, over the {limit:,}-byte member limit"
            )
        with self.open(member) as stream:
            return stream.read(limit + 1)[: limit + 1]

    def within(self, member: str) -> Source:
        """The source of a member folder (a SavedModel's version folder, a preset's assets)."""
        raise NotImplementedError

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


class LocalSource(Source):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def _at(self, member: str) -> Path:
        return self.path / member if member else self.path

    def open(self, member: str = "") -> IO[bytes]:
        try:
            return self._at(member).open("rb", buffering=0)
        except OSError as error:
            raise KerascopeError(f"{member or 'the file'}: cannot open: {error.strerror}") from None

    def is_dir(self, member: str = "") -> bool:
        return self._at(member).is_dir()

    def is_file(self, member: str = "") -> bool:
        return self._at(member).is_file()

    def listing(self, member: str = "") -> list[str]:
        return sorted(entry.name for entry in self._at(member).iterdir())

    def size(self, member: str = "") -> int:
        return self._at(member).stat().st_size

    def within(self, member: str) -> Source:
        return LocalSource(self._at(member))


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
                _fs, _path = url_to_fs(url)
            except (ImportError, ValueError) as error:
                raise KerascopeError(f"{url}: {remote_error(error)}") from None
        self.fs, self.path = _fs, _path or ""
        self.counter = _Counter()

    def _at(self, member: str) -> str:
        return f"{self.path.rstrip('/')}/{member}" if member else self.path

    def _info(self, member: str) -> dict[str, Any]:
        try:
            return self.fs.info(self._at(member))
        except FileNotFoundError:
            raise KerascopeError(f"{self.name}{'/' + member if member else ''}: no such file") from None
        except Exception as error:  # noqa: BLE001 - each filesystem raises its own kinds
            raise KerascopeError(f"{self.name}: {remote_error(error)}") from None

    def open(self, member: str = "") -> IO[bytes]:
        size = self.size(member)
        try:
            raw = self.fs.open(self._at(member), "rb", block_size=BLOCK, cache_type="none")
        except Exception as error:  # noqa: BLE001
            raise KerascopeError(f"{self.name}: {remote_error(error)}") from None
        key = f"{self.name}/{member}" if member else self.name
        return _BlockReader(raw, size, self.counter, self.cache, key)

    def is_dir(self, member: str = "") -> bool:
        try:
            return self._info(member).get("type") == "directory"
        except KerascopeError:
            return False

    def is_file(self, member: str = "") -> bool:
        try:
            return self._info(member).get("type") == "file"
        except KerascopeError:
            return False

    def listing(self, member: str = "") -> list[str]:
        try:
            entries = self.fs.ls(self._at(member), detail=False)
        except Exception as error:  # noqa: BLE001
            raise KerascopeError(f"{self.name}: {remote_error(error)}") from None
        if len(entries) > MAX_LISTING:
            raise KerascopeError(f"{self.name}: a folder of more than {MAX_LISTING:,} entries")
        return sorted(PurePosixPath(str(entry).rstrip("/")).name for entry in entries)

    def size(self, member: str = "") -> int:
        size = self._info(member).get("size")
        if not isinstance(size, int):
            raise KerascopeError(f"{self.name}: the server does not say how large the file is")
        return size

    def within(self, member: str) -> Source:
        inner = RemoteSource(f"{self.name.rstrip('/')}/{member}", self.cache, self.fs, self._at(member))
        inner.counter = self.counter
        return inner

    @property
    def fetched(self) -> int:
        return self.counter.bytes


class _Counter:
    def __init__(self) -> None:
        self.bytes = 0


class _BlockReader(io.RawIOBase):
    """A remote file read in aligned blocks, each fetched once (from the cache folder
    when it holds it), and counted."""

    def __init__(self, raw: Any, size: int, counter: _Counter, cache: Path | None, key: str) -> None:
        super().__init__()
        self._raw, self._size, self._counter = raw, size, counter
        self._position = 0
        self._blocks: dict[int, bytes] = {}
        self._cache = cache / hashlib.sha256(key.encode()).hexdigest()[:32] if cache else None

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
        out = memoryview(buffer)
        done = 0
        while done < count:
            index, start = divmod(self._position + done, BLOCK)
            block = self._block(index)
            piece = block[start : start + count - done]
            if not piece:
                break
            out[done : done + len(piece)] = piece
            done += len(piece)
        self._position += done
        return done

    def _block(self, index: int) -> bytes:
        if index in self._blocks:
            return self._blocks[index]
        block = self._cached(index)
        if block is None:
            start = index * BLOCK
            self._raw.seek(start)
            try:
                block = self._raw.read(min(BLOCK, self._size - start))
            except Exception as error:  # noqa: BLE001 - each filesystem raises its own kinds
                raise KerascopeError(remote_error(error)) from None
            self._counter.bytes += len(block)
            self._store(index, block)
        if len(self._blocks) > 4096:  # at most 256 MiB of blocks kept
            self._blocks.pop(next(iter(self._blocks)))
        self._blocks[index] = block
        return block

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

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def remote_error(error: BaseException) -> str:
    """One line for what a remote store said: not found, not allowed, no ranges."""
    from kerascope.model.paths import one_line

    status = getattr(error, "status", None) or getattr(getattr(error, "response", None), "status_code", None)
    text = one_line(str(error)) or type(error).__name__
    if status == 404 or isinstance(error, FileNotFoundError):
        return "not found (404)"
    if status in (401, 403) or isinstance(error, PermissionError):
        return f"not allowed ({status or 'permission denied'}): the store needs credentials"
    if status == 416 or "range" in text.lower():
        return f"the server does not serve byte ranges ({text})"
    return text
