"""Weight values, read one tensor at a time and streamed: every tensor's statistics equal
numpy's over the array its writer's own library reads back (h5py, numpy, TensorFlow's
checkpoint reader, tensorflowjs, safetensors), and the array itself equals it, in
every format that stores values, for models Keras, tf_keras, TensorFlow and
tensorflowjs save in this run; for every HDF5 layout and filter h5py writes; for the
types Keras stores (float16, bfloat16, int8 from quantization, bool); with NaN and
infinities planted; and for every file of the real-world corpus that holds values."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from kerascope.decoders.bundle_values import bundle_tensors
from kerascope.decoders.hdf5_values import hdf5_tensors
from kerascope.decoders.npy_values import npz_tensors
from kerascope.decoders.safetensors_values import safetensors_tensors
from kerascope.decoders.source import LocalSource, RemoteSource
from kerascope.decoders.tensor_values import (
    READ_BYTES,
    Fill,
    StoredFile,
    TensorLocation,
    UnavailableLocation,
    ValuesUnavailable,
    read_array,
    values,
)
from kerascope.decoders.tfjs_values import tfjs_tensors
from kerascope.decoders.value_stats import tensor_stats
from kerascope.limits import LimitExceeded, Limits

from support.corpus import CORPUS, corpus_params, corpus_rows, require_corpus
from support.range_server import range_server
from support.value_truth import (
    archive_member,
    assert_stats_match,
    checkpoint_arrays,
    h5_arrays,
    safetensors_arrays,
    tfjs_arrays,
)

LIMITS = Limits()
MODELS = ["nested", "transformer", "recurrent", "multi_io", "custom_wrapper"]


def local(path: Path, *archived: str) -> StoredFile:
    return StoredFile(LocalSource(path), archived=archived)


def assert_values_match(locations: dict[str, TensorLocation], truth: dict[str, np.ndarray]) -> None:
    """Each tensor the truth holds: the location's stats are numpy's, its array the truth's."""
    assert truth, "the file holds no tensor to compare"
    missing = set(truth) - set(locations)
    assert not missing, f"tensors with no location: {sorted(missing)[:5]}"
    for key, expected in truth.items():
        location = locations[key]
        assert_stats_match(tensor_stats(values(location, LIMITS)).as_dict(), expected, key)
        array = read_array(location, LIMITS)
        assert array.shape == expected.shape, key
        assert array.dtype == expected.dtype.newbyteorder("="), f"{key}: {array.dtype}, not {expected.dtype}"
        assert np.array_equal(array, expected, equal_nan=array.dtype.kind == "f"), key


def stats_of(location: TensorLocation) -> dict:
    return tensor_stats(values(location, LIMITS)).as_dict()


# -- files Keras, tf_keras, TensorFlow and tensorflowjs save ----------------------------
@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("writer", ["keras3.keras", "keras3.h5", "tf_keras.h5", "tf_keras.weights.h5"])
def test_hdf5_weights_of_saved_models(zoo, name, writer):
    model, path = zoo.saved(name, writer)
    if writer == "keras3.keras":
        locations = hdf5_tensors(local(path, "model.weights.h5"), LIMITS)
        truth = h5_arrays(archive_member(path, "model.weights.h5"))
    else:
        locations, truth = hdf5_tensors(local(path), LIMITS), h5_arrays(path)
    assert_values_match(locations, truth)
    # ... and each of the model's own variables is one of the tensors read.
    arrays = [read_array(location, LIMITS) for location in locations.values()]
    for variable in model.weights:
        value = np.asarray(variable.numpy())
        assert any(a.shape == value.shape and np.array_equal(a, value) for a in arrays), variable.path


@pytest.mark.parametrize("name", ["nested", "transformer", "recurrent"])
def test_savedmodel_variables(zoo, name):
    model, folder = zoo.saved(name, "tf_keras.savedmodel")
    locations = bundle_tensors(LocalSource(folder), LIMITS)
    truth = checkpoint_arrays(folder / "variables" / "variables")
    assert_values_match(locations, truth)
    assert len(truth) >= len(model.weights)


@pytest.mark.parametrize("name", ["nested", "recurrent", "multi_io"])
def test_tfjs_shards(zoo, name):
    _, model_json = zoo.saved(name, "tf_keras.tfjs")
    assert_values_match(tfjs_tensors(LocalSource(model_json), LIMITS), tfjs_arrays(model_json))


