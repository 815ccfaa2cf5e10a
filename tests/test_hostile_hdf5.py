"""HDF5 files whose sizes, counts and pointers lie, built here from genuine Keras files:
each read ends in one line naming the limit or the damage, in seconds and within a
few hundred MiB, in-process, with nothing but the pure-Python reader between the file
and the machine."""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerascope
from kerascope.limits import Limits

from support.hdf5_craft import point_strings_at, read_in_child, replace_after, rewrite, structures

DATA = Path(__file__).parent / "data"
MiB = 1 << 20


@pytest.fixture(scope="module")
def genuine(tf_keras, tmp_path_factory):
    """A legacy HDF5 model file written by tf_keras, and its parameter count."""
    path = tmp_path_factory.mktemp("genuine") / "genuine.h5"
    model = tf_keras.Sequential([tf_keras.Input(shape=(3,))] + [tf_keras.layers.Dense(2) for _ in range(12)])
    model.save(path)
    return path, model.count_params()


@pytest.fixture
def legacy(genuine, tmp_path):
    path = tmp_path / "hostile.h5"
    path.write_bytes(genuine[0].read_bytes())
    return path


def assert_refused(outcome: dict, message: str) -> None:
    assert message in outcome["outcome"], outcome
    assert "\n" not in outcome["outcome"]
    assert outcome["peak_mib"] < 300, outcome


def test_the_file_that_hung_libhdf5_ends_in_process():
    """A corrupt file (found by fuzzing) on which libhdf5 loops forever: in-process,
    with no child process, the read ends in one line (within a budget of a minute, which
    it never nears: past it the error would be the time limit's)."""
    with pytest.raises(kerascope.KerascopeError) as raised:
        kerascope.inspect(DATA / "hdf5_native_hang.h5", time_limit=60)
    assert "hdf5_native_hang.h5: model_config is not valid JSON" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_nothing_outside_the_file_is_ever_opened(legacy, tmp_path):
    """An external link, external raw storage and a virtual dataset, each naming a FIFO:
    opening any of them for reading would block the reader until the test's timeout."""
    fifos = {name: tmp_path / name for name in ("linked.h5", "raw.bin", "source.h5")}
    for fifo in fifos.values():
        os.mkfifo(fifo)
    layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
    layout[:] = h5py.VirtualSource(str(fifos["source.h5"]), "data", shape=(4,))
    with h5py.File(legacy, "a") as handle:
        weights = handle["model_weights"]
        weights["elsewhere"] = h5py.ExternalLink(str(fifos["linked.h5"]), "/model_weights")
        layer = next(name for name in weights if len(weights[name].attrs.get("weight_names", [])))
        holder = weights[layer][layer]
        holder.create_dataset("raw:0", shape=(4,), dtype="f4", external=[(str(fifos["raw.bin"]), 0, 16)])
        holder.create_virtual_dataset("virtual:0", layout)
        names = [n.decode() if isinstance(n, bytes) else n for n in weights[layer].attrs["weight_names"]]
        weights[layer].attrs["weight_names"] = np.array(
            [*names, f"{layer}/raw:0", f"{layer}/virtual:0"], dtype=h5py.string_dtype()
        )
    outcome = read_in_child(legacy, timeout=60)
    assert outcome["outcome"] == "ok", outcome
    assert {"H5_EXTERNAL_LINK", "H5_EXTERNAL_STORAGE", "H5_VIRTUAL_DATASET"} <= set(outcome["codes"])


def test_model_config_strings_all_pointing_at_one_large_heap_object(legacy):
    """3,072 variable-length strings, each claiming the same 1 MiB heap object: 3 GiB of
    text from a 1 MiB file, which h5py materializes before any size check."""
    strings = [f"s{i:06d}" for i in range(3072)]
    with h5py.File(legacy, "a") as handle:
        handle.attrs["model_config"] = np.array(strings, dtype=h5py.string_dtype())
        handle.attrs["filler"] = "A" * MiB
    point_strings_at(legacy, strings, b"A" * MiB)
    assert_refused(
        read_in_child(legacy), "model_config is 3,221,225,472 bytes, over the 67,108,864-byte JSON limit"
    )


