"""Is a static read linear in the number of layers? Time per layer for generated
files of 1k, 10k and 100k layers, in one run; the per-layer time must stay flat
(at 100k within 1.5x of 1k).

Six cases, their files written directly (zipfile, h5py, json: Keras itself would
take minutes to build such models), laid out as Keras lays them out:
  * `inspect` of a `.keras` Sequential of N Dense layers, each with its weights group;
  * `inspect` of a `.keras` with one custom layer whose weights file holds N hidden
    sublayers (the case a per-insert scan of a parent's children made quadratic);
  * `inspect` of a legacy `.h5` Sequential of N Dense layers;
  * `load_check` of a Keras 3 `.weights.h5` of N Dense layers into the `.keras` of
    the same Sequential (`save_weights`' layout: `vars` at the root, then
    `layers/dense/vars/0`, `layers/dense_1/vars/0`, ..., each `vars` group naming its
    layer, as Keras >= 3.6 writes it), and the same into a Functional chain (whose
    `layers` list holds its InputLayer too, and which Keras 3.15 also walks by depth);
  * `inspect` of a legacy weights-only `.h5` of N Dense layers (TF-Keras's
    `save_weights("w.h5")`: `layer_names` at the root, a group per layer) with
    `config=` its model's `to_json()` file, which pairs groups and layers as
    `load_weights` does.

Beside each, a baseline measured in the same run on the same files: the least a
script reading them does, h5py visiting every dataset of each HDF5 file (its shape
and dtype) and `json.loads` of each config.

    python benchmarks/layer_count.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

import kerascope
from kerascope.limits import Limits

LIMITS = Limits(max_layers=1_000_000, max_h5_objects=10_000_000, max_json_bytes=1 << 30)
TF_KERAS_VERSION = "2.21.0"
HDF5_OBJECT_HEADER_LIMIT = 64512


def dense_name(index: int) -> str:
    """The name Keras gives the index-th Dense layer of a fresh process, which is also
    its group's in a `layers` list (`_save_container_state`: `dense`, `dense_1`, ...)."""
    return f"dense_{index}" if index else "dense"


def dense_entry(index: int) -> dict:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": dense_name(index), "units": 2, "use_bias": True, "activation": "linear"},
        "registered_name": None,
        "build_config": {"input_shape": [None, 2]},
    }


def write_dense_weights(path: Path, count: int, functional: bool = False) -> None:
    """What Keras 3.15's `save_weights` writes for a model `big` of `count` Dense(2)
    layers on 2 inputs: a Sequential's list leaves its InputLayer out, a Functional
    model's holds it, saved empty."""
    with h5py.File(path, "w") as handle:
        handle.create_group("vars").attrs["name"] = "big"
        layers = handle.create_group("layers")
        if functional:
            layers.create_group("input_layer").create_group("vars").attrs["name"] = "x"
        for i in range(count):
            group = layers.create_group(dense_name(i)).create_group("vars")
            group.attrs["name"] = dense_name(i)
            group.create_dataset("0", shape=(2, 2), dtype="float32")
            group.create_dataset("1", shape=(2,), dtype="float32")


def write_keras_sequential(path: Path, count: int) -> None:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "big", "layers": [dense_entry(i) for i in range(count)]},
        "registered_name": None,
    }
    weights = path.with_suffix(".weights.tmp")
    write_dense_weights(weights, count)
    _archive(path, config, weights)


def write_keras_functional(path: Path, count: int) -> None:
    """The same chain as a Functional model, each layer called on the one before."""

    def tensor(name: str) -> dict:
        history = {"shape": [None, 2], "dtype": "float32", "keras_history": [name, 0, 0]}
        return {"class_name": "__keras_tensor__", "config": history}

    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"batch_shape": [None, 2], "dtype": "float32", "name": "x"},
            "registered_name": None,
            "name": "x",
            "inbound_nodes": [],
        }
    ]
    for i in range(count):
        entry = dense_entry(i)
        entry["name"] = dense_name(i)
        entry["inbound_nodes"] = [{"args": [tensor(dense_name(i - 1) if i else "x")], "kwargs": {}}]
        layers.append(entry)
    config = {
        "module": "keras",
        "class_name": "Functional",
        "config": {
            "name": "big",
            "layers": layers,
            "input_layers": [["x", 0, 0]],
            "output_layers": [[dense_name(count - 1), 0, 0]],
        },
        "registered_name": None,
    }
    weights = path.with_suffix(".weights.tmp")
    write_dense_weights(weights, count, functional=True)
    _archive(path, config, weights)