@pytest.mark.parametrize("quantization", ["uint8", "uint16", "float16"])
def test_tfjs_quantized_weights_read_as_tfjs_reads_them(zoo, tmp_path, quantization):
    """Quantized by the converter, in shards of 200 bytes (weights span shards)."""
    from support.saved_files import _tfjs_converter

    model = zoo.model("recurrent", "tf_keras")
    _tfjs_converter().save_keras_model(
        model, str(tmp_path), quantization_dtype_map={quantization: True}, weight_shard_size_bytes=200
    )
    manifest = json.loads((tmp_path / "model.json").read_text())["weightsManifest"]
    assert all(entry["quantization"]["dtype"] == quantization for entry in manifest[0]["weights"])
    assert len(manifest[0]["paths"]) > 1
    assert_values_match(
        tfjs_tensors(LocalSource(tmp_path / "model.json"), LIMITS), tfjs_arrays(tmp_path / "model.json")
    )


def test_tfjs_int32_quantization_rounds_halves_up_as_javascript_does(tmp_path):
    """tfjs-core's decodeWeight: `Math.round(v * scale + min)` for an int32 weight."""
    quantized = np.array([0, 1, 2, 3, 255], np.uint8)
    (tmp_path / "w.bin").write_bytes(quantized.tobytes())
    quantization = {"dtype": "uint8", "scale": 0.5, "min": -0.5}
    entry = {"name": "counts", "shape": [5], "dtype": "int32", "quantization": quantization}
    (tmp_path / "model.json").write_text(
        json.dumps({"weightsManifest": [{"paths": ["w.bin"], "weights": [entry]}]})
    )
    location = tfjs_tensors(LocalSource(tmp_path / "model.json"), LIMITS)["counts"]
    # -0.5, 0, 0.5, 1, 127: JavaScript rounds -0.5 to -0 and 0.5 to 1 (numpy's round gives 0 and 0).
    assert read_array(location, LIMITS).tolist() == [0, 0, 1, 1, 127]


# -- every HDF5 layout and filter h5py writes, in every element type -------------------
def typed(kind: str, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    if kind == "bool":
        return rng.random(shape) > 0.5
    if kind in ("int8", "uint8", "int64"):
        info = np.iinfo(kind)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, dtype=kind, endpoint=True)
    values = rng.normal(3.0, 2.0, shape).astype(np.float32)
    values.reshape(-1)[::17] = 0
    if kind in ("float32", ">f8"):  # NaN and infinities planted
        flat = values.reshape(-1)
        flat[1], flat[5], flat[-2] = np.nan, np.inf, -np.inf
    if kind == "bfloat16":
        import ml_dtypes

        return values.astype(ml_dtypes.bfloat16)
    return values.astype(kind)


LAYOUTS = {
    "contiguous": {},
    "chunked": {"chunks": (8, 5)},
    "gzip+shuffle+fletcher32": {"chunks": (7, 6), "compression": "gzip", "shuffle": True, "fletcher32": True},
    "gzip-9 with edge chunks": {"chunks": (32, 3), "compression": "gzip", "compression_opts": 9},
    "lzf+shuffle": {"chunks": (9, 9), "compression": "lzf", "shuffle": True},
    "lzf+fletcher32": {"chunks": (50, 40), "compression": "lzf", "fletcher32": True},
}
KINDS = ["float32", "float16", "bfloat16", ">f8", "int8", "uint8", "int64", "bool"]


@pytest.fixture(scope="module")
def h5py_layouts(tmp_path_factory):
    """One file per layout, each holding every kind (bfloat16 as Keras writes it)."""
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("layouts")
    for layout, options in LAYOUTS.items():
        with h5py.File(folder / f"{layout}.h5", "w") as handle:
            for kind in KINDS:
                dataset = handle.create_dataset(kind, data=typed(kind, rng, (50, 40)), **options)
                if kind == "bfloat16":
                    dataset.attrs["dtype"] = "bfloat16"
    return folder


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_h5py_layout_and_filter(h5py_layouts, layout):
    path = h5py_layouts / f"{layout}.h5"
    truth = h5_arrays(path)
    assert set(truth) == set(KINDS)
    assert_values_match(hdf5_tensors(local(path), LIMITS), truth)
    planted = stats_of(hdf5_tensors(local(path), LIMITS)["float32"])
    assert (planted["nan"], planted["inf"]) == (1, 2)


