"""check: layers that will not round-trip (live), and unsafe content in files
(static, with nothing in them ever run)."""

from __future__ import annotations

import json
import pickle
import re
import zipfile

import h5py
import pytest

import kerascope
from kerascope.cli import main

from support.corpus import CORPUS, corpus_params, corpus_rows, require_corpus
from support.hostile import hostile_keras1_json, hostile_keras2_h5, hostile_keras3
from support.model_zoo import bert_classifier, raising_config
from support.saved_files import layer_config, rewrite_config


def codes(result):
    return {(finding.code, finding.path) for finding in result.findings}


# -- live: layers that will not survive saving and loading ----------------------------
@pytest.fixture(scope="module")
def defective(keras3):
    layers = keras3.layers

    class Identity(layers.Layer):
        def call(self, inputs):
            return inputs

    class OmitsScale(Identity):
        def __init__(self, units, scale=2.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class DoublesUnits(Identity):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units * 2

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class TakesCallable(Identity):
        """No get_config, and an argument Keras's automatic config cannot serialize."""

        def __init__(self, function, **kwargs):
            super().__init__(**kwargs)
            self.function = function

    class HoldsObject(Identity):
        def get_config(self):
            return {**super().get_config(), "thing": object()}

    class NeedsArgument(Identity):
        def __init__(self, width, **kwargs):
            super().__init__(**kwargs)
            self.width = width

        def get_config(self):
            return {"name": self.name}

    @keras3.saving.register_keras_serializable(package="kerascope_tests")
    class Registered(Identity):
        pass

    inputs = keras3.Input(shape=(3,), name="x")
    parts = [
        OmitsScale(3, name="omits"),
        DoublesUnits(3, name="doubles"),
        TakesCallable(lambda t: t, name="callable"),
        HoldsObject(name="holds"),
        NeedsArgument(4, name="needs"),
        Registered(name="registered"),
    ]
    outputs = inputs
    for part in parts:
        outputs = part(outputs)
    return keras3.Model(inputs, outputs, name="defective")


def test_each_defect_found_at_its_layer(defective):
    found = codes(kerascope.check(defective))
    assert ("CONFIG_OMITS_ARGUMENTS", "omits") in found
    assert ("ROUND_TRIP_DIFFERS", "doubles") in found
    assert ("MISSING_GET_CONFIG", "callable") in found
    assert ("CONFIG_NOT_JSON", "holds") in found
    assert ("FROM_CONFIG_RAISES", "needs") in found
    assert ("CONFIG_OMITS_ARGUMENTS", "needs") in found
    assert ("UNREGISTERED_CLASS", "omits") in found
    assert not {code for code, path in found if path == "registered"}


def test_get_config_that_raises(keras3):
    result = kerascope.check(raising_config(keras3))
    assert ("GET_CONFIG_RAISES", "fragile") in codes(result)
    message = next(f.message for f in result.findings if f.path == "fragile")
    assert "RuntimeError: Fragile cannot describe itself" in message


def test_built_in_layers_round_trip_cleanly(keras3):
    model = keras3.applications.MobileNetV3Small(weights=None)
    assert kerascope.check(model).findings == []


def test_finds_a_raising_get_config_deep_inside_a_library_model(keras3):
    """A KerasHub model it has never seen: one hidden attention projection, deep in
    the backbone, carries a regularizer whose get_config raises."""

    class Penalty(keras3.regularizers.Regularizer):
        def __call__(self, weights):
            return 0.0

    classifier = bert_classifier()
    backbone = classifier.backbone
    attention = backbone.get_layer("transformer_layer_1")._self_attention_layer
    attention._query_dense.kernel_regularizer = Penalty()
    result = kerascope.check(classifier)
    raising = [f for f in result.findings if f.code == "GET_CONFIG_RAISES" and f.path.endswith("/query")]
    assert [f.path for f in raising] == [f"{backbone.name}/transformer_layer_1/self_attention_layer/query"]
    assert "does not implement get_config" in raising[0].message


# -- static: unsafe content, found without running anything ----------------------------
@pytest.fixture
def genuine(keras3, tmp_path):
    inputs = keras3.Input(shape=(4,), name="x")
    inner = keras3.Sequential([keras3.layers.Dense(3, name="deep")], name="nested")
    outputs = keras3.layers.Dense(2, name="head")(inner(inputs))
    path = tmp_path / "genuine.keras"
    keras3.Model(inputs, outputs, name="genuine").save(path)
    return path


SYSTEM_CALL = {"module": "os", "class_name": "function", "config": "system", "registered_name": "system"}


@pytest.mark.parametrize(
    ("edit", "code", "path"),
    [
        (
            lambda c: layer_config(c, "head")["config"].update(activation=SYSTEM_CALL),
            "FOREIGN_CALLABLE",
            "head",
        ),
        (
            lambda c: layer_config(c, "nested", "deep")["config"].update(activation=SYSTEM_CALL),
            "FOREIGN_CALLABLE",
            "nested/deep",
        ),
        (lambda c: c["config"].update(hook=SYSTEM_CALL), "FOREIGN_CALLABLE", ""),
        (
            lambda c: layer_config(c, "head")["config"].update(
                kernel_initializer={"module": "keras.utils", "class_name": "function", "config": "get_file"}
            ),
            "KERAS_GADGET",
            "head",
        ),
        (
            lambda c: layer_config(c, "head")["config"].update(
                activation={
                    "class_name": "function",
                    "config": "load_model",
                    "module": "keras.saving",
                    "safe_mode": False,
                }
            ),
            "SAFE_MODE_OFF",
            "head",
        ),
        (
            lambda c: layer_config(c, "head").update(
                class_name="TFSMLayer", config={"name": "head", "filepath": "/tmp/other_model"}
            ),
            "EXTERNAL_SAVEDMODEL",
            "head",
        ),
        (
            lambda c: layer_config(c, "head").update(
                class_name="StringLookup", config={"name": "head", "vocabulary": "/etc/passwd"}
            ),
            "VOCABULARY_FILE",
            "head",
        ),
        (
            lambda c: layer_config(c, "head").update(
                class_name="TorchModuleWrapper", config={"name": "head", "module": "gASV"}
            ),
            "PICKLED_TORCH_MODULE",
            "head",
        ),
        (lambda c: layer_config(c, "head").update(module="evil_package.layers"), "FOREIGN_MODULE", "head"),
        (
            lambda c: layer_config(c, "head")["config"].update(name="../../escape"),
            "SUSPICIOUS_LAYER_NAME",
            "head",
        ),
    ],
    ids=[
        "module-function",
        "module-function-nested",
        "module-function-top",
        "get_file",
        "safe_mode",
        "tfsmlayer",
        "vocabulary-file",
        "torch-pickle",
        "foreign-class",
        "name",
    ],
)
def test_unsafe_config_is_flagged(genuine, tmp_path, sentinel, capsys, edit, code, path):
    hostile = rewrite_config(genuine, tmp_path / "hostile.keras", edit)
    result = kerascope.check(hostile)
    assert (code, path) in codes(result), result.findings
    assert main(["check", str(hostile), "--format", "sarif"]) == (
        1 if code not in ("FOREIGN_MODULE", "SUSPICIOUS_LAYER_NAME") else 0
    )
    sarif = json.loads(capsys.readouterr().out)
    assert code in {entry["ruleId"] for entry in sarif["runs"][0]["results"]}


def test_pickled_and_duplicate_members(genuine, tmp_path, sentinel):
    class Payload:
        def __reduce__(self):
            return (open, (str(sentinel), "w"))

    hostile = tmp_path / "pickled.keras"
    with zipfile.ZipFile(genuine) as old, zipfile.ZipFile(hostile, "w") as new:
        for info in old.infolist():
            if info.filename != "model.weights.h5":
                new.writestr(info, old.read(info))
        new.writestr("model.weights.npz", pickle.dumps(Payload()))
        with pytest.warns(UserWarning, match="Duplicate name"):
            new.writestr("config.json", old.read("config.json"))
    found = {code for code, _ in codes(kerascope.check(hostile))}
    assert {"PICKLED_WEIGHTS", "ZIP_DUPLICATE_MEMBER"} <= found


def test_hdf5_external_link(keras3, tmp_path, sentinel):
    path = tmp_path / "linked.h5"
    keras3.Sequential([keras3.Input(shape=(2,)), keras3.layers.Dense(1)]).save(path)
    with h5py.File(path, "a") as handle:
        handle["model_weights/elsewhere"] = h5py.ExternalLink("/etc/passwd", "/secrets")
        handle["model_weights/alias"] = h5py.SoftLink("/model_weights")
    found = {code for code, _ in codes(kerascope.check(path))}
    assert {"H5_EXTERNAL_LINK", "H5_SOFT_LINK"} <= found


@pytest.mark.parametrize("generation", ["keras3", "keras2", "keras1"])
def test_lambda_bytecode_in_each_encoding(keras3, tf_keras, tmp_path, sentinel, generation):
    folder = tmp_path / "files"
    folder.mkdir()
    make = {
        "keras3": lambda: hostile_keras3(keras3, folder, sentinel),
        "keras2": lambda: hostile_keras2_h5(tf_keras, folder, sentinel),
        "keras1": lambda: hostile_keras1_json(folder, sentinel),
    }[generation]
    result = kerascope.check(make())
    lambdas = [f for f in result.findings if f.code == "LAMBDA_BYTECODE"]
    assert len(lambdas) == 1
    expected = {"keras3": "Keras 3 __lambda__", "keras2": "base64 marshal", "keras1": "raw marshal"}[
        generation
    ]
    assert expected in lambdas[0].message


def test_fail_on_threshold(genuine, capsys):
    assert main(["check", str(genuine)]) == 0
    assert "0 findings" in capsys.readouterr().out
    hostile = genuine.with_name("foreign.keras")
    rewrite_config(genuine, hostile, lambda c: layer_config(c, "head").update(module="evil_package.layers"))
    assert main(["check", str(hostile)]) == 0  # a warning only
    assert main(["check", str(hostile), "--fail-on", "warning"]) == 1
    capsys.readouterr()


def test_check_text_and_json_views(keras3, capsys):
    model_path = CORPUS / "h5_full/Ayush-Mi__Image-Similarity-Check__siamese_model.h5"
    require_corpus()
    assert main(["check", str(model_path)]) == 1
    text = capsys.readouterr().out
    assert "LAMBDA_BYTECODE  output_layer" in text and "fix:" in text
    assert main(["check", str(model_path), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["live"] is False
    assert {"LAMBDA_BYTECODE", "CUSTOM_CLASS"} <= {finding["code"] for finding in data["findings"]}


ROWS = corpus_rows()
FLAGGED = [row for row in ROWS if "Lambda" in row["notable"] or "custom/non-core layer" in row["notable"]]


def _custom_names(result) -> set[str]:
    """The names CUSTOM_CLASS findings quote (`'GarNet'`) or name (`Log1p is a custom class`)."""
    names = set()
    for finding in result.findings:
        if finding.code == "CUSTOM_CLASS":
            quoted = re.search(r"names '([^']+)'|class is '([^']+)'", finding.message)
            names.add(next(g for g in quoted.groups() if g) if quoted else finding.message.split()[0])
    return names


@pytest.mark.parametrize("row", corpus_params(FLAGGED))
def test_corpus_lambda_and_custom_classes_are_flagged(row):
    """Every custom class the manifest names is flagged in every format, Keras 1/2 files
    (whose configs name no module) included, at the layer that holds it."""
    require_corpus()
    result = kerascope.check(CORPUS / row["file"])
    found = {finding.code for finding in result.findings}
    if "Lambda" in row["notable"]:
        assert "LAMBDA_BYTECODE" in found
    match = re.search(r"custom/non-core layer ([A-Za-z0-9_,]+)", row["notable"])
    if match is None:
        return
    named = set(match.group(1).split(","))
    if row["format"] == "keras_v3":  # a module-qualified class: flagged by its module or registration
        assert found & {"FOREIGN_MODULE", "CUSTOM_CLASS"}
    else:
        assert named <= _custom_names(result), result.findings


def test_no_corpus_file_flags_a_keras_name(tf_keras, keras3):
    """Across the corpus, every name called custom is one the live Keras refuses: the
    legacy loader of tf_keras (layers, losses, metrics) and Keras 3's registry."""
    require_corpus()
    from tf_keras.src import losses, metrics

    flagged = {}
    for row in ROWS:
        try:
            result = kerascope.check(CORPUS / row["file"])
        except kerascope.KerascopeError:
            continue
        for name in _custom_names(result):
            flagged.setdefault(name, row["file"])
    assert {"GarNet", "FixedPointQuantizer", "ResNet"} <= set(flagged)
    for name, file in flagged.items():
        with pytest.raises(ValueError, match="Unknown"):
            tf_keras.layers.deserialize({"class_name": name, "config": {}}, use_legacy_format=True)
        assert name not in losses.__dict__ and name not in metrics.__dict__, (name, file)
        assert keras3.saving.get_registered_object(name) is None
        assert not hasattr(keras3.layers, name) and not hasattr(keras3.losses, name), (name, file)


@pytest.fixture(scope="module")
def built_in_files(tf_keras, keras3, tmp_path_factory):
    """Models with only Keras's own classes, saved by Keras in this run: nested objects
    (regularizers, constraints, initializers, schedules, wrapped layers, activation
    layers) and a training_config with optimizer, loss and metrics."""
    folder = tmp_path_factory.mktemp("built_in")
    paths = []
    for name, keras in (("tf_keras", tf_keras), ("keras3", keras3)):
        layers = keras.layers
        inputs = keras.Input(shape=(6, 4), name="x")
        hidden = layers.TimeDistributed(
            layers.Dense(
                5,
                activation="selu",
                kernel_initializer="he_normal",
                kernel_regularizer=keras.regularizers.l2(0.01),
                kernel_constraint=keras.constraints.MaxNorm(2.0),
                name="inner",
            ),
            name="timed",
        )(inputs)
        hidden = layers.Bidirectional(layers.LSTM(3, recurrent_activation="hard_sigmoid"), name="bi")(hidden)
        hidden = layers.BatchNormalization(name="norm")(layers.LeakyReLU(name="leaky")(hidden))
        outputs = layers.Dense(2, activation="softmax", name="head")(hidden)
        model = keras.Model(inputs, outputs, name=f"built_in_{name}")
        schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 100, 0.9)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=schedule),
            loss="categorical_crossentropy",
            metrics=["accuracy", keras.metrics.AUC(name="auc")],
        )
        for suffix in (".h5", ".keras"):
            path = folder / f"{name}{suffix}"
            model.save(path)
            paths.append(path)
        path = folder / f"{name}.json"
        path.write_text(model.to_json())
        paths.append(path)
    return paths