def test_layer_names_split_in_two_pointing_at_one_large_heap_object(legacy):
    """Each half of a split `layer_names` stays under the attribute limit; together they do not."""
    halves = [[f"a{i:06d}" for i in range(40)], [f"b{i:06d}" for i in range(40)]]
    with h5py.File(legacy, "a") as handle:
        weights = handle["model_weights"]
        del weights.attrs["layer_names"]
        for number, half in enumerate(halves):
            weights.attrs[f"layer_names{number}"] = np.array(half, dtype=h5py.string_dtype())
        handle.attrs["filler"] = "A" * MiB
    point_strings_at(legacy, halves[0] + halves[1], b"A" * MiB)
    assert_refused(
        read_in_child(legacy),
        "HDF5 attribute 'layer_names1' holds more than 67,108,864 bytes (the HDF5 attribute limit)",
    )


def test_fixed_length_strings_claiming_a_trillion_elements(legacy):
    with h5py.File(legacy, "a") as handle:
        handle["model_weights"].attrs["layer_names"] = np.array([b"dense"] * 777, dtype="S5")
    replace_after(legacy, b"layer_names\0", struct.pack("<Q", 777), struct.pack("<Q", 1 << 40))
    assert_refused(
        read_in_child(legacy),
        "HDF5 attribute 'layer_names' holds more than 67,108,864 bytes (the HDF5 attribute limit)",
    )


def test_groups_nested_deeper_than_the_depth_limit(legacy):
    with h5py.File(legacy, "a") as handle:
        handle.create_group("/".join(["deep"] * 300))
    assert_refused(read_in_child(legacy), "HDF5 groups nested deeper than 256 (the HDF5 depth limit)")


def test_limits_apply_inside_a_keras_archive(keras3, tmp_path):
    """The weights member of a `.keras`, read in place inside the zip, under the same limits."""
    genuine = tmp_path / "genuine.keras"
    keras3.Sequential([keras3.Input(shape=(3,)), keras3.layers.Dense(2)]).save(genuine)
    weights = tmp_path / "model.weights.h5"
    hostile = tmp_path / "hostile.keras"
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(hostile, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "model.weights.h5":
                weights.write_bytes(data)
                with h5py.File(weights, "a") as handle:
                    handle.create_group("/".join(["deep"] * 300))
                data = weights.read_bytes()
            target.writestr(info, data)
    assert_refused(read_in_child(hostile), "HDF5 groups nested deeper than 256 (the HDF5 depth limit)")


def test_object_limit_is_counted_while_walking(legacy):
    with h5py.File(legacy, "a") as handle:
        target = handle["model_weights"]
        many = handle.create_group("many")
        for index in range(5000):
            many[f"link{index}"] = target
    assert_refused(
        read_in_child(legacy, max_h5_objects=1000), "more than 1,000 HDF5 objects (the object limit)"
    )


def test_thousands_of_repeated_links_are_counted_not_listed(legacy):
    """Findings of one kind past the first thousand are counted, not kept."""
    with h5py.File(legacy, "a") as handle:
        target = handle["model_weights"]
        many = handle.create_group("many")
        for index in range(3000):
            many[f"link{index}"] = target
    findings = [f for f in kerascope.check(legacy).findings if f.code == "H5_REPEATED_OBJECT"]
    assert len(findings) == 1001
    assert findings[-1].message == "/: more than 1,000 findings of this kind; the rest are not listed"


def test_metadata_limit(legacy):
    with h5py.File(legacy, "a") as handle:
        for index in range(2000):
            handle.create_group(f"extra/group{index}")
    assert_refused(
        read_in_child(legacy, max_h5_metadata_bytes=MiB),
        "the HDF5 metadata takes more than 1,048,576 bytes (the HDF5 metadata limit)",
    )


def _patch(path: Path, signature: bytes, offset: int, fmt: str, value: int, pick=None) -> None:
    """Set the field at `offset` in the structures with `signature` (all, or `pick`)."""
    data = bytearray(path.read_bytes())
    found = structures(bytes(data), signature)
    assert found, signature
    for at in found if pick is None else [pick(bytes(data), found)]:
        struct.pack_into(fmt, data, at + offset, value)
    path.write_bytes(bytes(data))


def _grown(path: Path) -> Path:
    """The file with 8 MiB of weight bytes added, so that lying sizes stay inside it."""
    with h5py.File(path, "a") as handle:
        handle["ballast"] = np.ones(2 * MiB, "f4")
    return path


def _group_btree_with_two_children(data: bytes, found: list[int]) -> int:
    return next(at for at in found if data[at + 4] == 0 and struct.unpack_from("<H", data, at + 6)[0] >= 2)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        # a local heap (a group's names) claiming 6 MiB: the metadata limit stops it before reading
        (lambda p: _patch(_grown(p), b"HEAP", 8, "<Q", 6 * MiB), "(the HDF5 metadata limit)"),
        # ... and claiming more than the file holds
        (lambda p: _patch(p, b"HEAP", 8, "<Q", 1 << 62), "local heap at address"),
        # a symbol table node claiming 65,535 entries
        (lambda p: _patch(p, b"SNOD", 6, "<H", 0xFFFF), "symbol table at address"),
        # a group B-tree node claiming 65,535 children
        (lambda p: _patch(p, b"TREE", 6, "<H", 0xFFFF), "B-tree node at address"),
        # a group B-tree listing the same symbol table node twice
        (
            lambda p: _patch_second_child_to_first(p),
            "a group's B-tree lists a symbol table node twice",
        ),
        # a group B-tree node whose child is itself
        (lambda p: _patch_child_to_itself(p), "malformed HDF5"),
        # a global heap collection (variable-length strings) claiming 2^62 bytes
        (lambda p: _patch(p, b"GCOL", 8, "<Q", 1 << 62), "global heap at address"),
        # a global heap collection claiming 6 MiB
        (lambda p: _patch(_grown(p), b"GCOL", 8, "<Q", 6 * MiB), "(the HDF5 metadata limit)"),
    ],
    ids=[
        "heap-6MiB",
        "heap-huge",
        "snod-count",
        "btree-count",
        "btree-same-leaf",
        "btree-self",
        "gcol-huge",
        "gcol-6MiB",
    ],
)
def test_structures_whose_sizes_and_counts_lie(legacy, damage, message):
    damage(legacy)
    assert_refused(read_in_child(legacy, max_h5_metadata_bytes=4 * MiB), message)


