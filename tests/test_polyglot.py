"""Polyglots: one file that two loaders read differently. A genuine HDF5 model with a
zip appended is valid HDF5 from its start and a valid zip from its end (h5py and
zipfile both say so). Keras's `load_model` reads a `.keras` name on a zip as the zip
(`zipfile.is_zipfile`), and a `.h5` name by its legacy HDF5 loader: kerascope reports
the reading Keras would use, and a POLYGLOT error naming both."""

from __future__ import annotations

import json
import zipfile

import h5py
import pytest

import kerascope
from kerascope.model import Format, Role

from support.bounded import run_cli
from support.hostile import hostile_keras3


@pytest.fixture
def polyglot(keras3, tmp_path):
    """The bytes of a benign HDF5 model followed by a `.keras` archive whose Lambda
    would write a sentinel file when loaded."""
    benign = tmp_path / "benign.h5"
    keras3.Sequential([keras3.Input(shape=(3,)), keras3.layers.Dense(2, name="benign")], name="seq").save(
        benign
    )
    sentinel = tmp_path / "ran"
    hostile = hostile_keras3(keras3, tmp_path, sentinel)
    return benign.read_bytes() + hostile.read_bytes(), hostile, sentinel


def write(data, path):
    path.write_bytes(data)
    assert zipfile.is_zipfile(path) and h5py.is_hdf5(path), "both libraries accept it"
    return path


def codes(report):
    return {finding.code for finding in report.findings}


def test_a_keras_name_reads_the_zip_keras_would_load(polyglot, tmp_path):
    data, hostile, sentinel = polyglot
    path = write(data, tmp_path / "model.keras")
    result = kerascope.check(path)
    assert result.report.format == Format.KERAS
    with zipfile.ZipFile(hostile) as archive:
        listed = [layer["name"] for layer in json.loads(archive.read("config.json"))["config"]["layers"]]
    assert [node.name for node in result.report.children(result.report.root)] == listed
    assert {"POLYGLOT", "LAMBDA_BYTECODE"} <= codes(result)
    run = run_cli(["check", str(path)])
    assert run.returncode == 1 and "POLYGLOT" in run.stdout
    assert not sentinel.exists()


def test_an_h5_name_reads_the_hdf5_keras_would_load(keras3, polyglot, tmp_path):
    data, _, sentinel = polyglot
    path = write(data, tmp_path / "model.h5")
    result = kerascope.check(path)
    assert result.report.format == Format.H5
    loaded = keras3.saving.load_model(path)  # the legacy HDF5 loader: the benign model
    shown = [node.name for node in result.report.children(result.report.root) if node.role != Role.INPUT]
    assert shown == [layer.name for layer in loaded.layers]
    assert result.report.total_params == loaded.count_params()
    assert "POLYGLOT" in codes(result) and "LAMBDA_BYTECODE" not in codes(result)
    polyglot_finding = next(finding for finding in result.findings if finding.code == "POLYGLOT")
    assert "HDF5" in polyglot_finding.message and "zip" in polyglot_finding.message
    assert run_cli(["check", str(path)]).returncode == 1
    assert not sentinel.exists()


def test_one_reading_alone_is_no_polyglot(polyglot, tmp_path):
    _, hostile, _ = polyglot
    assert "POLYGLOT" not in codes(kerascope.check(hostile))
    assert "POLYGLOT" not in codes(kerascope.check(tmp_path / "benign.h5"))
