"""Every unsafe pattern a loader has been tricked by, found at any depth, in the Keras 2
and Keras 3 encodings: each file starts as one Keras wrote in this run and is then
edited as an attacker would, and `check` must exit 1 naming exactly what it found.
Nothing in these files ever runs (a sentinel file proves it)."""

from __future__ import annotations

import base64
import json
import marshal
import pickle

import h5py
import pytest

import kerascope
from kerascope.cli import main

from support.hostile import payload_base64, payload_code
from support.saved_files import rewrite_config


@pytest.fixture(scope="module")
def wrapped_keras3(keras3, tmp_path_factory):
    """TimeDistributed(Sequential([Lambda])) saved by Keras 3: a Lambda two wrappers deep."""
    inner = keras3.Sequential([keras3.layers.Lambda(lambda t: t * 2.0, name="double")], name="inner")
    inputs = keras3.Input(shape=(3, 2), name="x")
    outputs = keras3.layers.TimeDistributed(inner, name="timed")(inputs)
    model = keras3.Model(inputs, keras3.layers.Dense(1, name="head")(outputs), name="wrapped")
    path = tmp_path_factory.mktemp("wrapped") / "wrapped.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def wrapped_keras2(tf_keras, tmp_path_factory):
    """The same model saved by tf_keras as legacy HDF5 (Lambda bytecode in base64 lists)."""
    inner = tf_keras.Sequential(
        [tf_keras.layers.Lambda(lambda t: t * 2.0, name="double", input_shape=(2,))], name="inner"
    )
    inputs = tf_keras.Input(shape=(3, 2), name="x")
    outputs = tf_keras.layers.TimeDistributed(inner, name="timed")(inputs)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1, name="head")(outputs), name="wrapped")
    path = tmp_path_factory.mktemp("wrapped2") / "wrapped.h5"
    model.save(path)
    return path


def edit_h5(source, target, edit, attribute="model_config"):
    target.write_bytes(source.read_bytes())
    with h5py.File(target, "a") as handle:
        config = json.loads(handle.attrs[attribute]) if attribute in handle.attrs else {}
        edit(config)
        handle.attrs[attribute] = json.dumps(config)
    return target


def the_lambda(config):
    """The Lambda's serialized object inside TimeDistributed -> Sequential."""
    timed = next(entry for entry in config["config"]["layers"] if entry["config"]["name"] == "timed")
    return timed["config"]["layer"]["config"]["layers"][-1]


def found(path):
    result = kerascope.check(path)
    return result, {(f.code.value, f.path) for f in result.findings}


def check_exits(path, capsys):
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    return code


def test_bytecode_two_wrappers_deep_keras3(wrapped_keras3, sentinel, capsys):
    _, codes = found(wrapped_keras3)
    assert ("LAMBDA_BYTECODE", "timed") in codes
    assert check_exits(wrapped_keras3, capsys) == 1


def test_bytecode_two_wrappers_deep_keras2(wrapped_keras2, sentinel, capsys):
    result, codes = found(wrapped_keras2)
    assert ("LAMBDA_BYTECODE", "timed") in codes
    assert any("base64 marshal" in f.message for f in result.findings if f.code == "LAMBDA_BYTECODE")
    assert check_exits(wrapped_keras2, capsys) == 1


OS_SYSTEM = {"class_name": "function", "module": "os", "config": "system", "registered_name": "system"}


@pytest.mark.parametrize(
    ("function", "code"),
    [
        (OS_SYSTEM, "FOREIGN_CALLABLE"),
        (
            {"class_name": "function", "module": "keras.src.utils.file_utils", "config": "rmtree"},
            "KERAS_GADGET",
        ),
        ({"class_name": "function", "module": "keras.utils", "config": "get_file"}, "KERAS_GADGET"),
        ({"class_name": "function", "module": "keras.utils", "config": "load_img"}, "KERAS_GADGET"),
        (
            {"class_name": "function", "module": "keras.src.utils.python_utils", "config": "func_load"},
            "KERAS_GADGET",
        ),
        ({"class_name": "function", "module": "shutil", "config": "rmtree"}, "FOREIGN_CALLABLE"),
        (
            {"class_name": "function", "module": "keras.src.utils.file_utils", "config": "copy"},
            "KERAS_GADGET",
        ),
    ],
    ids=["os.system", "file_utils.rmtree", "get_file", "load_img", "func_load", "shutil.rmtree", "copy"],
)
def test_a_lambda_function_reference_outside_keras_or_a_gadget(
    wrapped_keras3, tmp_path, sentinel, capsys, function, code
):
    path = rewrite_config(
        wrapped_keras3, tmp_path / "ref.keras", lambda c: the_lambda(c)["config"].update(function=function)
    )
    result, codes = found(path)
    assert (code, "timed") in codes, result.findings
    assert check_exits(path, capsys) == 1


