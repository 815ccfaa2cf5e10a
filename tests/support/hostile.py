"""Hostile files, crafted by the tests: Lambda bytecode that writes a sentinel file.

Each starts from a genuine file Keras wrote around a harmless Lambda, then swaps
the stored bytecode for code that creates `sentinel` when run, in the encoding
that Keras generation used. Nothing here loads or runs them.
"""

from __future__ import annotations

import base64
import json
import marshal
import zipfile
from pathlib import Path

import h5py


def payload_code(sentinel: Path):
    """The code object of `lambda x: <create sentinel> or x`."""
    source = f"lambda x: open({str(sentinel)!r}, 'w').write('ran') and x"
    module = compile(source, "<payload>", "eval")
    return next(const for const in module.co_consts if hasattr(const, "co_code"))


def payload_base64(sentinel: Path) -> str:
    return base64.b64encode(marshal.dumps(payload_code(sentinel))).decode("ascii")


def payload_raw(sentinel: Path) -> str:
    """Keras 1 wrote the marshalled bytes as a latin-1 string."""
    return marshal.dumps(payload_code(sentinel)).decode("latin-1")


def lambda_model(keras):
    inputs = keras.Input(shape=(3,), name="x")
    outputs = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    return keras.Model(inputs, outputs, name="with_lambda")


def hostile_keras3(keras, folder: Path, sentinel: Path) -> Path:
    """A Keras 3 `.keras` whose `__lambda__` holds the payload."""
    genuine = folder / "genuine.keras"
    lambda_model(keras).save(genuine)
    hostile = folder / "hostile.keras"
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(hostile, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                for layer in config["config"]["layers"]:
                    function = layer["config"].get("function")
                    if isinstance(function, dict) and function.get("class_name") == "__lambda__":
                        function["config"]["code"] = payload_base64(sentinel)
                data = json.dumps(config).encode()
            target.writestr(info, data)
    return hostile


def hostile_keras2_h5(tf_keras, folder: Path, sentinel: Path) -> Path:
    """A tf_keras legacy HDF5 whose Lambda `function` holds base64 marshal."""
    path = folder / "hostile_keras2.h5"
    lambda_model(tf_keras).save(path)
    with h5py.File(path, "a") as handle:
        config = json.loads(handle.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Lambda":
                layer["config"]["function"] = [payload_base64(sentinel), None, None]
                layer["config"]["function_type"] = "lambda"
        handle.attrs["model_config"] = json.dumps(config)
    return path


def hostile_keras1_json(folder: Path, sentinel: Path) -> Path:
    """A Keras 1 `to_json` (a bare Sequential list) whose Lambda holds raw marshal."""
    path = folder / "hostile_keras1.json"
    config = {
        "class_name": "Sequential",
        "keras_version": "1.2.0",
        "config": [
            {
                "class_name": "Lambda",
                "config": {
                    "name": "lambda_1",
                    "trainable": True,
                    "batch_input_shape": [None, 3],
                    "function": [payload_raw(sentinel), None, None],
                    "function_type": "lambda",
                    "output_shape": None,
                    "output_shape_type": "raw",
                    "arguments": {},
                },
            },
            {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 1, "trainable": True}},
        ],
    }
    path.write_text(json.dumps(config))
    return path
