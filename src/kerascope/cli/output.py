"""Where a command's output goes: standard output, or a file written whole.

A file is written into a temporary file beside it and renamed into place once
everything rendered, so a failed command leaves the old file as it was. Only a
regular file (or a new one) is replaced that way; anything else at the path (a
symbolic link, a FIFO, a device) is refused unless `--force`, and then written
through, as the user named it. Errors name the user's path, never the
temporary file.

An output that is one of the command's inputs (the model file by any name, a hard
link or a symbolic link to it, a file inside a model folder such as a preset's
`config.json`, the `--config` file) is refused before anything is read.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from kerascope.errors import KerascopeError


def to_terminal(path: str | None) -> bool:
    """Whether output to `path` (None: standard output) reaches a terminal, so may be coloured."""
    return path is None and sys.stdout.isatty()


# The arguments that name what a command reads, and those that name what it writes.
INPUT_ARGUMENTS = ("target", "a", "b", "config", "targets")
OUTPUT_ARGUMENTS = ("output", "sarif")


def refuse_overwriting_inputs(args: object) -> None:
    """Refuse, in one line, an output that is one of the inputs: same file (same device
    and inode, however it is named) or a file inside an input folder."""
    inputs: list[str] = []
    for name in INPUT_ARGUMENTS:
        value = getattr(args, name, None)
        inputs += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    for name in OUTPUT_ARGUMENTS:
        output = getattr(args, name, None)
        if not isinstance(output, str):
            continue
        written = _identity(output)
        if written is None:
            continue
        within = {_identity(str(folder)) for folder in Path(os.path.realpath(output)).parents}
        for path in inputs:
            read = _identity(path)
            if read is not None and (read == written or (os.path.isdir(path) and read in within)):
                raise KerascopeError(
                    f"{output}: is {'inside ' if read != written else ''}the input {path}; "
                    "refusing to write over what the command reads"
                )


def _identity(path: str) -> tuple[int, int] | None:
    """`(device, inode)` of what `path` names, links followed; None when there is nothing there."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def emit(text: str, path: str | None, force: bool = False) -> None:
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise KerascopeError(f"{path}: cannot write: {error.strerror}") from None
    if found is not None and not stat.S_ISREG(found.st_mode):
        if not force:
            raise KerascopeError(
                f"{path}: not a regular file ({_kind(found.st_mode)}); refusing to replace it (--force writes through it)"
            )
        _write_through(target, text)
        return
    _replace(target, text, found)


def _replace(target: Path, text: str, found: os.stat_result | None) -> None:
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as error:
        raise KerascopeError(f"{target}: cannot write: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, stat.S_IMODE(found.st_mode) if found is not None else _default_mode())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise KerascopeError(f"{target}: cannot write: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_through(target: Path, text: str) -> None:
    try:
        with open(target, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise KerascopeError(f"{target}: cannot write: {error.strerror}") from None


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _default_mode() -> int:
    """What a plain open() would give a new file under the user's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
