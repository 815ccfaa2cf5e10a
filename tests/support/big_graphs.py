"""Large graphs written straight into `.keras` archives (Keras would take minutes to
build them): a long chain of Dense layers (and its weights file), a custom layer
whose weights show many sublayers, and a web where each layer reads every layer
before it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any


def _archive(path: Path, config: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    return path


def _layer(class_name: str, config: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "registered_name": None,
        "config": config,
        **rest,
    }


def dense_chain(path: Path, count: int) -> Path:
    """A Sequential of `count` Dense layers."""
    layers = [_layer("InputLayer", {"name": "x", "batch_shape": [None, 2]})]
    layers += [
        _layer(
            "Dense",
            {"name": f"dense_{i}", "units": 2, "activation": "linear"},
            build_config={"input_shape": [None, 2]},
        )
        for i in range(count)
    ]
    return _archive(path, {"module": "keras", "class_name": "Sequential", "registered_name": None,
                           "config": {"name": "big", "layers": layers}})  # fmt: skip


def dense_functional_chain(path: Path, count: int) -> Path:
    """The same chain as a Functional model (`dense_chain_weights(..., functional=True)`
    holds its weights)."""

    def tensor(name: str) -> dict[str, Any]:
        history = {"shape": [None, 2], "dtype": "float32", "keras_history": [name, 0, 0]}
        return {"class_name": "__keras_tensor__", "config": history}

    layers = [_layer("InputLayer", {"name": "x", "batch_shape": [None, 2]}, name="x", inbound_nodes=[])]
    for i in range(count):
        layers.append(
            _layer(
                "Dense",
                {"name": f"dense_{i}", "units": 2, "activation": "linear"},
                name=f"dense_{i}",
                build_config={"input_shape": [None, 2]},
                inbound_nodes=[{"args": [tensor(f"dense_{i - 1}" if i else "x")], "kwargs": {}}],
            )
        )
    config = {
        "name": "big",
        "layers": layers,
        "input_layers": [["x", 0, 0]],
        "output_layers": [[f"dense_{count - 1}", 0, 0]],
    }
    return _archive(
        path, {"module": "keras", "class_name": "Functional", "registered_name": None, "config": config}
    )


def dense_chain_weights(path: Path, count: int, functional: bool = False) -> Path:
    """What Keras 3.15's `save_weights` writes for `dense_chain`'s model: `vars` at the
    root, then `layers/dense/vars`, `layers/dense_1/vars`, ... (a counter per class),
    each `vars` group naming its layer. A Sequential's list leaves its InputLayer out;
    `dense_functional_chain`'s holds it, saved empty (`layers/input_layer/vars`)."""
    import h5py

    with h5py.File(path, "w") as handle:
        handle.create_group("vars").attrs["name"] = "big"
        layers = handle.create_group("layers")
        if functional:
            layers.create_group("input_layer").create_group("vars").attrs["name"] = "x"
        for i in range(count):
            group = layers.create_group(f"dense_{i}" if i else "dense").create_group("vars")
            group.attrs["name"] = f"dense_{i}"
            group.create_dataset("0", shape=(2, 2), dtype="float32")
            group.create_dataset("1", shape=(2,), dtype="float32")
    return path


def hidden_parts(path: Path, count: int) -> Path:
    """A Functional model of one custom layer whose weights hold `count` sublayers that
    no config lists (`layers/block/part_<i>/vars`), as a custom layer's attributes are
    saved."""
    import h5py

    block = _layer("Block", {"name": "block"}, name="block", inbound_nodes=[])
    block.update(module=None, registered_name="custom>Block")
    config = {"name": "holder", "layers": [block], "input_layers": [], "output_layers": [["block", 0, 0]]}
    weights = path.with_suffix(".weights.h5")
    with h5py.File(weights, "w") as handle:
        group = handle.create_group("layers").create_group("block")
        group.create_group("vars")
        for i in range(count):
            group.create_group(f"part_{i}").create_group("vars").create_dataset(
                "0", shape=(2,), dtype="float32"
            )
    _archive(path, {"module": None, "class_name": "Functional", "registered_name": None, "config": config})
    with zipfile.ZipFile(path, "a") as archive:
        archive.write(weights, "model.weights.h5")
    weights.unlink()
    return path


def concatenate_web(path: Path, count: int = 632) -> Path:
    """A Functional model whose layer i concatenates every layer before it:
    count * (count - 1) / 2 edges (199 396 for 632 layers)."""

    def tensor(name: str) -> dict[str, Any]:
        history = {"shape": [None, 1], "dtype": "float32", "keras_history": [name, 0, 0]}
        return {"class_name": "__keras_tensor__", "config": history}

    layers = [_layer("InputLayer", {"name": "x", "batch_shape": [None, 1]}, inbound_nodes=[])]
    for i in range(1, count):
        args = [tensor("x" if j == 0 else f"c{j}") for j in range(i)]
        layers.append(
            _layer(
                "Concatenate", {"name": f"c{i}", "axis": -1}, inbound_nodes=[{"args": [args], "kwargs": {}}]
            )
        )
    config = {
        "name": "web",
        "layers": layers,
        "input_layers": [["x", 0, 0]],
        "output_layers": [[f"c{count - 1}", 0, 0]],
    }
    return _archive(
        path, {"module": "keras", "class_name": "Functional", "registered_name": None, "config": config}
    )
