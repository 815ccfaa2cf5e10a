"""`--load`: a file read by Keras's own loader, to be walked live.

For users who have the custom classes' code and want what only a live model
knows (the configs of hidden sublayers, the trainable split). The file is code
to Keras (legacy HDF5 Lambda bytecode runs whatever `safe_mode` says), so this
path is taken only when asked for, and the caller decides whether the file may
be loaded at all.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError, one_line

KERAS_3 = "keras"
KERAS_2 = "tf_keras"


def load_model(path: Path, package: str, architecture_only: bool) -> Any:
    """The model that `package` (`keras` or `tf_keras`) loads from `path`.

    `architecture_only`: the file is a `to_json()` architecture, rebuilt with
    `model_from_json`. Keras 3 is asked for `safe_mode=True`, which refuses
    Lambda bytecode in `.keras` archives.
    """
    keras = _import_quietly(package, path)
    try:
        if architecture_only:
            return keras.models.model_from_json(path.read_text("utf-8"))
        if package == KERAS_3:
            return keras.saving.load_model(path, compile=False, safe_mode=True)
        return keras.models.load_model(path, compile=False)
    except Exception as error:
        raise KerascopeError(
            f"{path}: Keras could not load it (with {package}): {one_line(f'{type(error).__name__}: {error}')}"
        ) from error


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
        extra = "tf-keras" if package == KERAS_2 else "keras"
        raise KerascopeError(
            f"{path}: --load needs the {package} package: pip install 'kerascope[{extra}]'"
        ) from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
