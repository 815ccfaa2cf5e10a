"""The health of weights, read with `--values`: NaN and infinities (errors), tensors of
zeros or of one value where Keras's initializer gives neither, and scales a hundredfold
off their peers, each naming the layer and the weight; never where Keras's own
initializers put zeros or ones (biases, `beta`, `moving_mean`, `Zeros`, `Constant`,
`Ones`), never on a model Keras built, trained or saved as it is, in Keras 3 and tf_keras
files alike. Planted in models Keras builds in this run; NaN and infinities held to
h5py's arrays on every corpus file that stores values; README's NaN example is what the
command prints."""

from __future__ import annotations

import numpy as np
import pytest

import kerascope
from kerascope.cli import main

from support.corpus import CORPUS, corpus_params, corpus_rows, require_corpus
from support.value_truth import h5_arrays

HEALTH = {"NAN_WEIGHTS", "INF_WEIGHTS", "ZERO_WEIGHTS", "CONSTANT_WEIGHTS", "WEIGHT_SCALE_OUTLIER"}


def health(report) -> set[tuple[str, str | None, str]]:
    """(code, layer, weight) of each health finding."""
    return {
        (finding.code.value, finding.path, finding.message.split(":")[0])
        for finding in report.findings
        if finding.code.value in HEALTH
    }


def set_weight(layer, index: int, value: np.ndarray) -> None:
    layer.weights[index].assign(value)


def planted(keras):
    """Layers whose weights are set the way a bad save, a reset or a fill leaves them,
    beside layers whose initializers give exactly that."""
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(8, name="dead"),
            layers.Dense(8, kernel_initializer="zeros", name="zero_init"),
            layers.Dense(8, kernel_initializer=keras.initializers.Constant(0.0), name="constant_zero"),
            layers.Dense(8, name="filled"),
            layers.Dense(8, kernel_initializer=keras.initializers.Constant(0.5), name="constant_init"),
            layers.Dense(8, kernel_initializer="ones", name="ones_init"),
            layers.BatchNormalization(name="norm"),
            layers.BatchNormalization(name="silenced"),
            layers.LayerNormalization(name="layer_norm"),
            layers.Dense(3, name="broken"),
        ]
    )
    set_weight(model.get_layer("dead"), 0, np.zeros((6, 8), np.float32))
    set_weight(model.get_layer("filled"), 0, np.full((8, 8), 0.5, np.float32))
    set_weight(model.get_layer("silenced"), 0, np.zeros(8, np.float32))  # gamma
    kernel = np.asarray(model.get_layer("broken").weights[0].numpy())
    kernel[0, 0], kernel[1, 1], kernel[2, 2] = np.nan, np.nan, np.inf
    set_weight(model.get_layer("broken"), 0, kernel)
    return model


EXPECTED = {
    ("ZERO_WEIGHTS", "dead", "kernel"),
    ("CONSTANT_WEIGHTS", "filled", "kernel"),
    ("ZERO_WEIGHTS", "silenced", "gamma"),
    ("NAN_WEIGHTS", "broken", "kernel"),
    ("INF_WEIGHTS", "broken", "kernel"),
}


def test_planted_problems_and_nothing_else(keras3, tmp_path):
    model = planted(keras3)
    model.save(tmp_path / "model.keras")
    result = kerascope.check(tmp_path / "model.keras", values=True)
    assert health(result.report) == EXPECTED
    severities = {f.code.value: f.severity.value for f in result.findings if f.code.value in HEALTH}
    assert severities == {
        "ZERO_WEIGHTS": "warning",
        "CONSTANT_WEIGHTS": "warning",
        "NAN_WEIGHTS": "error",
        "INF_WEIGHTS": "error",
    }
    (nan,) = [f for f in result.findings if f.code.value == "NAN_WEIGHTS"]
    assert nan.message == "kernel: 2 of its 24 values are NaN" and nan.hint
    assert result.fails("error")
    assert not any(f.code.value in HEALTH for f in kerascope.check(tmp_path / "model.keras").findings)


def test_the_same_in_a_tf_keras_h5_and_the_command(tf_keras, tmp_path, capsys):
    """Keras 2's configs (initializers as `{"class_name", "config"}` without a module)
    are judged alike; `check --values` exits 1 on the errors, `inspect --values` lists them."""
    model = planted(tf_keras)
    model.save(tmp_path / "model.h5")
    assert health(kerascope.check(tmp_path / "model.h5", values=True).report) == EXPECTED
    assert main(["check", str(tmp_path / "model.h5")]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "model.h5"), "--values"]) == 1
    printed = capsys.readouterr().out
    assert "error   NAN_WEIGHTS  broken: kernel: 2 of its 24 values are NaN" in printed
    assert main(["inspect", str(tmp_path / "model.h5"), "--values"]) == 0
    printed = capsys.readouterr().out
    assert "warning ZERO_WEIGHTS silenced: gamma: all 8 values are zero" in printed
    assert "NaN" in printed.splitlines()[2]  # a column for the layers' NaN


