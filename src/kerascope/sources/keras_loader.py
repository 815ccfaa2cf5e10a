"""`--load`: a file read by Keras's own loader, then walked live.

For users who have the custom classes' code and want what only a live model
knows (the configs of hidden sublayers, the trainable split). Keras is asked
for `safe_mode=True`, which refuses Lambda bytecode; the file is still code to
Keras, so this path is taken only when asked for.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.paths import one_line
from kerascope.report import ModelReport
from kerascope.sources import sniff as sniffing


def load_and_inspect(path: Path) -> ModelReport:
    from kerascope.live.walk import inspect_live

    return inspect_live(load_model(path), source=str(path))


def load_model(path: Path) -> Any:
    """The model Keras's own loader builds from `path` (safe mode on).

    Keras 3 reads `.keras` archives and legacy HDF5; a SavedModel, and a JSON
    architecture that Keras 1 or 2 wrote, need the Keras 2 loader (tf_keras).
    """
    kind = sniffing.sniff(path)
    package = "tf_keras" if kind == sniffing.SAVEDMODEL or _older_json(path, kind) else "keras"
    keras = _import_quietly(package, path)
    try:
        if kind == sniffing.JSON:
            return keras.models.model_from_json(path.read_text("utf-8"))
        if package == "keras":
            return keras.saving.load_model(path, compile=False, safe_mode=True)
        return keras.models.load_model(path, compile=False)
    except Exception as error:
        raise KerascopeError(
            f"{path}: Keras could not load it: {one_line(f'{type(error).__name__}: {error}')}"
        ) from error


def _older_json(path: Path, kind: str | None) -> bool:
    if kind != sniffing.JSON:
        return False
    from kerascope.sources import read_path

    version = read_path(path).keras_version or ""
    return not version.startswith("3")


def _import_quietly(package: str, path: Path) -> Any:
    """Import a Keras package with TensorFlow's native start-up logging silenced:
    it writes to file descriptor 2 before any Python setting can stop it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            return importlib.import_module(package)
    except ImportError:
        extra = "tf-keras" if package == "tf_keras" else "keras"
        raise KerascopeError(
            f"{path}: --load needs the {package} package: pip install 'kerascope[{extra}]'"
        ) from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
