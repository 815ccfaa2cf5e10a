"""Weight values, read one tensor at a time and streamed: every weight's statistics equal
numpy's over the array its writer's own library reads back (h5py, numpy, TensorFlow's
checkpoint reader, tensorflowjs, safetensors), and its array equals it, through the
public API (`kerascope.inspect(..., values=True)`, `weight.array()`), in every format
that stores values, for models Keras, tf_keras, TensorFlow, KerasHub and tensorflowjs
save in this run; for every HDF5 layout and filter h5py writes and the types Keras
stores (float16, bfloat16, int8 from quantization, bool), with NaN and infinities
planted; for every file of the real-world corpus that holds values, while every file
that holds none says why."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import h5py
import jsonschema
import numpy as np
import pytest

import kerascope
from kerascope.decoders.bundle_values import bundle_tensors
from kerascope.decoders.hdf5_values import hdf5_tensors
from kerascope.decoders.npy_values import npz_tensors
from kerascope.decoders.safetensors_values import safetensors_tensors
from kerascope.decoders.source import LocalSource
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
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import json_schema

from support.corpus import CORPUS, corpus_params, corpus_rows, require_corpus
from support.orbax_checkpoints import save_checkpoint
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


# -- through the public API: files Keras, tf_keras, TensorFlow, KerasHub and tensorflowjs save
def assert_report_values(report, truth: dict[str, np.ndarray], count: int | None = None) -> int:
    """Every weight of `report` (read with values=True) has the statistics numpy takes of
    the array its writer's library reads at the same place in the file, and
    `weight.array()` is that array; `count`, when given, is how many values (Keras's
    `count_params()`) the report's weights hold between them. Returns the weights seen."""
    weighed = [(node, weight) for node in report.nodes for weight in node.weights]
    assert weighed, "the report holds no weight"
    held = 0
    for node, weight in weighed:
        where = f"{node.path or '(model)'} {weight.name}"
        key = weight.location.key  # the file's own name for the tensor
        assert key in truth, f"{where}: {key} is not among the tensors its writer's library reads"
        assert weight.stats is not None, f"{where}: no statistics"
        assert_stats_match(weight.stats, truth[key], where)
        array = weight.array()
        expected = truth[key]
        assert array.shape == expected.shape == tuple(weight.shape), where
        assert np.array_equal(array, expected, equal_nan=array.dtype.kind == "f"), where
        held += weight.stats["count"] + weight.stats["nan"] + weight.stats["inf"]
    if count is not None:
        assert held == count, f"the weights hold {held:,} values; Keras counts {count:,}"
    return len(weighed)


def unread(report) -> list:
    return [finding for finding in report.findings if finding.code == "VALUES_UNAVAILABLE"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("writer", ["keras3.keras", "keras3.h5", "tf_keras.h5", "tf_keras.weights.h5"])
def test_hdf5_weights_of_saved_models(zoo, name, writer):
    model, path = zoo.saved(name, writer)
    truth = h5_arrays(archive_member(path, "model.weights.h5") if writer == "keras3.keras" else path)
    report = kerascope.inspect(path, values=True)
    assert not unread(report)
    assert_report_values(report, truth, model.count_params())


@pytest.mark.parametrize("name", ["nested", "transformer", "recurrent"])
def test_savedmodel_variables(zoo, name):
    model, folder = zoo.saved(name, "tf_keras.savedmodel")
    report = kerascope.inspect(folder, values=True)
    assert_report_values(report, checkpoint_arrays(folder / "variables" / "variables"), model.count_params())


def test_a_keras3_export(keras3, tmp_path):
    """`model.export()`: a SavedModel without Keras metadata, its variables the root's."""
    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(4), keras3.layers.Dense(2)])
    model.export(tmp_path / "export", verbose=False)
    report = kerascope.inspect(tmp_path / "export", values=True)
    truth = checkpoint_arrays(tmp_path / "export" / "variables" / "variables")
    assert_report_values(report, truth, model.count_params())


@pytest.mark.parametrize("name", ["nested", "recurrent", "multi_io"])
def test_tfjs_shards(zoo, name):
    model, model_json = zoo.saved(name, "tf_keras.tfjs")
    report = kerascope.inspect(model_json, values=True)
    assert_report_values(report, tfjs_arrays(model_json), model.count_params())


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
    report = kerascope.inspect(tmp_path / "model.json", values=True)
    assert_report_values(report, tfjs_arrays(tmp_path / "model.json"), model.count_params())


