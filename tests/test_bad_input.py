"""Broken and non-model input: one line naming the file and the problem, exit 2,
no traceback, bounded time and memory, and nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerascope
from kerascope.cli import main
from kerascope.examples import build_examples
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.readers import read_path


@pytest.fixture(scope="module")
def saved(keras3, tf_keras, tmp_path_factory):
    """One genuine file of each kind, written by Keras, to break in each test."""
    folder = tmp_path_factory.mktemp("genuine")
    build_examples(keras3)["three_dense"].save(folder / "model.keras")
    legacy = build_examples(tf_keras)["three_dense"]
    legacy.save(folder / "model.h5")
    legacy.save(folder / "savedmodel", save_format="tf")
    return folder


def fails_cleanly(capsys, path, message):
    code = main(["inspect", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert str(path) in err
    assert message in err, err
    return err


def test_truncated_zip(capsys, saved, tmp_path):
    data = (saved / "model.keras").read_bytes()
    broken = tmp_path / "truncated.keras"
    broken.write_bytes(data[: len(data) // 2])
    fails_cleanly(capsys, broken, "corrupt zip archive")


def test_zip_with_corrupt_weights_member(capsys, saved, tmp_path):
    broken = tmp_path / "corrupt.keras"
    with zipfile.ZipFile(saved / "model.keras") as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "model.weights.h5":
                data = b"\0" * len(data)
            target.writestr(info, data)
    fails_cleanly(capsys, broken, "model.weights.h5")


def test_zip_that_is_not_a_keras_archive(capsys, tmp_path):
    path = tmp_path / "photos.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cat.jpg", b"\xff\xd8\xff")
    fails_cleanly(capsys, path, "zip archive without config.json")


def test_config_json_not_json(capsys, saved, tmp_path):
    path = tmp_path / "badjson.keras"
    with zipfile.ZipFile(saved / "model.keras") as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            target.writestr(info, b"{not json" if info.filename == "config.json" else source.read(info))
    fails_cleanly(capsys, path, "config.json is not valid JSON")


def test_hdf5_without_model_attributes(capsys, tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.zeros(3)
    fails_cleanly(capsys, path, "neither model_config nor layer_names")


def test_hdf5_with_mistyped_model_config(capsys, saved, tmp_path):
    path = tmp_path / "mistyped.h5"
    path.write_bytes((saved / "model.h5").read_bytes())
    with h5py.File(path, "a") as handle:
        handle.attrs["model_config"] = np.arange(4)
    fails_cleanly(capsys, path, "model_config attribute is not text")


def test_hdf5_with_config_that_is_not_a_model(capsys, saved, tmp_path):
    path = tmp_path / "wrongconfig.h5"
    path.write_bytes((saved / "model.h5").read_bytes())
    with h5py.File(path, "a") as handle:
        handle.attrs["model_config"] = json.dumps([1, 2, 3])
    fails_cleanly(capsys, path, "model_config does not hold a serialized Keras model")


def test_hdf5_weight_listed_but_missing(capsys, saved, tmp_path):
    path = tmp_path / "missingweight.h5"
    path.write_bytes((saved / "model.h5").read_bytes())
    with h5py.File(path, "a") as handle:
        del handle["model_weights/dense_a/dense_a/kernel:0"]
    fails_cleanly(capsys, path, "weight 'dense_a/kernel:0' of layer 'dense_a' is listed but not stored")


def test_savedmodel_metadata_mangled_by_line_ending_conversion(capsys, saved, tmp_path):
    directory = tmp_path / "mangled"
    directory.mkdir()
    metadata = (saved / "savedmodel" / "keras_metadata.pb").read_bytes()
    # What a CRLF -> LF conversion does to a binary file: every \r\n loses its \r,
    # here forced by planting one into the first length-delimited string.
    mangled = metadata[:3] + b"\r\n" + metadata[3:]
    (directory / "keras_metadata.pb").write_bytes(mangled.replace(b"\r\n", b"\n"))
    fails_cleanly(capsys, directory, "keras_metadata.pb is not a valid protobuf message")


def test_savedmodel_without_a_meta_graph(capsys, tmp_path):
    directory = tmp_path / "plain_tf"
    directory.mkdir()
    (directory / "saved_model.pb").write_bytes(b"\x08\x01")  # saved_model_schema_version = 1, nothing else
    fails_cleanly(capsys, directory, "saved_model.pb holds no meta graph")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"class_name": ', "is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than the JSON depth limit"),
        (b'{"hello": "world"}', "JSON, but not a Keras model"),
        (b'"just a string"', "is not valid JSON"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a Keras model"),
        (b"", "not a Keras model"),
        (b"plain text notes\n", "not a Keras model"),
    ],
    ids=["truncated", "deep", "other-json", "string", "png", "empty", "text"],
)
def test_not_a_model(capsys, tmp_path, content, message):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    fails_cleanly(capsys, path, message)


def test_member_over_the_limit_is_refused_before_reading(saved):
    with pytest.raises(kerascope.KerascopeError) as raised:
        read_path(saved / "model.keras", limits=Limits(max_member_bytes=100))
    assert "config.json" in str(raised.value) and "100" in str(raised.value) and "member" in str(raised.value)


def test_json_over_the_size_limit(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"class_name": "Sequential", "config": {"layers": [], "pad": "x" * 5000}}))
    with pytest.raises(kerascope.KerascopeError) as raised:
        read_path(path, limits=Limits(max_json_bytes=1000))
    assert "1,000" in str(raised.value) and "JSON" in str(raised.value)


def test_zip_bomb_stays_bounded(tmp_path):
    """A 300 MB config.json that compresses to a few hundred kB: refused, within a
    memory cap far below its size, in seconds."""
    bomb = tmp_path / "bomb.keras"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("config.json", "w", force_zip64=True) as member,
    ):
        for _ in range(300):
            member.write(b" " * (1 << 20))
    assert bomb.stat().st_size < 5_000_000
    err = run_bounded(["inspect", str(bomb)], memory_mib=200)
    limit = DEFAULT_LIMITS.max_member_bytes
    assert (
        f"config.json is 314,572,800 bytes, over the {limit:,}-byte limit (to read it anyway: --max-member-bytes"
        in err
    )


def run_bounded(argv, memory_mib, seconds=60):
    """The CLI in a child process under an address-space cap and a time limit."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({memory_mib + 400} << 20, {memory_mib + 400} << 20))
        from kerascope.cli import main
        sys.exit(main({argv!r}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=seconds)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    return done.stderr


def test_output_file_untouched_on_error(tmp_path, capsys):
    target = tmp_path / "report.json"
    target.write_text("previous report")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["inspect", str(bad), "-f", "json", "-o", str(target)]) == 2
    capsys.readouterr()
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "report.json"]


def test_nonexistent_path(capsys):
    missing = Path("/nonexistent/model.keras")
    code = main(["inspect", str(missing)])
    _, err = capsys.readouterr()
    assert code == 2 and "no such file" in err and str(missing) in err


def test_hdf5_whose_line_endings_git_converted(keras3, tmp_path, capsys):
    """CRLF to LF turns the HDF5 signature's `\\r\\n` into `\\n`: the file is named for
    what happened to it, not called "not a Keras model"."""
    path = tmp_path / "model.h5"
    keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(2)]).save(path)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    fails_cleanly(capsys, path, "line endings were converted")
