"""What the user pointed at, decided once: a live object, a path, a URL, or user code.

Every command and API call resolves its targets here and nowhere else. A string
with a scheme (`https://`, `s3://`, `gs://`, `hf://`) that is not a local file is
a remote target, read by range requests. The rule that keeps a file from running
code: a string is user code to import only when it cannot be a file. An argument that exists on disk (a dangling link
included), contains a path separator, or ends in a model file's extension is a
file, whatever else it looks like: `d/payload.py:model.keras`, which a shell
glob can produce from a folder of models, never imports `payload.py`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.model.records import ModelReport

# Names a model file or folder ends with: such an argument is a path, never code.
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".json", ".pb", ".npz", ".zip", ".index", ".bin")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CODE = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<attr>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")


@dataclass(frozen=True)
class LiveTarget:
    """A Keras model or layer in this process."""

    obj: Any
    source: str | None = None


@dataclass(frozen=True)
class FileTarget:
    """A saved model: a file or a directory (which may not exist)."""

    path: Path

    @property
    def source(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class RemoteTarget:
    """A saved model at a URL fsspec can open: read by range requests, never downloaded whole."""

    url: str

    @property
    def source(self) -> str:
        return self.url


@dataclass(frozen=True)
class CodeTarget:
    """`module:attr` (or `file.py:attr` in the current directory): a model in the
    user's code, or a function returning one. Imported only by `load()`."""

    reference: str

    @property
    def source(self) -> str:
        return self.reference

    def load(self) -> LiveTarget:
        return LiveTarget(_resolve_reference(self.reference), self.reference)


@dataclass(frozen=True)
class ReportTarget:
    """A report already made."""

    report: ModelReport


Target = LiveTarget | FileTarget | RemoteTarget | CodeTarget | ReportTarget
SavedTarget = FileTarget | RemoteTarget


def resolve(target: Any) -> Target:
    """The one decision of what `target` is."""
    if isinstance(target, (LiveTarget, FileTarget, RemoteTarget, CodeTarget, ReportTarget)):
        return target
    if isinstance(target, ModelReport):
        return ReportTarget(target)
    if isinstance(target, os.PathLike):
        return FileTarget(Path(target))
    if not isinstance(target, str):
        return LiveTarget(target)
    if _URL.match(target) and not os.path.lexists(target):
        return RemoteTarget(target)
    if names_a_file(target) or not _CODE.match(target):
        return FileTarget(Path(target))
    return CodeTarget(target)


def resolve_saved(target: Any, what: str) -> SavedTarget:
    """A target that must be a saved file (a `--config`): a path or a URL, never code."""
    resolved = resolve(target)
    if isinstance(resolved, CodeTarget):
        resolved = FileTarget(Path(resolved.reference))
    if not isinstance(resolved, (FileTarget, RemoteTarget)):
        raise KerascopeError(f"{what} must be a saved file, not a live object")
    return resolved


def names_a_file(text: str) -> bool:
    """Whether an argument is a file or directory in any form, existing or not."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (
        os.path.lexists(text)
        or any(separator in text for separator in separators)
        or text.lower().endswith(MODEL_SUFFIXES)
    )


def _resolve_reference(reference: str) -> Any:
    """The object named by `module:attr` (or `file.py:attr`); a function is called.

    The current directory is importable, as it is for `python -m`.
    """
    match = _CODE.match(reference)
    if match is None:
        raise KerascopeError(f"{reference}: not a module:attribute reference")
    module = _import(match["module"], reference)
    obj: Any = module
    for part in match["attr"].split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise KerascopeError(f"{reference}: no attribute {part!r}") from None
    if callable(obj) and not hasattr(obj, "get_config"):
        try:
            obj = obj()
        except Exception as error:
            raise KerascopeError(
                f"{reference}: calling {match['attr']}() raised {type(error).__name__}: {error}"
            ) from error
    return obj


def _import(module_name: str, reference: str) -> Any:
    try:
        if module_name.endswith(".py"):
            return _import_file(Path(module_name))
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        return importlib.import_module(module_name)
    except ImportError as error:
        raise KerascopeError(f"{reference}: cannot import {module_name}: {error}") from error


def _import_file(path: Path) -> Any:
    """A `.py` file in the current directory, named by the user as `file.py:attr`."""
    if not path.is_file() or path.is_symlink():
        raise ImportError(f"no file {path}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
