"""Keras 3 weights wherever Keras 3 puts them: `save_weights` files (alone and paired
with their config), sharded weights, `.npz` weights inside a `.keras`, and a
`.keras` extracted into a folder; each saved by Keras in this test run and read
against the live model that saved it."""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import pytest

import kerascope
from kerascope.cli import main
from kerascope.model import Format

from support.fresh_process import frameworks_imported_reading
from support.parity import assert_static_matches_live
from support.saved_files import SAVEABLE

WEIGHTED = ["nested", "transformer", "recurrent", "multi_io", "subclassed"]


def live_weights(model):
    """Each layer of the live report that holds variables itself: path -> their shapes."""
    live = kerascope.inspect(model)
    return live, {node.path: [w.shape for w in node.weights] for node in live.layers if node.weights}


@pytest.fixture(scope="module")
def saved(zoo, tmp_path_factory):
    """name -> (model, folder holding model.keras, model.weights.h5, a sharded copy)."""
    made = {}
    for name in WEIGHTED:
        model = zoo.model(name, "keras")
        folder = tmp_path_factory.mktemp(name)
        model.save(folder / "model.keras")
        model.save_weights(folder / "model.weights.h5")
        (folder / "sharded").mkdir()
        # A shard limit (in GB) of the largest variable: Keras starts new shards as it goes.
        largest = max(int(variable.numpy().nbytes) for variable in model.weights)
        model.save_weights(folder / "sharded" / "model.weights.json", max_shard_size=largest / 1024**3)
        made[name] = (model, folder)
    return made


@pytest.mark.parametrize("name", WEIGHTED)
def test_weights_file_alone_has_every_weighted_layer_and_keras_own_total(saved, name):
    model, folder = saved[name]
    report = kerascope.inspect(folder / "model.weights.h5")
    _live, weighted = live_weights(model)
    assert report.format == Format.KERAS_WEIGHTS
    assert report.total_params == model.count_params()
    assert report.root.name == model.name and report.root.class_name is None
    for path, shapes in weighted.items():
        assert path in report, f"{path} holds weights in Keras but is not in the report"
        assert [w.shape for w in report[path].weights] == shapes, path
    assert all(node.class_name is None for node in report.layers), "a weights file names no class"
    assert not report.findings


@pytest.mark.parametrize("name", WEIGHTED)
def test_weights_file_with_its_config_is_what_load_weights_sees(saved, name):
    model, folder = saved[name]
    for config in (folder / "model.keras", _extracted(folder) / "config.json", _to_json(model, folder)):
        report = kerascope.inspect(folder / "model.weights.h5", config=config)
        assert report.format == Format.KERAS_WEIGHTS
        assert_static_matches_live(report, kerascope.inspect(model))
        assert report.metadata == {"config": str(config)}


@pytest.mark.parametrize("name", WEIGHTED)
def test_sharded_weights_alone_and_paired(saved, name):
    model, folder = saved[name]
    index = folder / "sharded" / "model.weights.json"
    shards = json.loads(index.read_text())["weight_map"]
    assert len(set(map(str, shards.values()))) > 1, "Keras wrote one shard: the test would not test sharding"
    alone = kerascope.inspect(index)
    assert alone.format == Format.KERAS_WEIGHTS and alone.total_params == model.count_params()
    paired = kerascope.inspect(index, config=folder / "model.keras")
    assert_static_matches_live(paired, kerascope.inspect(model))


def test_a_missing_shard_is_a_finding_and_its_layers_unknown(saved, tmp_path):
    _model, folder = saved["nested"]
    copy = tmp_path / "sharded"
    shutil.copytree(folder / "sharded", copy)
    weight_map = json.loads((copy / "model.weights.json").read_text())["weight_map"]
    _vars_path, shard = next((key, files) for key, files in weight_map.items() if "dense" in key)
    shard = shard if isinstance(shard, str) else shard[0]
    (copy / shard).unlink()
    report = kerascope.inspect(copy / "model.weights.json")
    codes = [finding.code for finding in report.findings]
    assert codes == ["WEIGHTS_SHARD_MISSING"] and shard in report.findings[0].message
    assert report.total_params is None, "a layer's variables are missing: the total is unknown, not smaller"
    assert main(["check", str(copy / "model.weights.json")]) == 1


def test_npz_weights_in_a_keras_archive(zoo, tmp_path, capsys):
    """Keras writes `model.weights.npz` as pickles of its Variable objects and then
    refuses to load them (`allow_pickle=False`, a loading fact); kerascope reads their
    shapes from the pickles' opcodes, loads nothing, and says what unpickling would
    import: only what numpy, Keras and TensorFlow rebuild arrays and variables with,
    so a warning, not the error of a pickle that imports anything else."""
    import keras
    from keras.src.saving import saving_lib

    model = zoo.model("nested", "keras")
    saving_lib.save_model(model, tmp_path / "npz.keras", weights_format="npz")
    with zipfile.ZipFile(tmp_path / "npz.keras") as archive:
        assert "model.weights.npz" in archive.namelist()
    with pytest.raises(ValueError, match="allow_pickle"):
        keras.saving.load_model(tmp_path / "npz.keras")
    report = kerascope.inspect(tmp_path / "npz.keras")
    assert_static_matches_live(report, kerascope.inspect(model))
    (finding,) = report.findings
    assert finding.code == "PICKLED_ARRAYS" and finding.severity == "warning"
    imported = _npz_imports(tmp_path / "npz.keras")
    assert "keras.src.backend.Variable" in imported and all(name in finding.message for name in imported)
    assert frameworks_imported_reading([tmp_path / "npz.keras"]) == []
    assert main(["check", str(tmp_path / "npz.keras")]) == 0
    assert "PICKLED_ARRAYS" in capsys.readouterr().out