def test_hdf5_1_10_layouts_compact_and_fill_values(tmp_path):
    """libver='latest' (version 4 layouts: a single chunk, filtered or not, and the
    implicit index of chunks allocated up front), compact data, scalars, empty datasets,
    and chunks never written, which hold the fill value."""
    rng = np.random.default_rng(3)
    data = rng.normal(size=(40, 30)).astype(np.float32)
    path = tmp_path / "latest.h5"
    with h5py.File(path, "w", libver="latest") as handle:
        handle.create_dataset("single", data=data, chunks=(40, 30), compression="gzip", shuffle=True)
        handle.create_dataset("single_plain", data=data, chunks=(40, 30))
        handle.create_dataset("scalar", data=np.float64(2.5))
        handle.create_dataset("empty", data=np.zeros((0, 3), np.float32))
        for name, layout in (("implicit", None), ("compact", h5py.h5d.COMPACT)):
            plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            if layout is None:
                plist.set_chunk((8, 8))
                plist.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
            else:
                plist.set_layout(layout)
            part = data if layout is None else data[:4, :5].copy()
            made = h5py.h5d.create(
                handle.id,
                name.encode(),
                h5py.h5t.NATIVE_FLOAT,
                h5py.h5s.create_simple(part.shape),
                dcpl=plist,
            )
            made.write(h5py.h5s.ALL, h5py.h5s.ALL, part)
        handle.create_dataset("fixed_array", data=data, chunks=(8, 8))
    locations = hdf5_tensors(local(path), LIMITS)
    truth = h5_arrays(path)
    with pytest.raises(ValuesUnavailable, match="fixed array"):
        read_array(locations["fixed_array"], LIMITS)
    del truth["fixed_array"]
    assert_values_match(locations, truth)
    with h5py.File(tmp_path / "sparse.h5", "w") as handle:
        sparse = handle.create_dataset("sparse", shape=(100, 10), chunks=(10, 10), dtype="f4", fillvalue=1.5)
        sparse[20:30] = data[:10, :10]
    locations = hdf5_tensors(local(tmp_path / "sparse.h5"), LIMITS)
    assert_values_match(locations, h5_arrays(tmp_path / "sparse.h5"))
    fills = [piece.count for piece in values(locations["sparse"], LIMITS) if isinstance(piece, Fill)]
    assert fills == [900]


def test_many_pieces_and_large_offsets(tmp_path):
    """A tensor spanning many pieces (and chunks larger than a working block) whose values
    sit far from zero: Chan's merge keeps mean and std to numpy's float64."""
    rng = np.random.default_rng(11)
    data = (rng.normal(size=(1500, 1000)) * 0.01 + 1e4).astype(np.float32)
    assert data.nbytes > 1.4 * READ_BYTES
    path = tmp_path / "big.h5"
    with h5py.File(path, "w") as handle:
        handle["contiguous"] = data
        handle.create_dataset("chunked", data=data, chunks=(1500, 800), compression="gzip")
    assert_values_match(hdf5_tensors(local(path), LIMITS), h5_arrays(path))


# -- Keras's own types: bfloat16 and float16 policies, int8 quantization, planted NaN ----
def test_keras3_dtype_policies_quantization_and_planted_nan(keras3, tmp_path):
    layers = keras3.layers
    model = keras3.Sequential(
        [
            keras3.Input((6,)),
            layers.Dense(5, dtype="bfloat16", name="brain"),
            layers.Dense(4, dtype="float16", name="half"),
            layers.Dense(3, name="full"),
            layers.Dense(2, name="quantized"),
        ]
    )
    kernel = np.asarray(model.get_layer("full").kernel.numpy())
    kernel[0, 0], kernel[1, 1], kernel[2, 2] = np.nan, np.inf, -np.inf
    model.get_layer("full").kernel.assign(kernel)
    model.get_layer("quantized").quantize("int8")
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    (tmp_path / "sharded").mkdir()
    model.save_weights(tmp_path / "sharded" / "model.weights.json", max_shard_size=100 / 1024**3)
    truth = h5_arrays(archive_member(tmp_path / "model.keras", "model.weights.h5"))
    locations = hdf5_tensors(local(tmp_path / "model.keras", "model.weights.h5"), LIMITS)
    assert {location.dtype for location in locations.values()} >= {"bfloat16", "float16", "float32", "int8"}
    assert_values_match(locations, truth)
    assert_values_match(
        hdf5_tensors(local(tmp_path / "model.weights.h5"), LIMITS), h5_arrays(tmp_path / "model.weights.h5")
    )
    shards = sorted((tmp_path / "sharded").glob("*.h5"))
    assert len(shards) > 1
    for shard in shards:
        assert_values_match(hdf5_tensors(local(shard), LIMITS), h5_arrays(shard))
    full = next(location for key, location in locations.items() if key.startswith("layers/dense_2/vars/0"))
    assert (stats_of(full)["nan"], stats_of(full)["inf"]) == (1, 2)