def test_tfjs_model_copied_without_its_shards_says_why(zoo, tmp_path):
    _, model_json = zoo.saved("nested", "tf_keras.tfjs")
    (tmp_path / "model.json").write_bytes(model_json.read_bytes())
    report = kerascope.inspect(tmp_path / "model.json", values=True)
    assert all(weight.stats is None for node in report.nodes for weight in node.weights)
    (finding,) = unread(report)
    assert "group1-shard1of1.bin is not beside the model" in finding.message


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


def test_keras3_dtype_policies_quantization_and_planted_nan(keras3, tmp_path):
    """bfloat16, float16, int8-quantized and float32 layers with NaN and infinities
    planted, in every way Keras 3 saves weights: a `.keras`, its extracted folder, a
    `.weights.h5` (alone, and paired with its config) and sharded weights."""
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
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        archive.extractall(tmp_path / "extracted")
    model.save_weights(tmp_path / "model.weights.h5")
    (tmp_path / "sharded").mkdir()
    model.save_weights(tmp_path / "sharded" / "model.weights.json", max_shard_size=100 / 1024**3)
    shards = sorted((tmp_path / "sharded").glob("*.h5"))
    assert len(shards) > 1
    truth = h5_arrays(archive_member(tmp_path / "model.keras", "model.weights.h5"))
    cases = {
        "archive": (kerascope.inspect(tmp_path / "model.keras", values=True), truth),
        "folder": (kerascope.inspect(tmp_path / "extracted", values=True), truth),
        "weights": (kerascope.inspect(tmp_path / "model.weights.h5", values=True), truth),
        "paired": (
            kerascope.inspect(tmp_path / "model.weights.h5", config=tmp_path / "model.keras", values=True),
            truth,
        ),
        "sharded": (
            kerascope.inspect(tmp_path / "sharded" / "model.weights.json", values=True),
            {key: value for shard in shards for key, value in h5_arrays(shard).items()},
        ),
    }
    for case, (report, expected) in cases.items():
        dtypes = {weight.dtype for node in report.nodes for weight in node.weights}
        assert dtypes >= {"bfloat16", "float16", "float32", "int8"}, case
        assert_report_values(report, expected)
        jsonschema.validate(json.loads(report.to_json()), json_schema())
        codes = [(finding.code.value, finding.path) for finding in report.findings]
        assert ("NAN_WEIGHTS", "full") in codes and ("INF_WEIGHTS", "full") in codes, case
    full = cases["archive"][0].weight("full", 0)
    assert (full.stats["nan"], full.stats["inf"]) == (1, 2)


def test_keras_npz_weights_are_pickles_never_unpickled(keras3, tmp_path):
    from keras.src.saving import saving_lib

    sentinel = tmp_path / "ran"
    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(2)])
    saving_lib.save_model(model, tmp_path / "npz.keras", weights_format="npz")
    locations = npz_tensors(local(tmp_path / "npz.keras", "model.weights.npz"), LIMITS)
    assert locations and all(isinstance(location, UnavailableLocation) for location in locations.values())
    report = kerascope.inspect(tmp_path / "npz.keras", values=True)
    weights = [weight for node in report.nodes for weight in node.weights]
    assert weights and all(weight.stats is None for weight in weights)
    (finding,) = unread(report)
    assert "pickle, which kerascope never unpickles" in finding.message
    with pytest.raises(ValuesUnavailable, match="pickle"):
        weights[0].array()
    assert not sentinel.exists()


