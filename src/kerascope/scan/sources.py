"""Where scan targets live: an fsspec filesystem and a path on it.

The walk, the fingerprints and the content hash go through fsspec's interface
(`ls`, `info`, `open`) only, so a bucket or a hub becomes another filesystem
here. Reading a model needs a local path (`kerascope.check` and `sniff` take
one); `local_path` is the one place that bridges the two, and today it accepts
only the local filesystem. A remote target is refused with one line until it
maps its objects to local copies.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError

LOCAL = "file"


def filesystem(protocol: str) -> Any:
    """The fsspec filesystem for `protocol` (fsspec caches instances)."""
    try:
        import fsspec
    except ImportError:
        raise KerascopeError("scanning needs fsspec: pip install 'kerascope[catalog]'") from None

    return fsspec.filesystem(protocol)


def resolve_target(target: str | os.PathLike[str]) -> tuple[str, str]:
    """`(protocol, path)` for a scan target, the path absolute; one line if it cannot be scanned."""
    text = os.fspath(target)
    protocol, separator, _ = text.partition("://")
    if separator and protocol != LOCAL:
        raise KerascopeError(f"{text}: only local folders and files can be scanned for now ({protocol}://)")
    if separator:
        text = text[len("file://") :]
    path = Path(text).expanduser().absolute()
    if not os.path.lexists(path):
        raise KerascopeError(f"{text}: no such file or directory")
    return LOCAL, os.path.normpath(path)


def local_path(protocol: str, path: str) -> Path:
    """The local path a reader opens for `path` on `protocol`."""
    if protocol != LOCAL:
        raise KerascopeError(f"{protocol}://{path}: only local files can be read for now")
    return Path(path)
