"""Lambda bytecode that would write a file if run: reported as data, never run."""

from __future__ import annotations

import base64
import marshal
import subprocess
import sys
import types

import pytest

import kerascope
from hostile import hostile_keras1_json, hostile_keras2_h5, hostile_keras3
from kerascope.cli import main


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
    from hostile import payload_base64

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
    probe = (
        "import sys, kerascope\n"
        f"for path in {[str(p) for p in files.values()]!r}:\n"
        "    kerascope.inspect(path).to_json()\n"
        "print('HEAVY', [m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    assert not sentinel.exists()
