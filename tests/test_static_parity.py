"""Static reads of files Keras saved in this test run, against the live reports of
the models that saved them: the same paths, classes, configs, links and weights
wherever the file stores them, and `None` where it does not."""

from __future__ import annotations

import pytest

import kerascope
from fresh_process import frameworks_imported_reading
from kerascope.examples import build_examples
from parity import assert_static_matches_live

from model_zoo import BUILDERS, bert_classifier

SAVEABLE = sorted(set(BUILDERS) - {"raising_config"})


def _models(keras):
    models = dict(build_examples(keras))
    models.update({name: BUILDERS[name](keras) for name in SAVEABLE})
    return models


@pytest.fixture(scope="module")
def keras3_files(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras3")
    saved = {}
    for name, model in _models(keras3).items():
        model.save(folder / f"{name}.keras")
        saved[name] = (model, folder / f"{name}.keras")
    return saved


@pytest.fixture(scope="module")
def tf_keras_files(tf_keras, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tf_keras")
    saved = {}
    for name, model in _models(tf_keras).items():
        if name == "subclassed":
            continue  # a subclassed tf_keras model saves only as a SavedModel without a config
        model.save(folder / f"{name}.h5")
        model.save(folder / f"{name}_savedmodel", save_format="tf")
        (folder / f"{name}.json").write_text(model.to_json())
        saved[name] = (model, folder)
    return saved


@pytest.mark.parametrize("name", ["two_dense", "custom_wrapper", "three_dense", *SAVEABLE])
def test_keras_archive_matches_live(keras3_files, name):
    model, path = keras3_files[name]
    static, live = kerascope.inspect(path), kerascope.inspect(model)
    assert static.format == "keras"
    # A hidden Sequential's own InputLayer has no weights group: the file does not show it.
    assert_static_matches_live(static, live, same_paths=name != "subclassed")


@pytest.mark.parametrize(
    "name", ["two_dense", "custom_wrapper", "three_dense", *sorted(set(SAVEABLE) - {"subclassed"})]
)
def test_legacy_h5_from_tf_keras_matches_live(tf_keras_files, name):
    model, folder = tf_keras_files[name]
    static, live = kerascope.inspect(folder / f"{name}.h5"), kerascope.inspect(model)
    assert static.format == "h5"
    assert static.keras_version == live.keras_version
    # Legacy HDF5 shows a hidden sublayer only through its weights' names: the
    # weightless ones (softmax, dropout) and a TimeDistributed's inner layer are not in it.
    assert_static_matches_live(static, live, same_paths=name not in ("recurrent", "transformer"))


@pytest.mark.parametrize(
    "name",
    [
        "two_dense",
        "custom_wrapper",
        "three_dense",
        "nested",
        "transformer",
        "recurrent",
        "shared",
        "multi_io",
    ],
)
def test_savedmodel_matches_live(tf_keras_files, name):
    model, folder = tf_keras_files[name]
    static, live = kerascope.inspect(folder / f"{name}_savedmodel"), kerascope.inspect(model)
    assert static.format == "savedmodel"
    assert static.total_params == model.count_params()
    assert static.findings == []
    assert_static_matches_live(static, live, legacy_style=True)


@pytest.mark.parametrize("name", ["two_dense", "nested", "shared", "multi_io"])
def test_to_json_matches_live(tf_keras_files, name):
    model, folder = tf_keras_files[name]
    static, live = kerascope.inspect(folder / f"{name}.json"), kerascope.inspect(model)
    assert static.format == "json"
    assert_static_matches_live(static, live, weights=False)


def test_keras3_legacy_h5_writer(keras3, tmp_path):
    model = BUILDERS["nested"](keras3)
    model.save(tmp_path / "nested.h5")
    static, live = kerascope.inspect(tmp_path / "nested.h5"), kerascope.inspect(model)
    assert static.keras_version == keras3.__version__
    assert_static_matches_live(static, live, same_paths=False, legacy_style=True)


def test_hidden_sublayers_of_a_transformer_block(keras3_files):
    model, path = keras3_files["transformer"]
    report = kerascope.inspect(path)
    attention = model.get_layer("block").attention
    for projection in ("query", "key", "value"):
        node = report[f"block/attention/{projection}"]
        assert node.class_name is None, "the class of a hidden sublayer is not in the file"
        assert node.config is None and node.config_error.startswith("not stored in the file")
        keras_layer = getattr(attention, f"_{projection}_dense")
        assert [w.shape for w in node.weights] == [list(w.shape) for w in keras_layer.weights]
    assert report["block"].class_name == "TransformerBlock"
    assert report["block"].trainable_params is None, "the file does not record which variables train"


def test_wrapper_sublayer_class_comes_from_the_wrappers_config(keras3_files):
    _, path = keras3_files["recurrent"]
    report = kerascope.inspect(path)
    assert report["timed/per_step"].class_name == "Dense"
    assert report["timed/per_step"].origin["config"] == "config"
    assert report["bi/forward_lstm/lstm_cell"].class_name is None


def test_kerashub_backbone_every_internal_layer(keras3, tmp_path):
    classifier = bert_classifier()
    backbone = classifier.backbone
    classifier.save(tmp_path / "bert.keras")
    static, live = kerascope.inspect(tmp_path / "bert.keras"), kerascope.inspect(classifier)
    assert_static_matches_live(static, live)
    query = static[f"{backbone.name}/transformer_layer_1/self_attention_layer/query"]
    assert query.total_params == live[query.path].total_params > 0


def test_static_reads_import_no_framework(keras3_files, tf_keras_files, tmp_path):
    """In a fresh interpreter, reading every kind of file leaves no framework imported."""
    files = [str(path) for _, path in keras3_files.values()]
    for name, (_, folder) in tf_keras_files.items():
        files += [
            str(folder / f"{name}.h5"),
            str(folder / f"{name}_savedmodel"),
            str(folder / f"{name}.json"),
        ]
    assert frameworks_imported_reading(files) == []


def test_load_walks_the_model_keras_loads(keras3_files):
    model, path = keras3_files["recurrent"]
    loaded = kerascope.inspect(path, load=True)
    assert loaded.format == "live"
    cell = "bi/forward_lstm/lstm_cell"
    assert kerascope.inspect(path)[cell].class_name is None
    assert loaded[cell].class_name == "LSTMCell"
    assert loaded[cell].config == kerascope.inspect(model)[cell].config


def test_load_uses_the_keras_2_loader_where_keras_3_cannot(tf_keras_files):
    model, folder = tf_keras_files["nested"]
    live = kerascope.inspect(model)
    for target in (folder / "nested_savedmodel", folder / "nested.json"):
        loaded = kerascope.inspect(target, load=True)
        assert loaded.format == "live"
        assert {node.path for node in loaded.nodes} == {node.path for node in live.nodes}


def test_load_failure_is_one_line(keras3_files, capsys):
    from kerascope.cli import main

    _, path = keras3_files["transformer"]  # its custom class is not importable by Keras
    assert main(["inspect", str(path), "--load"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Keras could not load it" in err
