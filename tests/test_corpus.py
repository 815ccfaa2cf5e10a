"""Every file of the real-world corpus: a correct report, or a true one-line reason."""

from __future__ import annotations

import json

import jsonschema
import pytest

import kerascope
from kerascope.cli import main
from kerascope.model.records import json_schema

from support.corpus import CORPUS, classes_named, corpus_params, corpus_rows, require_corpus
from support.fresh_process import frameworks_imported_reading

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


# Files that cannot give a report, and the reason that is true of each.
UNREADABLE = {
    # git stripped carriage returns from this binary file, so protobuf length prefixes overshoot
    "savedmodel/ChengEn-Tsai__NeuralNetworkTrainer__trained_model": "keras_metadata.pb is not a valid protobuf message",
}


@pytest.mark.parametrize("row", corpus_params(ROWS))
def test_corpus_file(row):
    require_corpus()
    path = CORPUS / row["file"]
    if row["file"] in UNREADABLE:
        with pytest.raises(kerascope.KerascopeError, match=UNREADABLE[row["file"]]) as raised:
            kerascope.inspect(path)
        assert str(path) in str(raised.value) and "\n" not in str(raised.value)
        return
    report = kerascope.inspect(path)
    top = report.children(report.root)
    stored = [node for node in top if node.origin.get("structure") != "weights"]
    if row["format"] == "h5_weights":
        assert report.root.class_name is None
        assert len(top) == int(row["n_top_layers"])
        assert all(node.class_name is None for node in top)
    else:
        assert report.root.class_name == row["top_class_name"]
        assert len(stored) == int(row["n_top_layers"])
    if row["keras_version"] != "-":
        assert report.keras_version == row["keras_version"]
    present = {node.class_name for node in report.layers} | nested_class_names(report.root.config)
    assert classes_named(row["notable"]) <= present
    jsonschema.validate(json.loads(report.to_json()), json_schema())


def test_every_corpus_file_through_the_cli(capsys):
    require_corpus()
    for row in ROWS:
        path = str(CORPUS / row["file"])
        code = main(["inspect", path, "--format", "json"])
        out, err = capsys.readouterr()
        if row["file"] in UNREADABLE:
            assert code == 2 and out == "" and err.count("\n") == 1 and path in err
        else:
            assert code == 0, err
            assert json.loads(out)["source"] == path


def test_corpus_reads_import_nothing_and_run_nothing(tmp_path):
    """Reading every corpus file (Lambda bytecode in three encodings among them)
    leaves no framework imported and nothing written."""
    require_corpus()
    paths = [CORPUS / row["file"] for row in ROWS]
    expected_errors = {CORPUS / name: message for name, message in UNREADABLE.items()}
    assert frameworks_imported_reading(paths, cwd=tmp_path, expected_errors=expected_errors) == []
    assert list(tmp_path.iterdir()) == []