def test_plain_npz_weights_stored_compressed_and_nested_in_an_archive(keras3, tmp_path):
    """A model's weights as plain arrays at Keras's paths (`layers/dense/vars/0`), in an
    npz stored, compressed, and inside a `.keras`-like zip."""
    model = keras3.Sequential(
        [keras3.Input((7,)), keras3.layers.Dense(5, name="dense"), keras3.layers.Dense(3, name="dense_1")]
    )
    arrays = {
        f"layers/{layer.name}/vars/{index}": np.asarray(variable.numpy())
        for layer in model.layers
        for index, variable in enumerate(layer.weights)
    }
    arrays["layers/dense/vars/0"] = np.asfortranarray(arrays["layers/dense/vars/0"])
    arrays["layers/dense_1/vars/0"] = arrays["layers/dense_1/vars/0"].astype(">f4")
    np.savez(tmp_path / "plain.npz", **arrays)
    np.savez_compressed(tmp_path / "compressed.npz", **arrays)
    for path in (tmp_path / "plain.npz", tmp_path / "compressed.npz"):
        report = kerascope.inspect(path, values=True)
        assert_report_values(
            report, {key + ".npy": value for key, value in arrays.items()}, model.count_params()
        )
    with zipfile.ZipFile(tmp_path / "nested.keras", "w") as archive:
        archive.write(tmp_path / "plain.npz", "model.weights.npz")
    for file in (local(tmp_path / "plain.npz"), local(tmp_path / "nested.keras", "model.weights.npz")):
        found = npz_tensors(file, LIMITS)
        for key, expected in arrays.items():
            assert_stats_match(tensor_stats(values(found[key], LIMITS)).as_dict(), expected, key)


def test_a_keras_hub_preset_and_its_transformers_export(keras3, tmp_path):
    """A KerasHub backbone saved as a preset (HDF5 weights in a folder) and exported to
    Transformers (safetensors, read by the safetensors library)."""
    from support.model_zoo import tiny_bert_backbone, tiny_gpt2_backbone

    backbone = tiny_bert_backbone()
    backbone.save_to_preset(tmp_path / "bert")
    report = kerascope.inspect(tmp_path / "bert", values=True)
    truth = h5_arrays(tmp_path / "bert" / "model.weights.h5")
    assert_report_values(report, truth, backbone.count_params())
    gpt2 = tiny_gpt2_backbone()
    gpt2.export_to_transformers(tmp_path / "gpt2")
    report = kerascope.inspect(tmp_path / "gpt2", values=True)
    assert_report_values(
        report, safetensors_arrays(tmp_path / "gpt2" / "model.safetensors"), gpt2.count_params()
    )


def test_an_orbax_checkpoint_says_why_its_values_are_not_read(keras3, tmp_path):
    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(2, name="dense")])
    root = save_checkpoint(keras3, model, tmp_path / "orbax")
    report = kerascope.inspect(root, values=True)
    weights = [weight for node in report.nodes for weight in node.weights]
    assert len(weights) == 2 and all(weight.stats is None for weight in weights)
    (finding,) = unread(report)
    assert "zarr chunks in its OCDBT database" in finding.message and finding.path == "dense"


def test_a_live_model_and_a_report_without_values(keras3, tmp_path):
    """A live model's values are its variables' (`variable.numpy()`); a report made
    without values holds none, reads on request, and one rebuilt from JSON cannot."""
    model = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(3, name="dense")])
    report = kerascope.inspect(model, values=True)
    truth = {variable.path: np.asarray(variable.numpy()) for variable in model.weights}
    assert_report_values(report, truth, model.count_params())
    model.save(tmp_path / "model.keras")
    plain = kerascope.inspect(tmp_path / "model.keras")
    assert all(weight.stats is None for node in plain.nodes for weight in node.weights)
    assert np.array_equal(plain.array("dense", "kernel"), model.get_layer("dense").kernel.numpy())
    assert np.array_equal(plain.weight("dense", 1).array(), model.get_layer("dense").bias.numpy())
    with pytest.raises(LimitExceeded, match="max_tensor_bytes"):
        plain.array("dense", "kernel", limits=Limits(max_tensor_bytes=8))
    rebuilt = kerascope.ModelReport.from_json(plain.to_json())
    assert "location" not in plain.to_json()
    with pytest.raises(ValuesUnavailable, match="does not say where its values are"):
        rebuilt.array("dense", "kernel")


def test_values_of_one_layer_over_http_fetch_its_bytes(keras3, tmp_path):
    """Over HTTP by range requests: one layer's values fetch its kernel's and bias's
    bytes beside what the read without values fetched, never the file."""
    model = keras3.Sequential(
        [keras3.Input((256,)), *(keras3.layers.Dense(256, name=f"dense_{index}") for index in range(8))]
    )
    model.save(tmp_path / "model.keras")
    local_stats = kerascope.inspect(tmp_path / "model.keras", values="dense_3")
    with range_server(tmp_path) as (base, served):
        url = f"{base}/model.keras"
        before = served.bytes
        plain = kerascope.inspect(url)
        structure = served.bytes - before
        # The report names where the values are and keeps nothing it fetched.
        assert not plain.weight("dense_3", 0).location.file.source.blocks
        before = served.bytes
        report = kerascope.inspect(url, values="dense_3")
        with_values = served.bytes - before
    stored = (256 * 256 + 256) * 4
    read = with_values - structure  # some of the layer's blocks came with the metadata's
    assert stored - structure <= read <= stored + 64 * 1024, f"fetched {read:,} bytes for {stored:,} stored"
    assert with_values < (tmp_path / "model.keras").stat().st_size / 4
    assert [w.stats for w in report["dense_3"].weights] == [w.stats for w in local_stats["dense_3"].weights]
    assert all(w.stats is None for w in report["dense_4"].weights)


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


