"""diff: the same model across Keras versions diffs empty; every deliberate change
is reported once, at its path."""

from __future__ import annotations

import itertools
import json

import pytest

import kerascope
from kerascope.cli import main
from kerascope.examples import build_examples

from support.model_zoo import BUILDERS

ARCHITECTURES = [
    "two_dense",
    "custom_wrapper",
    "three_dense",
    *sorted(set(BUILDERS) - {"raising_config", "subclassed"}),
]


def build(keras, name):
    return BUILDERS[name](keras) if name in BUILDERS else build_examples(keras)[name]


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_tf_keras_h5_and_keras3_archive_diff_empty(keras3, tf_keras, tmp_path, name):
    build(tf_keras, name).save(tmp_path / "old.h5")
    build(keras3, name).save(tmp_path / "new.keras")
    result = kerascope.diff(tmp_path / "old.h5", tmp_path / "new.keras")
    assert result.same, [(layer.path, layer.status, layer.changes) for layer in result.layers]


def test_without_normalization_version_spelling_shows(keras3, tf_keras, tmp_path):
    build(tf_keras, "three_dense").save(tmp_path / "old.h5")
    build(keras3, "three_dense").save(tmp_path / "new.keras")
    raw = kerascope.diff(tmp_path / "old.h5", tmp_path / "new.keras", normalize=False)
    keys = {change.key for layer in raw.layers for change in layer.changes}
    assert {"batch_input_shape", "batch_shape"} <= keys


def test_auto_generated_names_do_not_make_a_difference(keras3):
    def unnamed():
        inputs = keras3.Input(shape=(5,))
        hidden = keras3.layers.Dense(4, activation="relu")(inputs)
        return keras3.Model(inputs, keras3.layers.Dense(2)(hidden))

    first, second = unnamed(), unnamed()
    assert first.layers[1].name != second.layers[1].name  # dense vs dense_2: Keras numbered them apart
    assert kerascope.diff(first, second).same


def _variant(
    keras, *, activation="relu", units=8, initializer="glorot_uniform", extra=False, drop_tail=False
):
    inputs = keras.Input(shape=(6,), name="features")
    hidden = keras.layers.Dense(units, activation=activation, kernel_initializer=initializer, name="hidden")(
        inputs
    )
    if extra:
        hidden = keras.layers.Dropout(0.5, name="inserted")(hidden)
    hidden = keras.layers.Dense(4, activation="relu", name="middle")(hidden)
    if not drop_tail:
        hidden = keras.layers.Dense(4, name="tail")(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(hidden), name="variant")


