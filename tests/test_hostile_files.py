"""Files made to hurt a reader: each is reported (or refused in one line), nothing in
it runs, and time and memory stay bounded. The files are built here, by the tests,
from genuine Keras files; none is ever loaded by Keras."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerascope
from kerascope.cli import main

from support.bounded import one_line_error, run_cli

DATA = Path(__file__).parent / "data"


def test_more_layers_than_the_limits_allow(tmp_path):
    """200,000 layers (a million JSON values): over the layer limit by default, over a
    lowered item limit, and read whole, every layer a row, with the limits raised."""
    path = tmp_path / "many.json"
    layers = ",".join(
        f'{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}' for i in range(200_000)
    )
    path.write_text(f'{{"class_name":"Sequential","config":{{"name":"big","layers":[{layers}]}}}}')
    one_line_error(run_cli(["inspect", str(path)]), "more than 100,000 layers (the layer limit)")
    items = ["--max-json-items", "500000"]
    one_line_error(
        run_cli(["inspect", str(path), *items]), "more than 500,000 JSON values (the JSON item limit"
    )
    done = run_cli(["inspect", str(path), "--max-layers", "300000", "-f", "csv"])
    assert done.returncode == 0 and done.stdout.count("\n") == 200_001


def test_json_nested_100000_deep_inside_an_archive(keras3, tmp_path):
    path = tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", "[" * 100_000 + "]" * 100_000)
    one_line_error(run_cli(["inspect", str(path)]), "nested deeper than the JSON depth limit")


def test_json_depth_limit_is_a_flag(tmp_path):
    path = tmp_path / "nested.json"
    inner = {"class_name": "Dense", "config": {"name": "d", "note": [[[[[[1]]]]]]}}
    path.write_text(json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": [inner]}}))
    assert main(["inspect", str(path), "--max-json-depth", "5"]) == 2
    assert main(["inspect", str(path)]) == 0


@pytest.fixture
def genuine_h5(keras3, tmp_path):
    path = tmp_path / "genuine.h5"
    keras3.Sequential([keras3.Input(shape=(3,)), keras3.layers.Dense(2, name="dense")]).save(path)
    return path


def test_hdf5_cycle_and_repeated_links(genuine_h5):
    with h5py.File(genuine_h5, "a") as handle:
        group = handle["model_weights/dense"]
        group["loop"] = group  # a hard link to itself: a cycle
        handle["model_weights/again"] = handle["model_weights/dense"]
    report = kerascope.inspect(genuine_h5)
    assert report.total_params == 8
    codes = {finding.code for finding in kerascope.check(genuine_h5).findings}
    assert "H5_REPEATED_OBJECT" in codes


def test_hdf5_huge_attribute_string(tmp_path):
    path = tmp_path / "huge.h5"
    with h5py.File(path, "w", libver="latest") as handle:  # dense attribute storage allows huge ones
        handle.attrs["model_config"] = np.bytes_(b"{" + b" " * (80 << 20))
    one_line_error(run_cli(["inspect", str(path)]), "over the 67,108,864-byte JSON limit")


def test_hdf5_object_limit(genuine_h5):
    assert main(["inspect", str(genuine_h5), "--max-h5-objects", "3"]) == 2


def test_savedmodel_metadata_with_lying_length_prefixes(tf_keras, tmp_path):
    folder = tmp_path / "saved"
    tf_keras.Sequential([tf_keras.Input(shape=(3,)), tf_keras.layers.Dense(2)]).save(folder, save_format="tf")
    data = bytearray((folder / "keras_metadata.pb").read_bytes())
    # The first field is `nodes` (tag 0x0a) followed by its varint length: claim far more.
    assert data[0] == 0x0A
    data[1:2] = bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
    (folder / "keras_metadata.pb").write_bytes(bytes(data))
    one_line_error(run_cli(["inspect", str(folder)]), "keras_metadata.pb is not a valid protobuf message")


def test_a_slow_read_is_stopped_by_the_time_limit(tmp_path):
    """A read that would take long (a million layers, with the limits raised): the
    command ends at the time limit, in one line. (The HDF5 file that once hung the
    HDF5 C library now ends in-process: test_hostile_hdf5.py.)"""
    path = tmp_path / "million.json"
    layers = ",".join(
        f'{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}' for i in range(1_000_000)
    )
    path.write_text(f'{{"class_name":"Sequential","config":{{"name":"big","layers":[{layers}]}}}}')
    raised = ["--max-layers", "2000000", "--max-json-bytes", "200000000", "--max-json-items", "20000000"]
    done = run_cli(["inspect", str(path), *raised, "--time-limit", "1"], seconds=60)
    one_line_error(done, "gave up after 1 s (the time limit")


def test_member_limit_is_a_flag(tmp_path):
    path = kerascope.__file__
    example = Path(path).parent / "example_files" / "encoder.keras"
    assert main(["inspect", str(example), "--max-member-bytes", "100"]) == 2
