"""What identifies a model's bytes: a cheap stat key, and the sha256 of its content.

A second scan must not re-read unchanged models, and should not even re-hash
them. The stat key is a hash of what the filesystem says about an entry (size,
modification time, change time, inode; for a folder, of every member's): when
it equals the catalogued one, the entry is taken as unchanged without reading a
byte, as git and rsync do. Anything that rewrites a file changes its change
time, which no user call can set back, so a changed file always gets a new key;
a key that changed while the bytes did not (a `touch`) costs one re-hash, and the
model is not read again when the hash equals the catalogued one.

A folder's content hash is the sha256 of its members' relative paths and
hashes, sorted; a symbolic link inside it counts as its target text, never
followed.

A remote entry's key is its size and the validators the store sends (an ETag, a
Content-MD5, a Digest). Where it sends none, nothing says whether the bytes
changed, so the entry has no key and is hashed again on every scan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.limits import check_time
from kerascope.scan.sources import MAX_DEPTH, MAX_REMOTE_ENTRIES

_STAT_FIELDS = ("size", "mtime", "created", "ino", "ETag", "Content-MD5", "Digest")
_VALIDATORS = ("mtime", "ETag", "Content-MD5", "Digest")  # what changes when the bytes do
_CHUNK = 1 << 20


def stat_key(info: dict[str, Any]) -> str | None:
    """The key of one file's filesystem facts; None when they cannot tell a change."""
    if not _validated(info):
        return None
    return _digest([info.get(name) for name in _STAT_FIELDS])


def folder_stat_key(members: list[tuple[str, dict[str, Any]]]) -> str | None:
    """The key of a folder model: every member's relative path and facts; None when
    a member's facts cannot tell a change."""
    if not all(info.get("islink") or _validated(info) for _, info in members):
        return None
    return _digest(
        [
            [relative, info.get("destination"), *(info.get(name) for name in _STAT_FIELDS)]
            for relative, info in members
        ]
    )


def _validated(info: dict[str, Any]) -> bool:
    return any(info.get(name) is not None for name in _VALIDATORS)


def members(fs: Any, folder: str) -> list[tuple[str, dict[str, Any]]]:
    """Every file and symbolic link below `folder` as `(relative path, info)`, sorted; links not followed."""
    found = []
    for info in _below(fs, folder):
        if info.get("islink") or info["type"] == "file":
            found.append((info["name"][len(folder) + 1 :], info))
    return sorted(found, key=lambda member: member[0])


def _below(fs: Any, folder: str) -> Iterator[dict[str, Any]]:
    """Every entry below `folder`, within the walk's depth and entry bounds."""
    pending, listed = [(folder, 0)], 0
    while pending:
        current, depth = pending.pop()
        for info in fs.ls(current, detail=True):
            listed += 1
            if listed > MAX_REMOTE_ENTRIES:
                raise KerascopeError(f"{folder}: a model folder of more than {MAX_REMOTE_ENTRIES:,} entries")
            yield info
            if info["type"] == "directory" and not info.get("islink"):
                if depth >= MAX_DEPTH:
                    raise KerascopeError(f"{folder}: a model folder more than {MAX_DEPTH} folders deep")
                pending.append((info["name"], depth + 1))


def content_hash(fs: Any, path: str, is_dir: bool) -> str:
    """The sha256 of a file's bytes, or of a folder's sorted member paths and hashes."""
    if not is_dir:
        return _file_hash(fs, path)
    lines = []
    for relative, info in members(fs, path):
        digest = (
            "link:" + str(info.get("destination")) if info.get("islink") else _file_hash(fs, info["name"])
        )
        lines.append(f"{relative}\0{digest}\n")
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def _file_hash(fs: Any, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            check_time()
    return digest.hexdigest()


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode("utf-8", "surrogateescape")).hexdigest()[:32]
