"""Lambda bytecode that would write a file if run: reported as data, never run."""

from __future__ import annotations

import base64
import marshal
import types

import pytest

import kerascope
from kerascope.cli import main

from support.fresh_process import frameworks_imported_reading
from support.hostile import hostile_keras1_json, hostile_keras2_h5, hostile_keras3, payload_base64


@pytest.fixture
def hostile_files(keras3, tf_keras, tmp_path):
    sentinel = tmp_path / "sentinel"
    folder = tmp_path / "files"
    folder.mkdir()
    files = {
        "keras3": hostile_keras3(keras3, folder, sentinel),
        "keras2": hostile_keras2_h5(tf_keras, folder, sentinel),
        "keras1": hostile_keras1_json(folder, sentinel),
    }
    assert not sentinel.exists()
    return files, sentinel


def test_payload_really_writes_the_sentinel(tmp_path):
    """The fixtures are genuinely hostile: their code, if run, creates the sentinel."""
    sentinel = tmp_path / "sentinel"
    code = marshal.loads(base64.b64decode(payload_base64(sentinel)))
    types.FunctionType(code, {"open": open})(1)
    assert sentinel.exists()


@pytest.mark.parametrize("generation", ["keras3", "keras2", "keras1"])
def test_inspect_reports_lambda_and_runs_nothing(hostile_files, capsys, generation):
    files, sentinel = hostile_files
    path = files[generation]
    report = kerascope.inspect(path)
    lambdas = report.find(class_name="Lambda")
    assert len(lambdas) == 1
    assert "function" in lambdas[0].config
    for view in ("table", "tree", "json", "yaml"):
        assert main(["inspect", str(path), "--format", view]) == 0
    assert main(["show", str(path), lambdas[0].path]) == 0
    capsys.readouterr()
    assert not sentinel.exists()


def test_nothing_runs_in_a_fresh_process(hostile_files):
    files, sentinel = hostile_files
    assert frameworks_imported_reading(list(files.values())) == []
    assert not sentinel.exists()
