"""Where scan targets live: the local filesystem, or a URL, and a path on it.

The walk, the fingerprints and the content hash use an fsspec-shaped interface
(`info`, `ls`, `open`): fsspec's own local filesystem for local targets, and
`RemoteTree` for URLs. A remote entry is named by its whole URL and read through
the same `RemoteSource` that `inspect` uses, so a folder is what a store calls
one or, over plain HTTP, a page listing one, and only range requests read it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Any

from kerascope.decoders.source import LocalSource, RemoteSource, Source
from kerascope.errors import KerascopeError
from kerascope.scan.defaults import DEFAULT_TIME_LIMIT

LOCAL = "file"
# A remote tree is what its server says: a server can list a folder inside every
# folder forever. Walks and folder models go no deeper, and list no more, than this.
MAX_DEPTH = 256
MAX_REMOTE_ENTRIES = 1_000_000
# The scanning process describes a remote folder's entries itself (one request each):
# past this, the folder is an error row, as a worker's file past its time limit is.
LISTING_SECONDS = DEFAULT_TIME_LIMIT


def filesystem(protocol: str) -> Any:
    """The filesystem of `protocol`: fsspec's local one, or a `RemoteTree`."""
    if protocol != LOCAL:
        return RemoteTree()
    try:
        import fsspec
    except ImportError:
        raise KerascopeError("scanning needs fsspec: pip install 'kerascope[catalog]'") from None

    return fsspec.filesystem(protocol)


def resolve_target(target: str | os.PathLike[str]) -> tuple[str, str]:
    """`(protocol, path)` for a scan target (a local path made absolute, or a URL); one line if it cannot be scanned."""
    text = os.fspath(target)
    protocol, separator, _ = text.partition("://")
    if separator and protocol != LOCAL:
        url = text.rstrip("/")
        try:
            source = RemoteSource(url)
            if not source.is_dir() and not source.is_file():
                raise KerascopeError("neither a file nor a folder")
        except KerascopeError as error:
            message = str(error)
            raise KerascopeError(message if message.startswith(url) else f"{url}: {message}") from None
        return protocol, url
    if separator:
        text = text[len("file://") :]
    path = Path(text).expanduser().absolute()
    if not os.path.lexists(path):
        raise KerascopeError(f"{text}: no such file or directory")
    return LOCAL, os.path.normpath(path)


def reader_source(protocol: str, path: str) -> Source:
    """The source a reader opens for `path` on `protocol`."""
    return LocalSource(Path(path)) if protocol == LOCAL else RemoteSource(path)


class RemoteTree:
    """A remote folder tree in fsspec's shape: entries named by URL, each described by
    the store (one request per entry: a listing page names its entries, not their sizes).
    A listing never names what is above it, so nothing outside the target is walked."""

    def info(self, url: str) -> dict[str, Any]:
        found = dict(RemoteSource(url).info())
        found["name"] = url
        found["type"] = "directory" if RemoteSource.is_folder(found) else "file"
        return found

    def ls(self, url: str, detail: bool = True) -> list[dict[str, Any]]:
        """The folder's entries, described within `LISTING_SECONDS` (each request to the
        server is bounded in time and bytes by `RemoteSource`; this bounds them all)."""
        names = RemoteSource(url).listing()
        deadline = time.monotonic() + LISTING_SECONDS
        entries = []
        for name in names:
            if time.monotonic() > deadline:
                raise KerascopeError(
                    f"its server took more than {LISTING_SECONDS:g} s to describe its entries "
                    f"({len(entries):,} of {len(names):,})"
                )
            entries.append(self._entry(f"{url}/{name}"))
        return entries

    def _entry(self, url: str) -> dict[str, Any]:
        """A listed entry the store will not describe (a name it cannot serve) is taken
        as a file: reading it then fails, which makes it one error row, not its folder's."""
        try:
            return self.info(url)
        except KerascopeError:
            return {"name": url, "type": "file"}

    def open(self, url: str, mode: str = "rb") -> IO[bytes]:
        return RemoteSource(url).open()