def write_keras_hidden(path: Path, count: int) -> None:
    config = {
        "module": None,
        "class_name": "Functional",
        "config": {
            "name": "holder",
            "layers": [
                {
                    "module": None,
                    "class_name": "Block",
                    "config": {"name": "block"},
                    "registered_name": "custom>Block",
                    "name": "block",
                    "inbound_nodes": [],
                }
            ],
            "input_layers": [],
            "output_layers": [["block", 0, 0]],
        },
        "registered_name": None,
    }
    weights = path.with_suffix(".weights.tmp")
    with h5py.File(weights, "w") as handle:
        block = handle.create_group("layers").create_group("block")
        block.create_group("vars")
        for i in range(count):
            group = block.create_group(f"part_{i}").create_group("vars")
            group.create_dataset("0", shape=(2,), dtype="float32")
    _archive(path, config, weights)


def write_legacy_h5(path: Path, count: int) -> None:
    layers = [
        {"class_name": "Dense", "config": {"name": f"dense_{i}", "units": 2, "batch_input_shape": [None, 2]}}
        for i in range(count)
    ]
    config = {"class_name": "Sequential", "config": {"name": "big", "layers": layers}}
    with h5py.File(path, "w", libver="latest") as handle:
        handle.attrs["model_config"] = json.dumps(config)
        handle.attrs["keras_version"] = "2.15.0"
        weights = handle.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([f"dense_{i}".encode() for i in range(count)])
        for i in range(count):
            group = weights.create_group(f"dense_{i}")
            group.attrs["weight_names"] = np.array(
                [f"dense_{i}/kernel:0".encode(), f"dense_{i}/bias:0".encode()]
            )
            inner = group.create_group(f"dense_{i}")
            inner.create_dataset("kernel:0", shape=(2, 2), dtype="float32")
            inner.create_dataset("bias:0", shape=(2,), dtype="float32")


def write_legacy_weights(path: Path, count: int) -> None:
    """What TF-Keras 2.21's `save_weights("w.h5")` writes for a Sequential `big` of
    `count` Dense(2) layers (`save_weights_to_hdf5_group`): the layers' groups at
    the root, named in `layer_names`, each listing its weights in `weight_names`."""
    with h5py.File(path, "w") as handle:
        handle.attrs["backend"] = "tensorflow"
        handle.attrs["keras_version"] = TF_KERAS_VERSION
        save_attributes(handle, "layer_names", [dense_name(i).encode() for i in range(count)])
        for i in range(count):
            name = dense_name(i)
            group = handle.create_group(name)
            save_attributes(group, "weight_names", [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()])
            inner = group.create_group(name)
            inner.create_dataset("bias:0", shape=(2,), dtype="float32")
            inner.create_dataset("kernel:0", shape=(2, 2), dtype="float32")
        save_attributes(handle.create_group("top_level_model_weights"), "weight_names", [])


def save_attributes(group: h5py.Group, name: str, data: list[bytes]) -> None:
    """tf_keras `hdf5_format.save_attributes_to_hdf5_group`: a list too long for an
    object header (64512 bytes) split into `name0`, `name1`, ..."""
    array = np.asarray(data)
    chunks = 1
    split = np.array_split(array, chunks)
    while any(part.nbytes > HDF5_OBJECT_HEADER_LIMIT for part in split):
        chunks += 1
        split = np.array_split(array, chunks)
    if chunks > 1:
        for index, part in enumerate(split):
            group.attrs[f"{name}{index}"] = part
    else:
        group.attrs[name] = data


def write_to_json(path: Path, count: int) -> None:
    """The same Sequential's `model.to_json()` in TF-Keras 2.21 (its InputLayer named
    after the first layer, each Dense's config cut to what its weights depend on)."""
    layers: list[dict] = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"batch_input_shape": [None, 2], "dtype": "float32", "name": "dense_input"},
            "registered_name": None,
        }
    ]
    for i in range(count):
        entry = dense_entry(i)
        if i == 0:
            entry["config"]["batch_input_shape"] = [None, 2]
        layers.append(entry)
    document = {
        "class_name": "Sequential",
        "config": {"name": "big", "layers": layers},
        "keras_version": TF_KERAS_VERSION,
        "backend": "tensorflow",
    }
    path.write_text(json.dumps(document))


