"""Finding every model under a target, by content.

A folder that a format of the readers' registry accepts (a SavedModel, an
extracted archive, a preset, an Orbax checkpoint) is one model and is not
entered; any other folder is walked, and each regular file a format accepts is
one model: the same recognition `inspect` uses (`readers.registry`). Symbolic links inside the tree are never followed, to a
file or a folder, inside the tree or out of it: each is recorded as a link with
its target text, since what it points at cannot be known without following it
(a target inside the tree is catalogued under its own path anyway). A target the
user names is followed even when it is a link. FIFOs, sockets and devices are
passed over: none can hold a model. An entry that cannot be examined (no
permission) is recorded with the reason. A URL is walked the same way, through
the listing pages or the store's folders (`sources.RemoteTree`).

A local tree is finite (no link is followed); a remote one is what its server
says, and a server can list a folder inside every folder forever. So a walk goes
at most `MAX_DEPTH` folders below its target, and a remote walk lists at most
`MAX_REMOTE_ENTRIES` entries; past either, the folder is recorded as an error row.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kerascope.errors import KerascopeError, one_line
from kerascope.readers.registry import Kind, recognise_source
from kerascope.scan.fingerprint import folder_stat_key, members, stat_key
from kerascope.scan.sources import LOCAL, MAX_DEPTH, MAX_REMOTE_ENTRIES, filesystem, reader_source


@dataclass
class Entry:
    """One row-to-be of the catalog: a model (`kind` set), a link, or an entry that could not be examined."""

    path: str
    protocol: str
    root: str
    kind: Kind | None = None
    is_dir: bool = False
    size: int | None = None
    mtime: float | None = None
    stat_key: str | None = None
    link_target: str | None = None
    error: str | None = None

    @property
    def file_id(self) -> str:
        """The catalog key: stable for a path, so that two scans of one tree agree."""
        return hashlib.sha256(
            f"{self.protocol}://{self.path}".encode("utf-8", "surrogateescape")
        ).hexdigest()[:32]

    @property
    def is_model(self) -> bool:
        return self.kind is not None and self.error is None


def walk(protocol: str, root: str, exclude: Sequence[str] = ()) -> Iterator[Entry]:
    """Every model, link and unexaminable entry under `root`: a folder's files in name
    order, then its subfolders, the same order on every run."""
    fs = filesystem(protocol)
    info = fs.info(root)  # follows a link the user named
    if info["type"] == "file":
        yield _file(protocol, root, root, info, named=True)
        return
    if info["type"] != "directory":
        raise KerascopeError(f"{root}: neither a file nor a folder")
    pending = [(info["name"], 0)]
    listed = 0
    while pending:
        folder, depth = pending.pop()
        if depth > MAX_DEPTH:
            yield Entry(
                folder,
                protocol,
                root,
                is_dir=True,
                error=f"{folder}: more than {MAX_DEPTH} folders deep: not walked",
            )
            continue
        if protocol != LOCAL and listed >= MAX_REMOTE_ENTRIES:
            yield Entry(
                folder,
                protocol,
                root,
                is_dir=True,
                error=f"{folder}: not walked: the target lists more than {MAX_REMOTE_ENTRIES:,} entries",
            )
            continue
        entry = _folder_model(fs, protocol, root, folder)
        if entry is not None:
            yield entry
            continue
        try:
            children = sorted(fs.ls(folder, detail=True), key=lambda child: child["name"], reverse=True)
        except (OSError, KerascopeError) as error:
            yield Entry(folder, protocol, root, is_dir=True, error=_reason(folder, error))
            continue
        listed += len(children)
        subfolders = []
        for child in reversed(children):
            name = child["name"]
            if _excluded(name, root, exclude):
                continue
            if child.get("islink"):
                yield Entry(
                    name, protocol, root, stat_key=stat_key(child), link_target=child.get("destination")
                )
            elif child["type"] == "directory":
                subfolders.append(name)
            elif child["type"] == "file":
                entry = _file(protocol, root, name, child, named=False)
                if entry is not None:
                    yield entry
        pending.extend((subfolder, depth + 1) for subfolder in reversed(subfolders))


def _file(protocol: str, root: str, path: str, info: dict[str, Any], named: bool) -> Entry | None:
    """A file's entry when it holds a model, or when the user named it; else None."""
    facts = {"size": info.get("size"), "mtime": info.get("mtime"), "stat_key": stat_key(info)}
    try:
        kind = _kind(reader_source(protocol, path))
    except (OSError, KerascopeError) as error:
        return Entry(path, protocol, root, **facts, error=_reason(path, error))
    if kind is None and not named:
        return None
    if kind is None:
        return Entry(path, protocol, root, **facts, error=f"{path}: not a Keras model file")
    return Entry(path, protocol, root, kind, **facts)


def _folder_model(fs: Any, protocol: str, root: str, folder: str) -> Entry | None:
    """The folder as one model, when a format accepts it."""
    try:
        kind = _kind(reader_source(protocol, folder))
    except (OSError, KerascopeError) as error:
        return Entry(folder, protocol, root, is_dir=True, error=_reason(folder, error))
    if kind is None:
        return None
    try:
        listed = members(fs, folder)
    except (OSError, KerascopeError) as error:
        return Entry(folder, protocol, root, kind, is_dir=True, error=_reason(folder, error))
    files = [info for _, info in listed if not info.get("islink")]
    return Entry(
        folder,
        protocol,
        root,
        kind,
        is_dir=True,
        size=sum(info.get("size") or 0 for info in files),
        mtime=max((info.get("mtime") or 0 for info in files), default=None),
        stat_key=folder_stat_key(listed),
    )


def _kind(source: Any) -> Kind | None:
    recognition = recognise_source(source)
    return recognition.reading.KIND if recognition is not None else None


def _excluded(path: str, root: str, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    relative = path[len(root) + 1 :]
    name = relative.rpartition("/")[2]
    return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _reason(path: str, error: OSError | KerascopeError) -> str:
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"{path}: cannot be examined ({one_line(text)})"