def test_keras2_bare_base64_function_and_bytecode_output_shape(wrapped_keras2, tmp_path, sentinel, capsys):
    def edit(config):
        lambda_config = the_lambda(config)["config"]
        lambda_config.update(function=payload_base64(sentinel), function_type="lambda")
        lambda_config.update(output_shape=[payload_base64(sentinel), None, None], output_shape_type="lambda")

    path = edit_h5(wrapped_keras2, tmp_path / "bare.h5", edit)
    result, _ = found(path)
    where = sorted(f.message.split(":")[0] for f in result.findings if f.code == "LAMBDA_BYTECODE")
    assert (
        where
        == [
            "config.layer.config.layers[0].config.function",
            "config.layer.config.layers[0].config.output_shape",
        ]
        or len(where) == 2
    ), where
    assert all(f.severity == "error" for f in result.findings if f.code == "LAMBDA_BYTECODE")
    assert check_exits(path, capsys) == 1


def test_a_foreign_reference_150_levels_deep(wrapped_keras3, tmp_path, sentinel, capsys):
    def edit(config):
        deep = OS_SYSTEM
        for _ in range(140):  # with the layers around it, about 150 levels: under the JSON depth limit of 200
            deep = {"wrapped": deep}
        the_lambda(config)["config"]["arguments"] = deep

    path = rewrite_config(wrapped_keras3, tmp_path / "deep.keras", edit)
    _, codes = found(path)
    assert ("FOREIGN_CALLABLE", "timed") in codes
    assert check_exits(path, capsys) == 1


def test_a_loss_naming_os_system_in_compile_config(keras3, tmp_path, sentinel, capsys):
    model = keras3.Sequential([keras3.Input(shape=(2,)), keras3.layers.Dense(1, name="d")], name="s")
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "compiled.keras")
    path = rewrite_config(
        tmp_path / "compiled.keras",
        tmp_path / "loss.keras",
        lambda c: c["compile_config"].update(loss=OS_SYSTEM),
    )
    result, codes = found(path)
    assert ("FOREIGN_CALLABLE", "") in codes
    assert any("training_config.loss" in f.message for f in result.findings)
    assert check_exits(path, capsys) == 1


def test_a_metric_naming_get_file_in_training_config(tf_keras, tmp_path, sentinel, capsys):
    model = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(2,), name="d")], name="s")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.save(tmp_path / "compiled.h5")
    gadget = {"class_name": "function", "module": "keras.utils", "config": "get_file"}
    path = edit_h5(
        tmp_path / "compiled.h5",
        tmp_path / "metric.h5",
        lambda c: c.update(metrics=[gadget]),
        attribute="training_config",
    )
    _, codes = found(path)
    assert ("KERAS_GADGET", "") in codes
    assert check_exits(path, capsys) == 1


def test_a_torch_module_pickle_names_what_it_imports(wrapped_keras3, tmp_path, sentinel, capsys):
    class Payload:
        def __reduce__(self):
            return (open, (str(sentinel), "w"))

    payload = base64.b64encode(pickle.dumps(Payload())).decode()

    def edit(config):
        head = next(entry for entry in config["config"]["layers"] if entry["config"]["name"] == "head")
        head.update(class_name="TorchModuleWrapper", config={"name": "head", "module": payload})

    path = rewrite_config(wrapped_keras3, tmp_path / "torch.keras", edit)
    result, _ = found(path)
    torch = [f for f in result.findings if f.code == "PICKLED_TORCH_MODULE"]
    assert len(torch) == 1 and torch[0].message.endswith("imports io.open")
    assert check_exits(path, capsys) == 1


def test_the_payloads_are_real(tmp_path):
    """The bytecode these files carry really would write the sentinel, if run."""
    import types

    sentinel = tmp_path / "sentinel"
    types.FunctionType(marshal.loads(base64.b64decode(payload_base64(sentinel))), {"open": open})(1)
    assert sentinel.exists() and payload_code(sentinel).co_name == "<lambda>"


def test_diff_sees_a_module_that_moves_out_of_keras(keras3, tmp_path, capsys):
    model = keras3.Sequential([keras3.Input(shape=(2,)), keras3.layers.Dense(1, name="d")], name="s")
    model.save(tmp_path / "a.keras")

    def edit(config):
        config["config"]["layers"][-1]["module"] = "evil_pkg.layers"

    rewrite_config(tmp_path / "a.keras", tmp_path / "b.keras", edit)
    for extra in ([], ["--no-normalize"]):
        assert main(["diff", str(tmp_path / "a.keras"), str(tmp_path / "b.keras"), *extra]) == 1
        out = capsys.readouterr().out
        assert "module: keras.layers → evil_pkg.layers" in out or "evil_pkg.layers" in out