def test_keras_npz_weights_are_pickles_never_unpickled(keras3, tmp_path):
    from keras.src.saving import saving_lib

    sentinel = tmp_path / "ran"
    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(2)])
    saving_lib.save_model(model, tmp_path / "npz.keras", weights_format="npz")
    locations = npz_tensors(local(tmp_path / "npz.keras", "model.weights.npz"), LIMITS)
    assert locations and all(isinstance(location, UnavailableLocation) for location in locations.values())
    for location in locations.values():
        with pytest.raises(ValuesUnavailable, match="pickle"):
            stats_of(location)
    assert not sentinel.exists()


def test_plain_npz_members_stored_compressed_and_nested_in_an_archive(tmp_path):
    rng = np.random.default_rng(5)
    arrays = {
        "layers/dense/vars/0": rng.normal(size=(30, 20)).astype(np.float32),
        "big_endian": np.arange(24, dtype=">f8").reshape(2, 3, 4),
        "fortran": np.asfortranarray(rng.normal(size=(7, 9))),
        "half": rng.normal(size=(11,)).astype(np.float16),
        "flags": rng.random(13) > 0.5,
        "bytes": rng.integers(-100, 100, size=(4, 4), dtype=np.int8),
        "scalar": np.float32(np.nan),
    }
    np.savez(tmp_path / "plain.npz", **arrays)
    np.savez_compressed(tmp_path / "compressed.npz", **arrays)
    with zipfile.ZipFile(tmp_path / "nested.keras", "w") as archive:
        archive.write(tmp_path / "plain.npz", "model.weights.npz")
    for file in (
        local(tmp_path / "plain.npz"),
        local(tmp_path / "compressed.npz"),
        local(tmp_path / "nested.keras", "model.weights.npz"),
    ):
        assert_values_match(npz_tensors(file, LIMITS), arrays)


def test_checkpoint_types_shards_and_planted_values(tmp_path):
    """Shards as TensorFlow's size policy cuts them; a variable it cuts across two shards
    (a partitioned one, kept as slices) is not read, and says so."""
    import tensorflow as tf

    rng = np.random.default_rng(9)
    planted = rng.normal(size=(5, 6)).astype(np.float32)
    planted[0, 0], planted[1, 1] = np.nan, np.inf
    variables = {
        "planted": planted,
        "large": rng.normal(size=(30, 30)).astype(np.float32),
        "larger": rng.normal(size=(40, 30)).astype(np.float32),
        "half": rng.normal(size=(50,)).astype(np.float16),
        "brain": tf.cast(rng.normal(size=(6, 7)), tf.bfloat16),
        "bytes": rng.integers(-100, 100, (9,), dtype=np.int8),
        "wide": rng.integers(-(2**40), 2**40, (8,), dtype=np.int64),
        "flags": rng.random(5) > 0.5,
        "words": tf.constant(["a", "bc"]),
    }
    checkpoint = tf.train.Checkpoint(**{name: tf.Variable(value) for name, value in variables.items()})
    policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=4000)
    checkpoint.write(
        str(tmp_path / "ckpt"), options=tf.train.CheckpointOptions(experimental_sharding_callback=policy)
    )
    assert len(list(tmp_path.glob("ckpt.data-*"))) > 1
    locations = bundle_tensors(LocalSource(tmp_path), LIMITS, prefix="ckpt")
    sliced = {key for key, location in locations.items() if "partitioned" in getattr(location, "reason", "")}
    assert sliced and "planted/.ATTRIBUTES/VARIABLE_VALUE" not in sliced
    truth = checkpoint_arrays(tmp_path / "ckpt")
    assert_values_match(locations, {key: value for key, value in truth.items() if key not in sliced})
    with pytest.raises(ValuesUnavailable, match="partitioned"):
        stats_of(locations[min(sliced)])
    with pytest.raises(ValuesUnavailable, match="string"):
        stats_of(locations["words/.ATTRIBUTES/VARIABLE_VALUE"])
    assert stats_of(locations["planted/.ATTRIBUTES/VARIABLE_VALUE"])["nan"] == 1


