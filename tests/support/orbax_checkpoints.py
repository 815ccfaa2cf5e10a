"""Orbax checkpoints as `keras.callbacks.OrbaxCheckpoint` writes them during `fit`."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_checkpoint(keras: Any, model: Any, root: Path, steps: int = 1, **options: Any) -> Path:
    """What `fit` does with the callback, one epoch's end per step: the model compiled,
    as the callback needs its optimizer."""
    model.compile(optimizer="adam", loss="mse")
    callback = keras.callbacks.OrbaxCheckpoint(directory=str(root), save_on_background=False, **options)
    callback.set_model(model)
    callback.on_train_begin()
    for step in range(steps):
        callback.on_epoch_end(step)
    callback.on_train_end()
    return root
