"""The model zoo, saved by real Keras in every format kerascope reads, once per run.

`saved(name, writer)` is the path of model `name` as `writer` saved it, beside
the model object that wrote it; each writer is what a user runs
(`model.save("m.keras")`, tf_keras `model.save(d, save_format="tf")`,
`model.to_json()`, `save_weights`, the TensorFlow.js converter).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import types
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kerascope.examples import build_examples

from support.model_zoo import BUILDERS

# Models every writer can save (a model whose get_config raises cannot be saved).
SAVEABLE = sorted({*BUILDERS, "two_dense", "custom_wrapper", "three_dense"} - {"raising_config"})
# tf_keras saves a subclassed model only as a SavedModel without a config.
TF_KERAS_SAVEABLE = sorted(set(SAVEABLE) - {"subclassed"})


def build(keras: Any, name: str) -> Any:
    return BUILDERS[name](keras) if name in BUILDERS else build_examples(keras)[name]


def _tfjs_converter() -> Any:
    """The TensorFlow.js converter's Keras writer, `tensorflowjs.converters.keras_h5_conversion`.

    The `tensorflowjs` package (installed with `--no-deps` by `make test`: its
    other converters pull in JAX and TensorFlow Decision Forests, which this
    TensorFlow does not support) imports all of them in its `__init__`; the
    Keras writer needs none, so it is loaded with the package's `__init__`
    skipped. What it writes is what `tensorflowjs_converter` writes.
    """
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec("tensorflowjs")
    if spec is None or not spec.submodule_search_locations:
        if os.environ.get("CI"):
            pytest.fail("the tensorflowjs package is missing in CI: make test installs it")
        pytest.skip("no tensorflowjs package (pip install --no-deps tensorflowjs)")
    root = Path(next(iter(spec.submodule_search_locations)))
    for name, folder in (("tensorflowjs", root), ("tensorflowjs.converters", root / "converters")):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(folder)]
            sys.modules[name] = package
    return importlib.import_module("tensorflowjs.converters.keras_h5_conversion")


@dataclass(frozen=True)
class Writer:
    """One way a user saves a model: which Keras, and the call."""

    package: str
    save: Callable[[Any, Path], Path]


def _keras_archive(model: Any, folder: Path) -> Path:
    model.save(folder / "model.keras")
    return folder / "model.keras"


def _legacy_h5(model: Any, folder: Path) -> Path:
    model.save(folder / "model.h5")
    return folder / "model.h5"


def _savedmodel(model: Any, folder: Path) -> Path:
    model.save(folder / "savedmodel", save_format="tf")
    return folder / "savedmodel"


def _to_json(model: Any, folder: Path) -> Path:
    (folder / "model.json").write_text(model.to_json())
    return folder / "model.json"


def _weights_h5(model: Any, folder: Path) -> Path:
    model.save_weights(folder / "weights.h5")
    return folder / "weights.h5"


def _tfjs(model: Any, folder: Path) -> Path:
    _tfjs_converter().save_keras_model(model, str(folder / "tfjs"))
    return folder / "tfjs" / "model.json"


WRITERS = {
    "keras3.keras": Writer("keras", _keras_archive),
    "keras3.h5": Writer("keras", _legacy_h5),
    "tf_keras.h5": Writer("tf_keras", _legacy_h5),
    "tf_keras.savedmodel": Writer("tf_keras", _savedmodel),
    "tf_keras.json": Writer("tf_keras", _to_json),
    "tf_keras.weights.h5": Writer("tf_keras", _weights_h5),
    "tf_keras.tfjs": Writer("tf_keras", _tfjs),
}


class SavedZoo:
    """Models built and saved on first use, each once per run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._models: dict[tuple[str, str], Any] = {}
        self._paths: dict[tuple[str, str], Path] = {}

    def model(self, name: str, package: str) -> Any:
        if (name, package) not in self._models:
            self._models[(name, package)] = build(importlib.import_module(package), name)
        return self._models[(name, package)]

    def saved(self, name: str, writer: str) -> tuple[Any, Path]:
        """The model and the path `writer` saved it to."""
        chosen = WRITERS[writer]
        model = self.model(name, chosen.package)
        if (name, writer) not in self._paths:
            folder = self.folder / f"{name}-{writer}"
            folder.mkdir(exist_ok=True)
            self._paths[(name, writer)] = chosen.save(model, folder)
        return model, self._paths[(name, writer)]


def rewrite_config(source: Path, target: Path, edit: Callable[[Any], None]) -> Path:
    """A copy of a Keras-written archive whose config.json went through `edit`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            new.writestr(info, data)
    return target


def layer_config(config: Any, *names: str) -> Any:
    """The config of the layer at `names` inside a saved model config."""
    for name in names:
        config = next(entry for entry in config["config"]["layers"] if entry["config"]["name"] == name)
    return config