def _patch_second_child_to_first(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = _group_btree_with_two_children(bytes(data), structures(bytes(data), b"TREE"))
    first_child = struct.unpack_from("<Q", data, at + 24 + 8)[0]
    struct.pack_into("<Q", data, at + 24 + 8 + 16, first_child)
    path.write_bytes(bytes(data))


def _patch_child_to_itself(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = _group_btree_with_two_children(bytes(data), structures(bytes(data), b"TREE"))
    data[at + 5] = 1  # now an internal node, whose first child is ...
    struct.pack_into("<Q", data, at + 24 + 8, at)  # ... itself
    path.write_bytes(bytes(data))


# Field offsets in a fractal heap header (FRHP) and a version 2 B-tree header (BTHD).
FRHP_WIDTH, FRHP_MAX_BLOCK = 110, 120
BTHD_DEPTH, BTHD_TOTAL = 4 + 1 + 1 + 4 + 2, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + 8 + 2


@pytest.mark.parametrize(
    ("signature", "offset", "fmt", "value", "message"),
    [
        (
            b"BTHD",
            BTHD_TOTAL,
            "<Q",
            10**9,
            "declares 1,000,000,000 links, more than 2,000,000 (the object limit)",
        ),
        (b"BTHD", BTHD_DEPTH, "<H", 60_000, "malformed HDF5: bad B-tree header for links"),
        (b"FRHP", FRHP_WIDTH, "<H", 3, "malformed HDF5: the fractal heap of links declares impossible sizes"),
        (b"FRHP", FRHP_MAX_BLOCK, "<Q", 1 << 40, "the fractal heap of links declares impossible sizes"),
    ],
    ids=["btree-total", "btree-depth", "heap-width", "heap-block-size"],
)
def test_dense_group_whose_heap_or_btree_lies(legacy, tmp_path, signature, offset, fmt, value, message):
    """A new-style group past 8 links keeps them in a fractal heap indexed by a version 2
    B-tree (13 layer groups here): their headers are checked before pyfive walks them."""
    path = rewrite(legacy, tmp_path / "dense.h5", libver="latest")
    _patch(path, signature, offset, fmt, value)
    assert_refused(read_in_child(path), message)


def test_the_genuine_file_reads_within_the_default_limits(genuine):
    path, params = genuine
    assert read_in_child(path)["outcome"] == "ok"
    assert kerascope.inspect(path, limits=Limits()).total_params == params