@pytest.fixture(scope="module")
def variants(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    built = {
        "base": _variant(keras3),
        "activation": _variant(keras3, activation="tanh"),
        "units": _variant(keras3, units=16),
        "initializer": _variant(keras3, initializer="he_normal"),
        "inserted": _variant(keras3, extra=True),
        "removed": _variant(keras3, drop_tail=True),
    }
    for name, model in built.items():
        model.save(folder / f"{name}.keras")
    return folder, built


def _summary(result):
    return [(layer.status, layer.path, [change.key for change in layer.changes]) for layer in result.layers]


def test_changed_activation_once_at_its_layer(variants):
    folder, _ = variants
    result = kerascope.diff(folder / "base.keras", folder / "activation.keras")
    assert _summary(result) == [("changed", "hidden", ["activation"])]
    change = result.layers[0].changes[0]
    assert (change.old, change.new) == ("relu", "tanh")


def test_changed_units_show_config_and_weight_shapes(variants):
    folder, _ = variants
    result = kerascope.diff(folder / "base.keras", folder / "units.keras")
    assert _summary(result) == [
        ("changed", "hidden", ["units", "weights[0]", "weights[1]"]),
        ("changed", "middle", ["weights[0]"]),
    ]
    assert result.a_params < result.b_params


def test_changed_initializer_is_a_nested_key(variants):
    folder, _ = variants
    result = kerascope.diff(folder / "base.keras", folder / "initializer.keras")
    assert _summary(result) == [("changed", "hidden", ["kernel_initializer.class_name"])]
    change = result.layers[0].changes[0]
    assert (change.old, change.new) == ("GlorotUniform", "HeNormal")


def test_inserted_layer_is_added_and_rewires_its_consumer(variants):
    folder, _ = variants
    result = kerascope.diff(folder / "base.keras", folder / "inserted.keras")
    assert ("added", "inserted", []) in _summary(result)
    middle = next(layer for layer in result.layers if layer.path == "middle")
    assert [change.key for change in middle.changes] == ["inbound"]
    assert len(result.layers) == 2


def test_removed_layer(variants):
    folder, _ = variants
    result = kerascope.diff(folder / "base.keras", folder / "removed.keras")
    assert ("removed", "tail", []) in _summary(result)
    assert [layer.path for layer in result.layers if layer.status == "changed"] == ["head"]


def test_file_against_live_model_mixed_freely(variants):
    folder, built = variants
    assert kerascope.diff(folder / "base.keras", built["base"]).same
    assert not kerascope.diff(built["base"], folder / "units.keras").same


def test_ignore_key(variants):
    folder, _ = variants
    assert kerascope.diff(folder / "base.keras", folder / "activation.keras", ignore=["activation"]).same
    result = kerascope.diff(
        folder / "base.keras", folder / "initializer.keras", ignore=["kernel_initializer"]
    )
    assert result.same


def test_cli_exit_codes_and_views(variants, capsys):
    folder, _ = variants
    base, changed = str(folder / "base.keras"), str(folder / "activation.keras")
    assert main(["diff", base, base]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["diff", base, changed]) == 1
    text = capsys.readouterr().out
    assert "~ hidden" in text and "activation: relu → tanh" in text
    assert main(["diff", base, changed, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["same"] is False and data["layers"][0]["changes"][0]["key"] == "activation"
    assert main(["diff", base, changed, "--format", "markdown"]) == 1
    assert "| ~ | `hidden` | Dense | `activation` | `relu` | `tanh` |" in capsys.readouterr().out
    assert main(["diff", base, changed, "--ignore", "activation"]) == 0
    capsys.readouterr()
    assert main(["diff", base, str(folder / "missing.keras")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1


def test_same_model_twice_in_corpus_diffs_empty():
    from support.corpus import CORPUS, require_corpus

    require_corpus()
    old = CORPUS / "h5_full/Abdallah4Z__Multi-Class-Prediction-of-Obesity-Risk__model.h5"
    new = CORPUS / "keras_v3/Abdallah4Z__Multi-Class-Prediction-of-Obesity-Risk__model.keras"
    assert kerascope.diff(old, new).same


# -- scale: the structural match is linear ---------------------------------------------
def _dense_chain(count, first, extra_at=None):
    """A report of a Sequential of Dense layers with the names Keras generates
    (`dense_<first>`, `dense_<first + 1>`, ...; Keras would take minutes to build
    one this long); with `extra_at`, a Dropout inserted there."""
    from kerascope.limits import Limits
    from kerascope.model.records import LayerNode, WeightInfo
    from kerascope.model.tree import LayerTree
    from kerascope.model.vocabulary import Format, Role

    root = LayerNode(path="", name="big", class_name="Sequential", role=Role.MODEL, config={"name": "big"})
    tree = LayerTree(root, Limits(max_layers=1_000_000))
    classes = ["Dense"] * count
    if extra_at is not None:
        classes.insert(extra_at, "Dropout")
    for index, class_name in enumerate(classes):
        weights = [WeightInfo("kernel", [2, 2], "float32")] if class_name == "Dense" else []
        name = f"{class_name.lower()}_{first + index}"
        config = {"name": name, "units": 2} if class_name == "Dense" else {"name": name, "rate": 0.5}
        tree.add(root, name, class_name=class_name, index=index, config=config, weights=weights)
    tree.sum_params()
    return tree.report(f"chain{first}.keras", Format.KERAS)


@pytest.mark.parametrize("count", [20_000])
def test_renamed_layers_of_a_huge_model_match_in_linear_time(count):
    """Every generated name differs, so every layer is matched by structure; before, difflib's
    matcher made that quadratic (20 000 layers: minutes). Timed against the same
    reports' JSON round trip, a linear baseline measured in this run."""
    import time

    from kerascope.model.records import ModelReport

    a, b = _dense_chain(count, 1), _dense_chain(count, count + 7, extra_at=count // 2)
    start = time.perf_counter()
    result = kerascope.diff(a, b)
    took = time.perf_counter() - start
    start = time.perf_counter()
    ModelReport.from_json(a.to_json())
    baseline = time.perf_counter() - start
    assert [(layer.status, layer.class_name) for layer in result.layers] == [("added", "Dropout")]
    assert took < 10 * baseline + 1


def test_linear_alignment_agrees_with_difflib_where_difflib_is_exact():
    """Past the size where difflib runs, the alignment still pairs equal keys in order,
    and pairs every key of a run that differs only by insertions."""
    import difflib

    from kerascope.analysis.diff import align

    left = ["Conv", "BN", "ReLU"] * 40 + ["Dense"]
    right = ["Conv", "BN", "ReLU"] * 20 + ["Dropout"] + ["Conv", "BN", "ReLU"] * 20 + ["Dense"]
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    exact = [(b.a + k, b.b + k) for b in matcher.get_matching_blocks() for k in range(b.size)]
    assert align(left, right) == exact
    big_left = ["Dense"] * 3000 + ["Softmax"]
    big_right = ["Dense"] * 1500 + ["Dropout"] + ["Dense"] * 1500 + ["Softmax"]
    pairs = align(big_left, big_right)
    assert len(pairs) == 3001 and all(big_left[i] == big_right[j] for i, j in pairs)
    assert all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in itertools.pairwise(pairs))
