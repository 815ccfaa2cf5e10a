"""Every file of the real-world corpus: a correct report, or a true one-line reason."""

from __future__ import annotations

import json

import jsonschema
import pytest

import kerascope
from kerascope.cli import main
from kerascope.model.records import json_schema

from support.corpus import (
    CORPUS,
    REPAIRED,
    classes_named,
    corpus_params,
    corpus_rows,
    recorded,
    require_corpus,
)
from support.fresh_process import frameworks_imported_reading
from support.stages import assert_every_stage_ran

ROWS = corpus_rows()


def nested_class_names(config):
    """Every class a config names, wrapped layers (Bidirectional's LSTM) included."""
    found, stack = set(), [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("class_name"), str):
                found.add(value["class_name"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


@pytest.mark.parametrize("row", corpus_params(ROWS))
def test_corpus_file(row):
    """Every fact the MANIFEST records of a file is the report's; a column the
    MANIFEST leaves at `-` records nothing, and nothing is compared with it."""
    require_corpus()
    path = CORPUS / row["file"]
    report = kerascope.inspect(path)
    assert_every_stage_ran(report)
    assert ("FILE_REPAIRED" in {finding.code for finding in report.findings}) == (row["file"] in REPAIRED)
    top = report.children(report.root)
    # The layers a config lists (not those the weights show, nor the input layer TF-Keras adds
    # to a Keras 2 Sequential); a subclassed model's config lists none, and its weights show them.
    listed = [node for node in top if node.origin.get("structure") not in ("weights", "derived")] or top
    if row["format"] in ("h5_weights", "keras_weights"):
        assert report.root.class_name is None
        assert all(node.class_name is None for node in top)
    elif recorded(row, "top_class_name") is not None:
        assert report.root.class_name == row["top_class_name"]
    if recorded(row, "n_top_layers") is not None:
        assert len(listed) == int(row["n_top_layers"])
    if recorded(row, "keras_version") is not None:
        assert report.keras_version == row["keras_version"]
    if recorded(row, "params") is not None:
        assert report.total_params == int(row["params"])
    present = {node.class_name for node in report.layers} | nested_class_names(report.root.config)
    assert classes_named(row["notable"]) <= present
    jsonschema.validate(json.loads(report.to_json()), json_schema())


@pytest.mark.parametrize(
    "row", corpus_params([row for row in ROWS if row["format"] in ("keras_weights", "keras_dir")])
)
def test_keras3_weights_in_the_corpus_count_what_h5py_counts(row):
    """Every weight a Keras 3 weights file holds for the model (its `optimizer` and
    `metrics` groups left out) is in the report, with its shape: the total is what
    h5py counts, and the report's weighted layers are the file's `vars` groups."""
    import h5py

    require_corpus()
    path = CORPUS / row["file"]
    weights_file = path / "model.weights.h5" if path.is_dir() else path
    sizes, groups = [], 0
    with h5py.File(weights_file, "r") as handle:

        def visit(name, obj):
            nonlocal groups
            # A key saved on Windows holds `\\` where others nest (`metrics\\mean`).
            if name.replace("\\", "/").split("/")[0] in ("optimizer", "metrics"):
                return
            if isinstance(obj, h5py.Dataset):
                sizes.append(obj.size)
            elif name.endswith("vars") and len(obj):
                groups += 1

        handle.visititems(visit)
    report = kerascope.inspect(path)
    assert report.total_params == sum(sizes) > 0
    assert sum(1 for node in report.nodes if node.weights) == groups
    assert not [f for f in report.findings if f.code == "WEIGHTS_MISMATCH"]


def test_every_corpus_file_through_the_cli(capsys):
    require_corpus()
    for row in ROWS:
        path = str(CORPUS / row["file"])
        code = main(["inspect", path, "--format", "json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert json.loads(out)["source"] == path
        assert_every_stage_ran(json.loads(out))


def test_corpus_reads_import_nothing_and_run_nothing(tmp_path):
    """Reading every corpus file (Lambda bytecode in three encodings among them)
    leaves no framework imported and nothing written."""
    require_corpus()
    paths = [CORPUS / row["file"] for row in ROWS]
    assert frameworks_imported_reading(paths, cwd=tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_weights_saved_on_windows_nest_like_slashes():
    """tf.keras 2.15 on Windows wrote `layers\\lstm` and `layers\\lstm\\cell` as two
    top-level keys: the cell is the LSTM's sublayer (the LSTMCell Keras names
    `lstm_cell`), with the LSTM's weights."""
    import io
    import zipfile

    import h5py

    require_corpus()
    path = CORPUS / "keras_v3" / "AidenCohen31__Fetch__model.keras"
    report = kerascope.inspect(path)
    assert not report.findings
    cell = report["lstm/lstm_cell"]
    assert cell.class_name == "LSTMCell" and cell.weights
    assert report["lstm"].total_params == cell.total_params
    sizes = []
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as handle:
        handle.visititems(
            lambda name, obj: (
                sizes.append(obj.size)
                if isinstance(obj, h5py.Dataset) and not name.startswith(("optimizer", "metrics"))
                else None
            )
        )
    assert report.total_params == sum(sizes) > 0
