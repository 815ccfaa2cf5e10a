"""`--load`: a file read by Keras's own loader, then walked live.

For users who have the custom classes' code and want what only a live model
knows (the configs of hidden sublayers, the trainable split). Keras is asked
for `safe_mode=True`, which refuses Lambda bytecode; the file is still code to
Keras, so this path is taken only when asked for.
"""

from __future__ import annotations

import importlib
import os
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
    """The model Keras's own loader builds from `path` (safe mode on)."""
    kind = sniffing.sniff(path)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    package = "tf_keras" if kind == sniffing.SAVEDMODEL else "keras"
    try:
        keras = importlib.import_module(package)
    except ImportError:
        extra = "tf-keras" if package == "tf_keras" else "keras"
        raise KerascopeError(
            f"{path}: --load needs the {package} package: pip install 'kerascope[{extra}]'"
        ) from None
    try:
        if kind == sniffing.JSON:
            model = keras.models.model_from_json(path.read_text("utf-8"))
        elif package == "keras":
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        else:
            model = keras.models.load_model(path, compile=False)
    except Exception as error:
        raise KerascopeError(
            f"{path}: Keras could not load it: {one_line(f'{type(error).__name__}: {error}')}"
        ) from error
    return model
