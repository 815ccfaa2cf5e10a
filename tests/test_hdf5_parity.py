"""The pure-Python HDF5 reader against libhdf5 (through h5py, in h5py_reference.py):
the same report, findings included, for every kind of HDF5 file Keras writes, files
rewritten into every HDF5 storage layout, hostile links and datasets, and every file
of the real-world corpus."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from kerascope.errors import KerascopeError
from kerascope.examples import build_examples
from kerascope.readers import read_path

from support.corpus import CORPUS, corpus_rows, require_corpus
from support.fresh_process import NATIVE_HDF5, frameworks_imported_reading
from support.h5py_reference import reading_with_h5py
from support.hdf5_craft import rewrite
from support.model_zoo import BUILDERS

SAVEABLE = sorted(set(BUILDERS) - {"raising_config"})


def report_or_error(path: Path) -> str:
    try:
        return read_path(path).to_json()
    except KerascopeError as error:
        return f"error: {error}"


def assert_same_as_libhdf5(path: Path) -> dict:
    """The same report (returned); or, for a file the readers refuse whatever its
    HDF5 reader (a Keras 3 `save_weights` file), the same refusal."""
    ours = report_or_error(path)
    with reading_with_h5py():
        theirs = report_or_error(path)
    if ours.startswith("error") or theirs.startswith("error"):
        assert ours == theirs
        return {}
    assert json.loads(ours) == json.loads(theirs)
    return json.loads(ours)


def finding_codes(report: dict) -> list[str]:
    return sorted(finding["code"] for finding in report["findings"])


@pytest.fixture(scope="module")
def keras_files(keras3, tf_keras, tmp_path_factory):
    folder = tmp_path_factory.mktemp("parity")
    files = []
    for name, model in {**build_examples(keras3), **{n: BUILDERS[n](keras3) for n in SAVEABLE}}.items():
        for suffix in (".keras", ".h5"):
            model.save(folder / f"{name}.k3{suffix}")
            files.append(folder / f"{name}.k3{suffix}")
        model.save_weights(folder / f"{name}.k3.weights.h5")
        files.append(folder / f"{name}.k3.weights.h5")
    for name, model in {**build_examples(tf_keras), **{n: BUILDERS[n](tf_keras) for n in SAVEABLE}}.items():
        if name != "subclassed":
            model.save(folder / f"{name}.k2.h5")
            files.append(folder / f"{name}.k2.h5")
        model.save_weights(folder / f"{name}.k2.weights.h5")  # tf_keras writes Keras 3's format here
        model.save_weights(folder / f"{name}.k2_weights.h5")  # and the legacy weights-only format here
        files += [folder / f"{name}.k2.weights.h5", folder / f"{name}.k2_weights.h5"]
    return files


def test_every_file_keras_writes(keras_files):
    for path in keras_files:
        assert_same_as_libhdf5(path)


def test_compressed_weights_member(keras_files, tmp_path):
    """A `.keras` rezipped with deflate: its weights are spooled once, then read in pages."""
    original = next(path for path in keras_files if path.name == "transformer.k3.keras")
    compressed = tmp_path / "compressed.keras"
    with (
        zipfile.ZipFile(original) as source,
        zipfile.ZipFile(compressed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    assert zipfile.ZipFile(compressed).getinfo("model.weights.h5").compress_type == zipfile.ZIP_DEFLATED
    assert assert_same_as_libhdf5(compressed)["nodes"] == assert_same_as_libhdf5(original)["nodes"]


def test_static_reads_never_import_h5py(keras_files, tf_keras, tmp_path):
    """`import kerascope` and a read of every format, in a fresh interpreter: h5py
    (and with it the HDF5 C library) is never imported."""
    model = build_examples(tf_keras)["three_dense"]
    model.save(tmp_path / "saved", save_format="tf")
    (tmp_path / "model.json").write_text(model.to_json())
    paths = [*keras_files, tmp_path / "saved", tmp_path / "model.json"]
    formats = {read_path(path).format for path in paths}
    assert formats == {"keras", "h5", "h5-weights", "keras-weights", "savedmodel", "json"}
    assert frameworks_imported_reading(paths, watched=NATIVE_HDF5) == []


@pytest.mark.parametrize(
    "options",
    [
        {"libver": "latest"},  # version 2 object headers, link messages, compact or dense groups
        {"track_order": True},  # creation-order indexes on every group
        {"libver": "latest", "track_order": True},
        {"userblock_size": 512},  # the superblock after a user block
        {"libver": ("v108", "v108")},
    ],
    ids=["latest", "track_order", "latest_track_order", "userblock", "v108"],
)
@pytest.mark.parametrize("name", ["nested.k2.h5", "transformer.k3.h5", "transformer.k3.weights.h5"])
def test_every_hdf5_layout(keras_files, tmp_path, options, name):
    original = next(path for path in keras_files if path.name == name)
    assert_same_as_libhdf5(rewrite(original, tmp_path / name, **options))


@pytest.mark.parametrize("libver", ["earliest", "latest"])
@pytest.mark.parametrize(
    "options",
    [{"chunks": True}, {"compression": "gzip"}, {"chunks": True, "maxshape": None}, {"track_times": True}],
    ids=["chunked", "gzip", "resizable", "times"],
)
def test_every_dataset_layout(keras_files, tmp_path, options, libver):
    original = next(path for path in keras_files if path.name == "nested.k2.h5")
    assert_same_as_libhdf5(rewrite(original, tmp_path / "layout.h5", dataset_options=options, libver=libver))


@pytest.fixture
def legacy(keras_files, tmp_path):
    path = tmp_path / "hostile.h5"
    path.write_bytes(next(p for p in keras_files if p.name == "nested.k2.h5").read_bytes())
    return path


def list_weights(layer: h5py.Group, names: list[str]) -> None:
    """Add `names` to the weights a legacy layer group lists."""
    listed = [name.decode() if isinstance(name, bytes) else name for name in layer.attrs["weight_names"]]
    layer.attrs["weight_names"] = np.array(listed + names, dtype=h5py.string_dtype())


def test_links_cycles_and_repeated_objects(legacy):
    with h5py.File(legacy, "a") as handle:
        weights = handle["model_weights"]
        first = next(iter(weights))
        weights["elsewhere"] = h5py.ExternalLink("/nonexistent/file.h5", "/secrets")
        weights["alias"] = h5py.SoftLink("/model_weights")
        handle["shortcut"] = h5py.SoftLink("/model_weights")  # in an old-style group
        weights[first]["loop"] = weights[first]
        weights["again"] = weights[first]
        handle["zzz_late"] = weights[first]  # read first under model_weights, then again here
    codes = finding_codes(assert_same_as_libhdf5(legacy))
    assert codes == ["H5_EXTERNAL_LINK", *["H5_REPEATED_OBJECT"] * 3, "H5_SOFT_LINK", "H5_SOFT_LINK"]


def test_datasets_that_lie_about_their_size(legacy, tmp_path):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(b"\0" * 64)
    with h5py.File(legacy, "a") as handle:
        group = handle["model_weights"]
        layer = next(name for name in group if group[name].attrs.get("weight_names") is not None)
        holder = group[layer]
        holder.create_dataset("bomb:0", shape=(1 << 20, 1 << 12), dtype="f4", chunks=(256, 256))
        sparse = holder.create_dataset(
            "sparse:0", shape=(1 << 22,), dtype="f4", chunks=(1024,), compression="gzip"
        )
        sparse[:1024] = 1.0  # one chunk of 4,096 stored
        holder.create_dataset("external:0", shape=(16,), dtype="f4", external=[(str(raw), 0, 64)])
        holder.create_dataset("brain:0", data=np.zeros((3,), h5py.opaque_dtype(np.dtype("V2"))))
        holder["brain:0"].attrs["dtype"] = "bfloat16"
        holder.create_dataset("flag:0", data=np.array([True, False]))
        list_weights(holder, ["bomb:0", "sparse:0", "external:0", "brain:0", "flag:0"])
    report = assert_same_as_libhdf5(legacy)
    assert finding_codes(report) == [
        "H5_DATASET_SIZE_MISMATCH",
        "H5_DATASET_SIZE_MISMATCH",
        "H5_EXTERNAL_STORAGE",
    ]
    weights = {w["name"]: w for node in report["nodes"] for w in node.get("weights") or []}
    assert weights["brain"]["dtype"] == "bfloat16" and weights["flag"]["dtype"] == "bool"


def test_virtual_dataset(legacy, tmp_path):
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as handle:
        handle["data"] = np.arange(4, dtype="f4")
    layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
    layout[:] = h5py.VirtualSource(str(source), "data", shape=(4,))
    with h5py.File(legacy, "a") as handle:
        group = handle["model_weights"]
        layer = next(name for name in group if len(group[name].attrs.get("weight_names", [])))
        holder = group[layer]
        holder.create_virtual_dataset("virtual:0", layout)
        list_weights(holder, ["virtual:0"])
    assert finding_codes(assert_same_as_libhdf5(legacy)) == ["H5_VIRTUAL_DATASET"]


def test_many_attributes_in_dense_storage(legacy, tmp_path):
    path = rewrite(legacy, tmp_path / "dense.h5", libver="latest")
    with h5py.File(path, "a") as handle:
        for index in range(40):  # past 8 attributes, HDF5 moves them to a fractal heap
            handle.attrs[f"note_{index}"] = f"value {index}"
        handle.attrs["big_note"] = np.bytes_(b"x" * 100_000)  # a heap object of its own
    assert_same_as_libhdf5(path)


@pytest.mark.parametrize("track_order", [False, True])
def test_many_links_in_dense_storage(tf_keras, tmp_path, track_order):
    """Past 8 links, a new-style group keeps them in a fractal heap indexed by name."""
    model = tf_keras.Sequential([tf_keras.Input(shape=(2,))] + [tf_keras.layers.Dense(2) for _ in range(30)])
    model.save(tmp_path / "deep.h5")
    path = rewrite(tmp_path / "deep.h5", tmp_path / "dense.h5", libver="latest", track_order=track_order)
    assert len(assert_same_as_libhdf5(path)["nodes"]) == 1 + 1 + 30  # the model, its input, its layers


def test_committed_datatype(legacy):
    """A dataset whose type is a named (shared) datatype stored in its own object."""
    with h5py.File(legacy, "a") as handle:
        handle["float_type"] = np.dtype("<f4")
        group = handle["model_weights"]
        layer = next(name for name in group if len(group[name].attrs.get("weight_names", [])))
        group[layer].create_dataset("typed:0", shape=(3, 2), dtype=handle["float_type"])
        list_weights(group[layer], ["typed:0"])
    assert_same_as_libhdf5(legacy)


HDF5_ROWS = [
    row for row in corpus_rows() if row["format"] in ("h5_full", "h5_weights", "keras_v3", "keras_weights")
]


@pytest.mark.parametrize("row", HDF5_ROWS, ids=[row["file"] for row in HDF5_ROWS])
def test_corpus_file(row):
    require_corpus()
    assert_same_as_libhdf5(CORPUS / row["file"])