# -- the types checkpoints and safetensors hold ----------------------------------------
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


# -- the real-world corpus --------------------------------------------------------------
def stores_values(path: Path) -> bool:
    """Whether a corpus file holds weight values, as the writers' libraries and the file
    system see it: an HDF5 file (or one inside a `.keras`) with a numeric dataset, a
    SavedModel with its checkpoint, a TensorFlow.js model with every shard beside it."""
    if path.is_file() and h5py.is_hdf5(path):
        with h5py.File(path, "r") as handle:
            found: list[str] = []
            handle.visititems(
                lambda name, item: (
                    found.append(name)
                    if isinstance(item, h5py.Dataset) and item.dtype.kind in "fiubV"
                    else None
                )
            )
        return bool(found)
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "model.weights.h5" in archive.namelist()
    if path.is_dir():
        return (path / "model.weights.h5").is_file() or (path / "variables" / "variables.index").is_file()
    document = json.loads(path.read_text()) if path.suffix == ".json" else None
    if isinstance(document, dict):
        groups = document.get("weightsManifest") or []
        return bool(groups) and all(
            (path.parent / name).is_file() for group in groups for name in group["paths"]
        )
    return False


def corpus_truth(path: Path) -> dict[str, np.ndarray]:
    """A corpus file's tensors, by the writer's library, by their names in the file."""
    if path.suffix == ".json":
        return tfjs_arrays(path)
    if path.is_file() and h5py.is_hdf5(path):
        return h5_arrays(path)
    if path.is_file():
        return h5_arrays(archive_member(path, "model.weights.h5"))
    if (path / "model.weights.h5").is_file():
        return h5_arrays(path / "model.weights.h5")
    return checkpoint_arrays(path / "variables" / "variables")


ROWS = corpus_rows()
HOLDING = [row for row in ROWS if stores_values(CORPUS / row["file"])]
HOLDING_NONE = [row for row in ROWS if row not in HOLDING]
# Groups of an HDF5 weights file that hold no layer's weights (`metrics\\mean` as Windows wrote it).
NOT_LAYERS = ("optimizer_weights", "optimizer", "metrics")


@pytest.mark.parametrize("row", corpus_params(HOLDING))
def test_corpus_files_that_store_values(row):
    """Every weight the report holds has numpy's statistics of its tensor, and (HDF5)
    every tensor of the file outside the optimizer's and metrics' groups is a weight."""
    require_corpus()
    path = CORPUS / row["file"]
    truth = corpus_truth(path)
    report = kerascope.inspect(path, values=True)
    assert not unread(report), unread(report)
    assert_report_values(report, truth)
    if path.suffix != ".json" and not (path / "variables").is_dir():  # HDF5 weights
        layers = {key for key in truth if re.split(r"[/\\\\]", key)[0] not in NOT_LAYERS}
        read = {weight.location.key for node in report.nodes for weight in node.weights}
        assert layers - read == set(), f"tensors no weight holds: {sorted(layers - read)[:5]}"


@pytest.mark.parametrize("row", corpus_params(HOLDING_NONE))
def test_corpus_files_that_store_no_values_say_why(row):
    """A file without values (an architecture alone, a SavedModel or TensorFlow.js model
    copied without its weights, Keras's pickled npz) says so, in one finding or one line."""
    require_corpus()
    path = CORPUS / row["file"]
    try:
        report = kerascope.inspect(path, values=True)
    except KerascopeError as error:  # a file that cannot be read at all says why in its one line
        assert str(error).startswith(str(path)) and len(str(error)) > len(str(path)) + 2
        return
    assert all(weight.stats is None for node in report.nodes for weight in node.weights)
    found = unread(report)
    assert found and all(finding.message for finding in found)
