"""Static reads of files Keras saved in this test run, against the live reports of
the models that saved them: every fact each format stores, equal to the live one
(`support/parity.py` declares what each stores and what it cannot show)."""

from __future__ import annotations

import pytest

import kerascope
from kerascope.model import Format

from support.fresh_process import frameworks_imported_reading
from support.model_zoo import bert_classifier
from support.parity import STORES, assert_static_matches_live, held_weights
from support.saved_files import SAVEABLE, TF_KERAS_SAVEABLE, WRITERS

CASES = [
    ("keras3.keras", Format.KERAS, SAVEABLE),
    ("keras3.h5", Format.H5, TF_KERAS_SAVEABLE),
    ("tf_keras.h5", Format.H5, TF_KERAS_SAVEABLE),
    ("tf_keras.savedmodel", Format.SAVEDMODEL, TF_KERAS_SAVEABLE),
    ("tf_keras.json", Format.JSON, TF_KERAS_SAVEABLE),
    ("tf_keras.tfjs", Format.TFJS, TF_KERAS_SAVEABLE),
]


@pytest.mark.parametrize(
    ("writer", "fmt", "name"),
    [(writer, fmt, name) for writer, fmt, names in CASES for name in names],
)
def test_every_stored_fact_equals_keras(zoo, writer, fmt, name):
    model, path = zoo.saved(name, writer)
    static, live = kerascope.inspect(path), kerascope.inspect(model)
    assert static.format == fmt
    assert static.keras_version == live.keras_version or (fmt == Format.JSON and static.keras_version is None)
    assert_static_matches_live(static, live)


@pytest.mark.parametrize("name", TF_KERAS_SAVEABLE)
def test_legacy_weights_only_file_holds_what_each_layer_holds(zoo, name):
    """A legacy `save_weights` HDF5 file has no config: only groups named after the
    top-level layers, and weight names scoped inside them. Each top-level layer that
    holds weights is there with exactly the weights (shape, dtype) Keras gives it and
    everything below it; the file does not say how sublayers nest, so they are not
    compared one by one."""
    model, path = zoo.saved(name, "tf_keras.weights.h5")
    static, live = kerascope.inspect(path), kerascope.inspect(model)
    assert static.format == Format.H5_WEIGHTS
    assert static.root.class_name is None
    weighted = [node for node in live.children(live.root) if held_weights(node, live)]
    assert weighted, "every zoo model holds weights"
    for node in weighted:
        twin = static[node.path]
        assert twin.class_name is None, node.path
        assert held_weights(twin, static) == held_weights(node, live), node.path
    assert static.total_params == model.count_params()


def test_every_format_declares_what_it_stores():
    """A format added to the readers is added to the parity declarations too."""
    read_from_files = {fmt for _, fmt, _ in CASES}
    assert read_from_files <= set(STORES)
    assert {WRITERS[writer].package for writer, _, _ in CASES} == {"keras", "tf_keras"}


def test_hidden_sublayers_of_a_transformer_block(zoo):
    model, path = zoo.saved("transformer", "keras3.keras")
    report = kerascope.inspect(path)
    attention = model.get_layer("block").attention
    for projection in ("query", "key", "value"):
        node = report[f"block/attention/{projection}"]
        assert node.class_name is None, "the class of a hidden sublayer is not in the file"
        assert node.config is None and node.config_error.startswith("not stored in the file")
        keras_layer = getattr(attention, f"_{projection}_dense")
        assert [w.shape for w in node.weights] == [list(w.shape) for w in keras_layer.weights]
    assert report["block"].class_name == type(model.get_layer("block")).__name__
    assert report["block"].trainable_params is None, "the file does not record which variables train"


def test_wrapper_sublayer_class_comes_from_the_wrappers_config(zoo):
    """A wrapper's inner layer has the class its config stores; the cell Keras's LSTM
    creates has the class Keras's code gives it (a derived fact)."""
    model, path = zoo.saved("recurrent", "keras3.keras")
    report = kerascope.inspect(path)
    inner = model.get_layer("timed").layer
    assert report["timed/per_step"].class_name == type(inner).__name__
    assert report["timed/per_step"].origin["config"] == "config"
    cell = report["bi/forward_lstm/lstm_cell"]
    assert cell.class_name == type(model.get_layer("bi").forward_layer.cell).__name__
    assert cell.origin["class"] == "derived"


def test_kerashub_backbone_every_internal_layer(keras3, tmp_path):
    classifier = bert_classifier()
    backbone = classifier.backbone
    classifier.save(tmp_path / "bert.keras")
    static, live = kerascope.inspect(tmp_path / "bert.keras"), kerascope.inspect(classifier)
    assert_static_matches_live(static, live)
    query = static[f"{backbone.name}/transformer_layer_1/self_attention_layer/query"]
    keras_query = backbone.get_layer("transformer_layer_1")._self_attention_layer._query_dense
    assert query.total_params == keras_query.count_params() > 0


def test_static_reads_import_no_framework(zoo):
    """In a fresh interpreter, reading every kind of file leaves no framework
    imported; and every read gives a report (none fails early)."""
    paths = [zoo.saved(name, writer)[1] for writer, _, names in CASES for name in names[:3]]
    paths.append(zoo.saved("nested", "tf_keras.weights.h5")[1])
    assert frameworks_imported_reading(paths) == []


def test_load_walks_the_model_keras_loads(zoo):
    model, path = zoo.saved("recurrent", "keras3.keras")
    loaded = kerascope.inspect(path, load=True)
    assert loaded.format == "live"
    cell = "bi/forward_lstm/lstm_cell"
    assert kerascope.inspect(path)[cell].config is None, "the file does not store a cell's config"
    assert loaded[cell].class_name == type(model.get_layer("bi").forward_layer.cell).__name__
    assert loaded[cell].config == kerascope.inspect(model)[cell].config


@pytest.mark.parametrize("writer", ["tf_keras.savedmodel", "tf_keras.json", "tf_keras.h5"])
def test_load_picks_the_loader_of_the_keras_that_wrote_the_file(zoo, writer):
    model, path = zoo.saved("recurrent", writer)
    loaded = kerascope.inspect(path, load=True)
    live = kerascope.inspect(model)
    assert loaded.format == "live" and loaded.keras_version == live.keras_version
    assert {node.path for node in loaded.nodes} == {node.path for node in live.nodes}


def test_load_failure_is_one_line(zoo, capsys):
    from kerascope.cli import main

    _, path = zoo.saved("transformer", "keras3.keras")  # its custom class is not importable by Keras
    assert main(["inspect", str(path), "--load"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Keras could not load it" in err
