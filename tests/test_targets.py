"""What a target is, decided once: user code is imported only when the argument
cannot be a file, so no file name — not even one a shell glob makes from a
folder an attacker filled — ever runs code."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kerascope
from kerascope.cli import main
from kerascope.targets import (
    CodeTarget,
    FileTarget,
    LiveTarget,
    RemoteTarget,
    ReportTarget,
    names_a_file,
    resolve,
)

TESTS = Path(__file__).parent


@pytest.fixture
def booby_trapped(tmp_path):
    """A folder holding `payload.py` (which creates a sentinel file when imported)
    and dangling links named like `module:attr` references to it."""
    folder = tmp_path / "models"
    folder.mkdir()
    sentinel = tmp_path / "payload-ran"
    (folder / "payload.py").write_text(f"open({str(sentinel)!r}, 'w').write('ran')\nmodel = None\n")
    for name in ("payload.py:model.keras", "payload:model", "payload.py:model"):
        (folder / name).symlink_to(folder / "nowhere")
    yield folder
    assert not sentinel.exists(), "a file name ran code"


@pytest.mark.parametrize("command", ["inspect", "check", "show"])
def test_a_shell_glob_over_a_model_folder_runs_nothing(booby_trapped, capsys, command):
    targets = sorted(glob.glob(str(booby_trapped / "*.keras")))
    assert targets == [str(booby_trapped / "payload.py:model.keras")]
    extra = ["layer"] if command == "show" else []
    for target in targets:
        assert main([command, target, *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and target in err and "a link to nothing" in err


@pytest.mark.parametrize("name", ["payload.py:model.keras", "payload:model", "payload.py:model"])
def test_an_existing_name_is_a_file_even_in_the_folder_of_the_code(booby_trapped, monkeypatch, capsys, name):
    monkeypatch.chdir(booby_trapped)
    monkeypatch.syspath_prepend(str(booby_trapped))
    assert isinstance(resolve(name), FileTarget)
    assert main(["inspect", name]) == 2
    assert "a link to nothing" in capsys.readouterr().err


def test_the_command_in_a_fresh_process_runs_nothing(booby_trapped):
    for target in (str(booby_trapped / "payload.py:model.keras"), "payload.py:model"):
        done = subprocess.run(
            [sys.executable, "-m", "kerascope", "check", target],
            capture_output=True,
            text=True,
            cwd=booby_trapped,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(booby_trapped)},
        )
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and target in done.stderr


@pytest.mark.parametrize(
    ("text", "is_file"),
    [
        ("model.keras", True),
        ("MODEL.H5", True),
        ("weights.weights.json", True),
        ("dir/model", True),
        ("./mod:attr", True),
        ("x.py:model.keras", True),
        ("pkg.module:build", False),
        ("module:attr.sub", False),
    ],
)
def test_what_names_a_file(text, is_file):
    assert names_a_file(text) is is_file


def test_each_kind_of_target(tmp_path, keras3):
    model = keras3.Sequential([keras3.Input(shape=(2,)), keras3.layers.Dense(1)])
    report = kerascope.inspect(model)
    assert isinstance(resolve(model), LiveTarget)
    assert isinstance(resolve(report), ReportTarget)
    assert isinstance(resolve(tmp_path / "m.keras"), FileTarget)
    assert isinstance(resolve(str(tmp_path)), FileTarget)
    assert resolve("support.cli_targets:model") == CodeTarget("support.cli_targets:model")
    assert kerascope.inspect(report) is report
    for url in ("https://host/m.keras", "s3://bucket/m.keras", "gs://b/m", "hf://org/repo", "memory://x"):
        assert resolve(url) == RemoteTarget(url)


def test_a_local_file_that_looks_like_a_url_is_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "http:").mkdir()
    (tmp_path / "http:" / "model.keras").write_bytes(b"")
    assert resolve("http://model.keras") == FileTarget(Path("http://model.keras"))


def test_code_named_by_the_user_is_imported(monkeypatch):
    monkeypatch.chdir(TESTS)
    report = kerascope.inspect("support.cli_targets:two_dense")
    assert report.source == "support.cli_targets:two_dense"
    assert [node.name for node in report.layers] == ["features", "hidden", "score"]
