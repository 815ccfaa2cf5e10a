"""Tensor values as the libraries that wrote them read them back, and statistics taken by
numpy on whole arrays: the truth the streaming value reader is held to.

Each reader here is the writer's own (h5py for HDF5, numpy for npz, TensorFlow's
checkpoint reader for tensor bundles, the tensorflowjs package's `read_weights` for
TensorFlow.js shards, the safetensors library), never kerascope's code. bfloat16
values come back as float32 (exactly: bfloat16 is float32's upper half), as the
value reader gives them.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


def h5_arrays(file: Path | bytes, skip: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Every dataset of an HDF5 file (a path, or its bytes) read by h5py, by path; a
    dataset Keras marked `bfloat16` as float32."""
    import h5py
    import ml_dtypes

    found: dict[str, np.ndarray] = {}
    source = io.BytesIO(file) if isinstance(file, bytes) else file
    with h5py.File(source, "r") as handle:

        def visit(name: str, item: Any) -> None:
            if (
                isinstance(item, h5py.Dataset)
                and name.split("/")[0] not in skip
                and item.dtype.kind in "fiubV"
            ):
                value = item[()]
                if item.attrs.get("dtype") == "bfloat16":
                    value = (
                        np.frombuffer(value.tobytes(), ml_dtypes.bfloat16)
                        .astype(np.float32)
                        .reshape(item.shape)
                    )
                found[name] = np.asarray(value)

        handle.visititems(visit)
    return found


def archive_member(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member)


def checkpoint_arrays(prefix: Path) -> dict[str, np.ndarray]:
    """Every numeric tensor of a TensorFlow checkpoint, by TensorFlow's own reader."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    found = {}
    for key, dtype in reader.get_variable_to_dtype_map().items():
        if dtype not in (tf.string, tf.resource, tf.variant):
            value = reader.get_tensor(key)
            found[key] = value.astype(np.float32) if dtype == tf.bfloat16 else np.asarray(value)
    return found


def tfjs_arrays(model_json: Path) -> dict[str, np.ndarray]:
    """Every weight of a TensorFlow.js model, read (and dequantized) by the tensorflowjs package."""
    from support.saved_files import _tfjs_converter

    _tfjs_converter()  # the package, without the converters its __init__ would import
    from tensorflowjs import read_weights

    manifest = json.loads(model_json.read_text())["weightsManifest"]
    return {
        entry["name"]: np.asarray(entry["data"])
        for entry in read_weights.read_weights(manifest, str(model_json.parent), flatten=True)
    }


def safetensors_arrays(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))


def numpy_stats(array: np.ndarray) -> dict[str, Any]:
    """count, min, max, mean, std over the finite values, and the counts of NaN, infinities
    and zeros, by numpy over the whole array at once."""
    flat = np.asarray(array).reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.astype(np.uint8)
    finite = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
    wide = finite.astype(np.float64)
    return {
        "count": int(finite.size),
        "min": finite.min().item() if finite.size else None,
        "max": finite.max().item() if finite.size else None,
        "mean": float(wide.mean()) if finite.size else None,
        "std": float(wide.std()) if finite.size else None,
        "nan": int(np.isnan(flat).sum()) if flat.dtype.kind == "f" else 0,
        "inf": int(np.isinf(flat).sum()) if flat.dtype.kind == "f" else 0,
        "zeros": int((flat == 0).sum()),
    }


def assert_stats_match(stats: dict[str, Any], array: np.ndarray, what: str) -> None:
    """Counts, min and max exactly numpy's; mean and std within a relative 1e-6 (an
    absolute 1e-9 of the values' magnitude where numpy's is zero)."""
    expected = numpy_stats(array)
    for key in ("count", "nan", "inf", "zeros", "min", "max"):
        assert stats[key] == expected[key], f"{what}: {key} {stats[key]!r}, numpy says {expected[key]!r}"
    scale = max(1.0, abs(expected["min"] or 0), abs(expected["max"] or 0))
    for key in ("mean", "std"):
        if expected[key] is None:
            assert stats[key] is None, f"{what}: {key} {stats[key]!r} of no finite value"
        else:
            assert math.isclose(stats[key], expected[key], rel_tol=1e-6, abs_tol=1e-9 * scale), (
                f"{what}: {key} {stats[key]!r}, numpy says {expected[key]!r}"
            )
