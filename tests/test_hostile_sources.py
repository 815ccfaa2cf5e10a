"""Hostile presets, weights files, shards, npz pickles and safetensors headers: each
gives a report with a finding, or one line on standard error; nothing in them runs,
nothing outside the model's folder is opened, and nothing unbounded is allocated."""

from __future__ import annotations

import io
import json
import pickle
import shutil
import struct
import zipfile

import pytest

import kerascope
from kerascope.cli import main
from kerascope.model.vocabulary import Fact, Origin

from support.bounded import assert_bounded, one_line_error, run_cli
from support.model_zoo import tiny_bert_backbone
from support.pickles import system_pickle


@pytest.fixture(scope="module")
def genuine(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("genuine")
    model = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(3, name="dense")], name="small")
    model.save(folder / "model.keras")
    model.save_weights(folder / "model.weights.h5")
    return model, folder


def npz_keras(genuine_keras, path, members):
    """`genuine_keras` with its weights replaced by an npz of `members` (name -> bytes)."""
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with zipfile.ZipFile(genuine_keras) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            if info.filename != "model.weights.h5":
                new.writestr(info, old.read(info))
        new.writestr("model.weights.npz", npz.getvalue())
    return path


def npy_object_header() -> bytes:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def test_a_pickle_that_would_run_a_command_is_named_and_not_run(genuine, tmp_path, capsys):
    _, folder = genuine
    sentinel = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (shutil.copy, (__file__, str(sentinel)))

    path = npz_keras(folder / "model.keras", tmp_path / "hostile.keras", {
        "layers/dense.npy": npy_object_header() + pickle.dumps({"0": Payload()}, protocol=4),
    })  # fmt: skip
    report = kerascope.inspect(path)
    (finding,) = [f for f in report.findings if f.code == "PICKLED_WEIGHTS"]
    assert finding.severity == "error" and "shutil.copy" in finding.message
    # A variable that is a call, not an array, is not read from the file: the layer's
    # parameters are what its config says Keras creates, marked derived.
    assert report["dense"].origin[Fact.WEIGHTS] == Origin.DERIVED
    assert report.total_params == genuine[0].count_params()
    assert main(["check", str(path)]) == 1
    capsys.readouterr()
    assert not sentinel.exists()


def test_a_pickle_declaring_huge_bytes_allocates_nothing(genuine, tmp_path):
    _, folder = genuine
    huge = b"\x80\x04\x8e" + struct.pack("<Q", 1 << 60) + b"."  # BINBYTES8 of 2**60 bytes, then STOP
    path = npz_keras(
        folder / "model.keras", tmp_path / "huge.keras", {"layers/dense.npy": npy_object_header() + huge}
    )
    result = run_cli(["inspect", str(path), "--format", "json"])
    assert result.returncode == 0, result.stderr
    assert_bounded(result)
    report = json.loads(result.stdout)
    assert report["totals"]["total_params"] == genuine[0].count_params()  # from the config alone
    assert "could not be read as data" in report["findings"][0]["message"]


def test_a_pickle_nested_beyond_any_array_container_stops(genuine, tmp_path):
    _, folder = genuine
    deep = b"\x80\x04" + b"(" * 200_000 + b"."
    path = npz_keras(
        folder / "model.keras", tmp_path / "deep.keras", {"layers/dense.npy": npy_object_header() + deep}
    )
    result = run_cli(["inspect", str(path), "--format", "json"])
    assert result.returncode == 0
    assert json.loads(result.stdout)["totals"]["total_params"] == genuine[0].count_params()  # from the config
    assert_bounded(result)


@pytest.mark.parametrize("shard", ["../outside.weights.h5", "/etc/passwd", "sub/../../outside.weights.h5"])
def test_shard_names_never_leave_the_folder(genuine, tmp_path, shard):
    _model, folder = genuine
    (tmp_path / "outside.weights.h5").write_bytes((folder / "model.weights.h5").read_bytes())
    inner = tmp_path / "weights"
    inner.mkdir()
    index = {"metadata": {}, "weight_map": {"/layers/dense/vars": [shard], "/vars": [shard]}}
    (inner / "model.weights.json").write_text(json.dumps(index))
    report = kerascope.inspect(inner / "model.weights.json")
    (finding,) = report.findings
    assert finding.code == "WEIGHTS_SHARD_MISSING" and report.total_params is None


def test_a_safetensors_header_of_huge_declared_length_is_one_line(tmp_path):
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2", "architectures": ["GPT2Model"]}))
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 1 << 62) + b"{}")
    result = run_cli(["inspect", str(folder)])
    one_line_error(result, "header, over the")
    assert_bounded(result)


def test_preset_metadata_cannot_drive_the_terminal(keras3, tmp_path):
    tiny_bert_backbone(num_layers=1).save_to_preset(tmp_path / "preset")
    metadata = json.loads((tmp_path / "preset" / "metadata.json").read_text())
    metadata["keras_hub_version"] = "\x1b]52;c;aGk=\x07\x1b[2J0.1"
    metadata["tasks"] = ["\x1b[31mred\x1b[0m"]
    (tmp_path / "preset" / "metadata.json").write_text(json.dumps(metadata))
    for view in ("table", "tree", "markdown", "html"):
        result = run_cli(["inspect", str(tmp_path / "preset"), "--format", view])
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, view


@pytest.mark.parametrize("protocol", [0, 1, 2, 4, 5])
@pytest.mark.parametrize("stored", ["object-array", "raw-member"])
def test_a_pickle_of_any_protocol_in_an_npz_is_named(genuine, tmp_path, capsys, protocol, stored):
    """Hand-made pickles of `os.system`, with and without a protocol marker, as numpy
    stores an object array (after an `.npy` header) and as a bare member."""
    _, folder = genuine
    sentinel = tmp_path / "ran"
    payload = system_pickle(protocol, f"touch {sentinel}")
    member = npy_object_header() + payload if stored == "object-array" else payload
    path = npz_keras(folder / "model.keras", tmp_path / "hostile.keras", {"layers/dense.npy": member})
    assert main(["check", str(path), "-f", "json"]) == 1
    (found,) = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "PICKLED_WEIGHTS"]
    assert found["severity"] == "error" and "unpickling imports posix.system" in found["message"]
    assert not sentinel.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_pickle_broken_after_its_call_is_a_finding_not_unreadable(genuine, tmp_path, protocol):
    """`pickle.load` runs `posix.system` before it reaches the damage (a stack emptied
    past its bottom), so the damage does not hide the call: exit 1 with the finding."""
    _, folder = genuine
    sentinel = tmp_path / "ran"
    broken = system_pickle(protocol, f"touch {sentinel}")[:-1] + b"0000"
    path = npz_keras(
        folder / "model.keras", tmp_path / "broken.keras", {"layers/dense.npy": npy_object_header() + broken}
    )
    result = run_cli(["check", str(path), "-f", "json"], memory_mib=300)
    assert_bounded(result)
    assert result.returncode == 1, result.stderr
    (found,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "PICKLED_WEIGHTS"]
    assert "unpickling imports posix.system" in found["message"] and "could not be read" in found["message"]
    assert not sentinel.exists()