def test_files_keras_saved_with_built_in_classes_have_no_custom_class(built_in_files):
    for path in built_in_files:
        result = kerascope.check(path)
        assert [f for f in result.findings if f.code == "CUSTOM_CLASS"] == [], path.name
    legacy = kerascope.inspect(next(p for p in built_in_files if p.name == "tf_keras.h5"))
    assert (
        legacy.training_config["optimizer_config"]["config"]["learning_rate"]["class_name"]
        == "ExponentialDecay"
    )


def test_custom_objects_in_a_keras2_file_are_flagged(tf_keras, tmp_path):
    """A tf_keras model whose custom layer, initializer, activation function, quantizer-
    like object and loss Keras stores by name only: each is flagged where it sits."""
    layers = tf_keras.layers

    class ScaledInit(tf_keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return tf_keras.backend.ones(shape, dtype=dtype)

        def get_config(self):
            return {}

    class BinaryDense(layers.Dense):
        def get_config(self):
            quantizer = {"class_name": "quantized_bits", "config": {"bits": 2}}
            return {**super().get_config(), "kernel_quantizer": quantizer}

    def wavy(x):
        return x

    def my_loss(y_true, y_pred):
        return tf_keras.backend.mean(y_pred - y_true)

    inputs = tf_keras.Input(shape=(3, 4), name="x")
    hidden = layers.TimeDistributed(BinaryDense(2, name="binary"), name="timed")(inputs)
    outputs = layers.Dense(1, activation=wavy, kernel_initializer=ScaledInit(), name="head")(hidden)
    model = tf_keras.Model(inputs, outputs, name="custom")
    model.compile(optimizer="sgd", loss=my_loss)
    path = tmp_path / "custom.h5"
    model.save(path)
    with h5py.File(path) as handle:  # the truth: what Keras itself stored
        stored = json.loads(handle.attrs["model_config"])
        training = json.loads(handle.attrs["training_config"])
    layers_stored = {layer["name"]: layer for layer in stored["config"]["layers"]}
    quantizer = layers_stored["timed"]["config"]["layer"]["config"]["kernel_quantizer"]
    assert quantizer["class_name"] == "quantized_bits" and "module" not in quantizer
    assert training["loss"] == "my_loss"
    # tf_keras 2.21 stores these two with their module: judged by that module instead.
    assert layers_stored["head"]["config"]["kernel_initializer"]["module"] == "test_check"
    assert layers_stored["head"]["config"]["activation"]["module"] == "builtins"

    findings = kerascope.check(path).findings
    custom = {(f.path, name) for f in findings if f.code == "CUSTOM_CLASS" for name in _names_in(f)}
    assert custom == {("timed", "quantized_bits"), ("", "my_loss")}
    assert {("head", "FOREIGN_MODULE"), ("head", "FOREIGN_CALLABLE")} <= {(f.path, f.code) for f in findings}
    loss = next(f for f in findings if f.code == "CUSTOM_CLASS" and f.path == "")
    assert "training_config.loss" in loss.message and "loss" in loss.message


def _names_in(finding) -> set[str]:
    return _custom_names(type("Result", (), {"findings": [finding]}))