def test_a_weights_file_without_config_is_judged_by_keras_defaults(tf_keras, tmp_path):
    """No config names the initializers (a legacy `save_weights` file): a `kernel` is
    Keras's Glorot default, a `gamma` its ones, a `bias` its zeros."""
    model = planted(tf_keras)
    model.save_weights(tmp_path / "weights.h5")
    found = health(kerascope.check(tmp_path / "weights.h5", values=True).report)
    assert {
        ("ZERO_WEIGHTS", "dead", "kernel"),
        ("ZERO_WEIGHTS", "silenced", "gamma"),
        ("NAN_WEIGHTS", "broken", "kernel"),
    } <= found
    assert not any(layer == "norm" or weight == "bias" for _, layer, weight in found)


def scaled_model(keras, scales: dict[str, float]):
    """Dense layers of very different fans (8 to 512 inputs), Glorot-initialized; the
    named layers' kernels multiplied."""
    layers = keras.layers
    widths = [512, 8, 256, 16, 128, 4]
    model = keras.Sequential(
        [keras.Input((32,)), *(layers.Dense(width, name=f"dense_{i}") for i, width in enumerate(widths))]
    )
    for name, scale in scales.items():
        layer = model.get_layer(name)
        set_weight(layer, 0, np.asarray(layer.weights[0].numpy()) * scale)
    return model


@pytest.mark.parametrize(
    ("scales", "outliers"),
    [
        ({}, set()),
        ({"dense_2": 10.0, "dense_4": 0.1}, set()),
        ({"dense_3": 1000.0}, {"dense_3"}),
        ({"dense_1": 1e-3}, {"dense_1"}),
        ({"dense_1": 300.0, "dense_4": 1e-3}, {"dense_1", "dense_4"}),
    ],
)
def test_scale_outliers_against_their_peers(keras3, tmp_path, scales, outliers):
    """Kernels of fans 8 to 512 start 8 times apart in RMS and are no outliers; tenfold
    is training, a hundredfold and more is an outlier."""
    scaled_model(keras3, scales).save(tmp_path / "model.keras")
    found = health(kerascope.check(tmp_path / "model.keras", values=True).report)
    assert found == {("WEIGHT_SCALE_OUTLIER", name, "kernel") for name in outliers}


def test_models_keras_builds_trains_and_saves_have_no_findings(keras3, zoo, tmp_path):
    for name in ("nested", "transformer", "recurrent", "multi_io", "custom_wrapper"):
        for writer in ("keras3.keras", "tf_keras.h5", "tf_keras.savedmodel"):
            _, path = zoo.saved(name, writer)
            assert health(kerascope.check(path, values=True).report) == set(), (name, writer)
    model = scaled_model(keras3, {})
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(256, 32)), rng.normal(size=(256, 4)), epochs=3, verbose=0)
    model.save(tmp_path / "trained.keras")
    assert health(kerascope.check(tmp_path / "trained.keras", values=True).report) == set()


def test_show_values_of_one_layer(keras3, tmp_path, capsys):
    from keras.src.saving import saving_lib

    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(2, name="dense")])
    model.save(tmp_path / "model.keras")
    assert main(["show", str(tmp_path / "model.keras"), "dense", "--values", "-f", "json"]) == 0
    kernel = __import__("json").loads(capsys.readouterr().out)["weights"][0]
    assert kernel["stats"]["count"] == 6
    assert kernel["stats"]["max"] == pytest.approx(float(np.max(model.get_layer("dense").kernel.numpy())))
    saving_lib.save_model(model, tmp_path / "npz.keras", weights_format="npz")
    assert main(["show", str(tmp_path / "npz.keras"), "dense", "--values"]) == 0
    captured = capsys.readouterr()
    assert "stats: null" in captured.out
    assert "never unpickles" in captured.err


# -- the corpus, and README's example ---------------------------------------------------
NANS = "h5_full/Gangaraj-13__deep_learning_assignment1__multi_output_model.h5"


HDF5_ROWS = [row for row in corpus_rows() if row["file"].endswith((".h5", ".hdf5"))]


@pytest.mark.parametrize("row", corpus_params(HDF5_ROWS))
def test_corpus_nan_and_inf_are_what_h5py_finds(row):
    """On every HDF5 corpus file: a weight has a NAN_WEIGHTS (INF_WEIGHTS) finding exactly
    when h5py finds NaN (infinities) in its dataset."""
    require_corpus()
    path = CORPUS / row["file"]
    report = kerascope.inspect(path, values=True)
    truth = h5_arrays(path)
    expected, found = set(), health(report)
    for node in report.nodes:
        for weight in node.weights:
            array = truth[weight.location.key]
            name = weight.name.rpartition("/")[2] if weight.name else None
            if array.dtype.kind == "f" and np.isnan(array).any():
                expected.add(("NAN_WEIGHTS", node.path, name))
            if array.dtype.kind == "f" and np.isinf(array).any():
                expected.add(("INF_WEIGHTS", node.path, name))
    assert {item for item in found if item[0] in ("NAN_WEIGHTS", "INF_WEIGHTS")} == expected
    assert bool(expected) == (row["file"] == NANS)