def _archive(path: Path, config: dict, weights: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.write(weights, "model.weights.h5")
    weights.unlink()


# -- the cases: files written once, then kerascope's call and the baseline on them ----------------
@dataclass(frozen=True)
class Case:
    write: Callable[[Path, int], dict[str, Path]]  # a folder, N -> the files by role
    call: Callable[[dict[str, Path]], int]  # kerascope on them: the layers it saw
    baseline: Callable[[dict[str, Path]], object]


def _written(writer: Callable[[Path, int], None], name: str) -> Callable[[Path, int], dict[str, Path]]:
    def write(folder: Path, count: int) -> dict[str, Path]:
        path = folder / name
        writer(path, count)
        return {"model": path}

    return write


def _pair(folder: Path, count: int) -> dict[str, Path]:
    weights, into = folder / "big.weights.h5", folder / "big.keras"
    write_dense_weights(weights, count)
    write_keras_sequential(into, count)
    return {"weights": weights, "into": into}


def _functional_pair(folder: Path, count: int) -> dict[str, Path]:
    weights, into = folder / "big.weights.h5", folder / "big.keras"
    write_dense_weights(weights, count, functional=True)
    write_keras_functional(into, count)
    return {"weights": weights, "into": into}


def _legacy_pair(folder: Path, count: int) -> dict[str, Path]:
    weights, config = folder / "big_weights.h5", folder / "big.json"
    write_legacy_weights(weights, count)
    write_to_json(config, count)
    return {"weights": weights, "config": config}


def _inspected(files: dict[str, Path]) -> int:
    return len(kerascope.inspect(files["model"], limits=LIMITS).layers)


def _load_checked(files: dict[str, Path]) -> int:
    result = kerascope.load_check(files["weights"], files["into"], limits=LIMITS)
    assert result.keras_error is None and not result.unexpected, result.keras_message
    assert result.clean, "every layer receives its own weights"
    return len(result.layers)


def _inspected_with_config(files: dict[str, Path]) -> int:
    report = kerascope.inspect(files["weights"], config=files["config"], limits=LIMITS)
    assert not [f for f in report.findings if f.code.value == "WEIGHTS_MISMATCH"], report.findings
    assert all(layer.weights for layer in report.layers if layer.class_name == "Dense")
    return len(report.layers)


def visit_datasets(source: object) -> list[tuple[str, tuple, object]]:
    """h5py visiting every dataset of an HDF5 file (a path or an open stream)."""
    seen: list[tuple[str, tuple, object]] = []

    def visit(name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset):
            seen.append((name, item.shape, item.dtype))

    with h5py.File(source, "r") as handle:
        handle.visititems(visit)
    return seen


def visit_archive(path: Path) -> object:
    """A `.keras` read by a script: its config parsed, its weights member read into
    memory and visited (h5py seeking in a zip member stream would reread it from the
    start at every backward seek)."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        return config, visit_datasets(io.BytesIO(archive.read("model.weights.h5")))


def visit_legacy(path: Path) -> object:
    with h5py.File(path, "r") as handle:
        config = json.loads(handle.attrs["model_config"])
    return config, visit_datasets(path)


CASES: dict[str, Case] = {
    ".keras, N Dense layers": Case(
        _written(write_keras_sequential, "big.keras"), _inspected, lambda f: visit_archive(f["model"])
    ),
    ".keras, one custom layer with N hidden sublayers": Case(
        _written(write_keras_hidden, "hidden.keras"), _inspected, lambda f: visit_archive(f["model"])
    ),
    "legacy .h5, N Dense layers": Case(
        _written(write_legacy_h5, "big.h5"), _inspected, lambda f: visit_legacy(f["model"])
    ),
    "load_check: a .weights.h5 of N Dense layers into the .keras of the same Sequential": Case(
        _pair, _load_checked, lambda f: (visit_datasets(f["weights"]), visit_archive(f["into"]))
    ),
    "load_check: the same into the .keras of a Functional chain (Keras 3.15's _operations_by_depth)": Case(
        _functional_pair, _load_checked, lambda f: (visit_datasets(f["weights"]), visit_archive(f["into"]))
    ),
    "legacy weights-only .h5 of N Dense layers, config= its to_json() file": Case(
        _legacy_pair,
        _inspected_with_config,
        lambda f: (visit_datasets(f["weights"]), json.loads(f["config"].read_text())),
    ),
}


def best_seconds(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The shortest of `repeat` runs, and what the last one returned."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(label: str, case: Case, count: int, repeat: int) -> tuple[float, float]:
    """Seconds for kerascope's call and for the baseline on one size's files."""
    with tempfile.TemporaryDirectory() as folder:
        files = case.write(Path(folder), count)
        seconds, seen = best_seconds(lambda: case.call(files), repeat)
        assert isinstance(seen, int) and seen >= count, (label, count, seen)
        baseline, _ = best_seconds(lambda: case.baseline(files), repeat)
    return seconds, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default="", help="only the cases whose label holds this text")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    for label, case in CASES.items():
        if args.cases not in label:
            continue
        print(f"\n{label}")
        measure(label, case, 10, 1)  # what is imported on first use is not timed below
        times = {}
        for count in sizes:
            seconds, baseline = measure(label, case, count, 1 if count >= 100_000 else args.repeat)
            times[count] = seconds / count * 1e6
            print(
                f"  {count:>7,} layers: {times[count]:7.1f} µs per layer"
                f"   (baseline {baseline / count * 1e6:5.1f} µs; {seconds / baseline:4.1f}x)"
            )
        ratio = times[sizes[-1]] / times[sizes[0]]
        verdict = "flat" if ratio <= 1.5 else "NOT flat"
        print(f"  per-layer time at {sizes[-1]:,} vs {sizes[0]:,}: {ratio:.2f}x ({verdict}; target <= 1.5x)")


if __name__ == "__main__":
    main()
