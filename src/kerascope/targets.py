"""What a target is, and which source reads it.

A target is a live object, a path to a saved model, or a `module:attribute`
reference to user code (a model, or a function that returns one). Paths are
recognised by existing on disk and are read by content, never by name, so a
file is never mistaken for code to import: only a reference the user typed is
imported, and only when no such file exists.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.report import ModelReport
from kerascope.sources.limits import DEFAULT_LIMITS, Limits

_REFERENCE = re.compile(r"^(?P<module>[^:]+):(?P<attr>[A-Za-z_][\w.]*)$")


def inspect(target: Any, *, load: bool = False, limits: Limits | None = None) -> ModelReport:
    """One report of `target`: a Keras model or layer, a saved file, or `module:attr`.

    `load=True` reads a file through Keras's own loader (with `safe_mode=True`)
    and walks the live model, for users who have the custom classes' code.
    `limits` bound what a static read takes from a file (sizes, depth, counts).
    """
    if isinstance(target, ModelReport):
        return target
    if isinstance(target, (str, os.PathLike)):
        text = os.fspath(target)
        if os.path.exists(text):
            from kerascope.sources import read_path

            return read_path(Path(text), load=load, limits=limits or DEFAULT_LIMITS)
        if _REFERENCE.match(text):
            return _inspect_object(resolve_reference(text), source=text)
        raise KerascopeError(f"{text}: no such file, and not a module:attribute reference")
    return _inspect_object(target, source=None)


def _inspect_object(obj: Any, source: str | None) -> ModelReport:
    from kerascope.live.walk import inspect_live

    return inspect_live(obj, source=source)


def live_object(target: Any, *, load: bool) -> tuple[Any, str | None] | None:
    """The live model behind `target` and its description, or None for a static read:
    an object, a `module:attr` reference, or (with `load`) a file Keras loads."""
    if isinstance(target, ModelReport):
        return None
    if not isinstance(target, (str, os.PathLike)):
        return target, None
    text = os.fspath(target)
    if os.path.exists(text):
        if not load:
            return None
        from kerascope.sources.keras_loader import load_model

        return load_model(Path(text)), text
    if _REFERENCE.match(text):
        return resolve_reference(text), text
    raise KerascopeError(f"{text}: no such file, and not a module:attribute reference")


def resolve_reference(reference: str) -> Any:
    """The object named by `module:attr` (or `file.py:attr`); a function is called.

    The current directory is importable, as it is for `python -m`.
    """
    match = _REFERENCE.match(reference)
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
            spec = importlib.util.spec_from_file_location(Path(module_name).stem, module_name)
            if spec is None or spec.loader is None or not Path(module_name).is_file():
                raise ImportError(f"no file {module_name}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            return module
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        return importlib.import_module(module_name)
    except ImportError as error:
        raise KerascopeError(f"{reference}: cannot import {module_name}: {error}") from error
