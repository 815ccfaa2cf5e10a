"""Is a static read linear in the number of layers? Time per layer for generated
files of 1k, 10k and 100k layers, in one run; the per-layer time must stay flat
(at 100k within 1.5x of 1k).

Three shapes of file, each written directly (zipfile, h5py: Keras itself would
take minutes to build such models):
  * a `.keras` Sequential of N Dense layers, each with its weights group;
  * a `.keras` with one custom layer whose weights file holds N hidden sublayers
    (the case a per-insert scan of a parent's children made quadratic);
  * a legacy `.h5` Sequential of N Dense layers.

    python benchmarks/layer_count.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np

import kerascope
from kerascope.limits import Limits

LIMITS = Limits(max_layers=1_000_000, max_h5_objects=10_000_000, max_json_bytes=1 << 30)


def dense_entry(index: int) -> dict:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": f"dense_{index}", "units": 2, "use_bias": True, "activation": "linear"},
        "registered_name": None,
        "build_config": {"input_shape": [None, 2]},
    }


def write_keras_sequential(path: Path, count: int) -> None:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "big", "layers": [dense_entry(i) for i in range(count)]},
        "registered_name": None,
    }
    weights = path.with_suffix(".weights.tmp")
    with h5py.File(weights, "w") as handle:
        layers = handle.create_group("layers")
        for i in range(count):
            group = layers.create_group(f"dense_{i}" if i else "dense").create_group("vars")
            group.attrs["name"] = f"dense_{i}"
            group.create_dataset("0", shape=(2, 2), dtype="float32")
            group.create_dataset("1", shape=(2,), dtype="float32")
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


def _archive(path: Path, config: dict, weights: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.write(weights, "model.weights.h5")
    weights.unlink()


WRITERS = {
    ".keras, N Dense layers": write_keras_sequential,
    ".keras, one custom layer with N hidden sublayers": write_keras_hidden,
    "legacy .h5, N Dense layers": write_legacy_h5,
}


def per_layer_microseconds(path: Path, count: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        report = kerascope.inspect(path, limits=LIMITS)
        best = min(best, time.perf_counter() - start)
    assert len(report.layers) >= count, (path, len(report.layers))
    return best / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for label, write in WRITERS.items():
            print(f"\n{label}")
            times = {}
            for count in sizes:
                path = Path(folder) / f"n{count}{'.h5' if 'legacy' in label else '.keras'}"
                write(path, count)
                times[count] = per_layer_microseconds(path, count, 1 if count >= 100_000 else args.repeat)
                print(f"  {count:>7,} layers: {times[count]:7.1f} µs per layer")
            ratio = times[sizes[-1]] / times[sizes[0]]
            verdict = "flat" if ratio <= 1.5 else "NOT flat"
            print(
                f"  per-layer time at {sizes[-1]:,} vs {sizes[0]:,}: {ratio:.2f}x ({verdict}; target <= 1.5x)"
            )


if __name__ == "__main__":
    main()