def test_safetensors_types(tmp_path):
    import ml_dtypes
    from safetensors.numpy import save_file

    rng = np.random.default_rng(13)
    arrays = {
        "embeddings.weight": rng.normal(size=(20, 8)).astype(np.float32),
        "h.0.attn.bias": rng.normal(size=(8,)).astype(np.float16),
        "h.0.mlp.weight": rng.normal(size=(8, 4)).astype(ml_dtypes.bfloat16),
        "position_ids": np.arange(20, dtype=np.int64),
        "mask": rng.random(6) > 0.5,
    }
    save_file(arrays, str(tmp_path / "model.safetensors"))
    truth = {
        key: value.astype(np.float32) if value.dtype == ml_dtypes.bfloat16 else value
        for key, value in safetensors_arrays(tmp_path / "model.safetensors").items()
    }
    assert_values_match(safetensors_tensors(local(tmp_path / "model.safetensors"), LIMITS), truth)


# -- bounds -----------------------------------------------------------------------------
def test_a_tensor_over_the_limit_streams_its_stats_but_is_not_read_whole(tmp_path):
    data = np.arange(300_000, dtype=np.float32)
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as handle:
        handle["flat"] = data
        handle.create_dataset("chunked", data=data, chunks=(200_000,))
    small = Limits(max_tensor_bytes=500_000)
    locations = hdf5_tensors(local(path), small)
    assert tensor_stats(values(locations["flat"], small)).count == data.size
    with pytest.raises(LimitExceeded, match="max_tensor_bytes"):
        read_array(locations["flat"], small)
    with pytest.raises(LimitExceeded, match="max_tensor_bytes"):
        tensor_stats(values(locations["chunked"], small))


def test_a_remote_tensor_fetches_its_own_bytes(tmp_path):
    """Over HTTP by range requests: one tensor's values fetch its bytes, not the file's."""
    rng = np.random.default_rng(17)
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as handle:
        for index in range(8):
            handle[f"layer_{index}"] = rng.normal(size=(256, 256)).astype(np.float32)
    local_stats = stats_of(hdf5_tensors(local(path), LIMITS)["layer_3"])
    with range_server(tmp_path) as (base, served):
        source = RemoteSource(f"{base}/w.h5")
        locations = hdf5_tensors(StoredFile(source), LIMITS)
        before = served.bytes
        remote_stats = stats_of(locations["layer_3"])
        fetched = served.bytes - before
    assert remote_stats == local_stats
    tensor = 256 * 256 * 4
    assert tensor <= fetched <= tensor + 64 * 1024, f"fetched {fetched:,} bytes for a {tensor:,}-byte tensor"
    assert fetched < path.stat().st_size / 4


# -- the real-world corpus --------------------------------------------------------------
def _corpus_cases() -> list[dict[str, str]]:
    return [
        row
        for row in corpus_rows()
        if row["format"]
        in ("h5_full", "h5_weights", "keras_v3", "keras_weights", "keras_dir", "savedmodel", "tfjs")
    ]


@pytest.mark.parametrize("row", corpus_params(_corpus_cases()))
def test_corpus_files_that_hold_values(row):
    require_corpus()
    path = CORPUS / row["file"]
    located, truth = corpus_values(path)
    if truth is None:
        pytest.skip(f"{row['file']} stores no values")
    assert_values_match(located, truth)


def corpus_values(path: Path) -> tuple[dict[str, TensorLocation], dict[str, np.ndarray] | None]:
    """A corpus file's tensors located by kerascope, and the same tensors by their writer's library."""
    if path.is_file() and h5py.is_hdf5(path):
        return hdf5_tensors(local(path), LIMITS), h5_arrays(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if "model.weights.h5" in names:
            return hdf5_tensors(local(path, "model.weights.h5"), LIMITS), h5_arrays(
                archive_member(path, "model.weights.h5")
            )
        return {}, None
    if path.is_dir() and (path / "model.weights.h5").is_file():
        return hdf5_tensors(local(path / "model.weights.h5"), LIMITS), h5_arrays(path / "model.weights.h5")
    if path.suffix == ".json":
        groups = json.loads(path.read_text()).get("weightsManifest") or []
        if all((path.parent / name).is_file() for group in groups for name in group["paths"]) and groups:
            return tfjs_tensors(LocalSource(path), LIMITS), tfjs_arrays(path)
    for prefix in ("variables/variables", "variables"):
        if path.is_dir() and (path / f"{prefix}.index").is_file():
            return bundle_tensors(LocalSource(path), LIMITS, prefix), checkpoint_arrays(path / prefix)
    return {}, None