def _npz_imports(path):
    """What unpickling the archive's npz members would import, by Python's own opcode
    walker (`pickletools.genops`), each once."""
    import io
    import pickletools

    imported = []
    with (
        zipfile.ZipFile(path) as archive,
        zipfile.ZipFile(io.BytesIO(archive.read("model.weights.npz"))) as npz,
    ):
        for name in npz.namelist():
            data = npz.read(name)
            start = 10 + int.from_bytes(data[8:10], "little")  # after the .npy header
            if data[start : start + 1] != b"\x80":
                continue
            pushed, memo = [], {}  # the strings pushed (None for anything else), and the memo's
            for opcode, argument, _ in pickletools.genops(data[start:]):
                if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                    pushed.append(argument)
                elif opcode.name == "MEMOIZE":
                    memo[len(memo)] = pushed[-1] if pushed else None
                elif opcode.name in ("BINGET", "LONG_BINGET", "GET"):
                    pushed.append(memo.get(argument))
                elif opcode.name == "STACK_GLOBAL":
                    imported.append(f"{pushed[-2]}.{pushed[-1]}")
                    pushed[-2:] = [None]
                elif opcode.name == "GLOBAL":
                    imported.append(argument.replace(" ", "."))
                    pushed.append(None)
                elif opcode.stack_after:
                    pushed.append(None)
    return list(dict.fromkeys(imported))


@pytest.mark.parametrize("name", SAVEABLE)
def test_extracted_keras_folder_reads_as_the_archive(zoo, tmp_path, name):
    _model, path = zoo.saved(name, "keras3.keras")
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    archive_report, folder_report = kerascope.inspect(path), kerascope.inspect(folder)
    assert folder_report.format == Format.KERAS_FOLDER
    assert _facts(folder_report) == _facts(archive_report)
    (folder / "metadata.json").unlink()
    assert _facts(kerascope.inspect(folder))["nodes"] == _facts(archive_report)["nodes"], (
        "config.json beside model.weights.h5 is a model, with or without metadata.json"
    )


def test_windows_separators_and_renamed_groups(saved, tmp_path):
    """Keras on Windows joined whole attribute paths with `\\` into one top-level key
    (`layers\\dense`); Keras stores each layer's own name on its `vars` group, which
    need not be the key. Both read as Keras saved them."""
    import h5py

    model, folder = saved["nested"]
    copy = tmp_path / "windows.weights.h5"
    shutil.copy(folder / "model.weights.h5", copy)
    with h5py.File(copy, "r+") as handle:
        for key in list(handle["layers"]):
            handle.move(f"layers/{key}", f"layers\\{key}")
        del handle["layers"]
    report = kerascope.inspect(copy, config=folder / "model.keras")
    assert_static_matches_live(report, kerascope.inspect(model))


def test_config_pairs_only_with_weights(saved, capsys):
    _model, folder = saved["nested"]
    assert main(["inspect", str(folder / "model.keras"), "--config", str(folder / "model.keras")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pairs only with a weights file" in err
    assert (
        main(["inspect", str(folder / "model.weights.h5"), "--config", str(folder / "model.weights.h5")]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a .keras file" in err


def test_weights_of_another_model_are_a_mismatch(saved, keras3):
    """The nested model's weights meet the multi_io config: Keras 3 matches groups by
    path, finds Dense groups whose shapes do not fit, and refuses; the finding says so
    in its words."""
    _model, folder = saved["nested"]
    other = saved["multi_io"][1] / "model.keras"
    report = kerascope.inspect(folder / "model.weights.h5", config=other)
    [mismatch] = [finding for finding in report.findings if finding.code == "WEIGHTS_MISMATCH"]
    with pytest.raises(ValueError, match="could not be loaded") as refused:
        keras3.saving.load_model(other).load_weights(folder / "model.weights.h5")
    failing = re.findall(r"<Dense name=(\w+), built=True>", str(refused.value).rsplit("\n", 1)[-1])
    assert f"at {failing[0]!r} (and {len(failing) - 1} more layers)" in mismatch.message
    assert "`variable.assign(value)` must match" in mismatch.message


def _extracted(folder):
    target = folder / "extracted"
    if not target.exists():
        with zipfile.ZipFile(folder / "model.keras") as archive:
            archive.extractall(target)
    return target


def _to_json(model, folder):
    (folder / "model.json").write_text(model.to_json())
    return folder / "model.json"


def _facts(report):
    data = report.to_dict()
    for key in ("source", "format"):
        data.pop(key)
    return data
