"""KerasHub presets edited as an attacker would: every JSON file `from_preset` hands to
`deserialize_keras_object` is loader input, so an unsafe object in any of them, at any
depth, makes `check` exit 1; and a preset's files are read only inside its folder, so a
symbolic link leading out of it is refused with a finding and nothing behind it is read.

Each preset is saved by KerasHub in this run (`support/presets.py`); nothing is loaded."""

from __future__ import annotations

import json
import shutil

import pytest

import kerascope
from kerascope.cli import main

from support.bounded import one_line_error, run_cli
from support.hostile import payload_base64
from support.presets import DESERIALIZED, save_full_preset

OUTSIDE_SECRET = "secret-outside-the-preset"


@pytest.fixture(scope="module")
def genuine(keras3, tmp_path_factory):
    return save_full_preset(tmp_path_factory.mktemp("preset") / "bert")


@pytest.fixture
def preset(genuine, tmp_path):
    """A fresh copy of the genuine preset, to edit."""
    return shutil.copytree(genuine, tmp_path / "bert")


def a_lambda(sentinel):
    """A Keras 3 Lambda layer whose `__lambda__` bytecode would write `sentinel`."""
    code = {"class_name": "__lambda__", "config": {"code": payload_base64(sentinel), "defaults": None}}
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {"name": "planted", "function": code},
        "registered_name": None,
    }


def a_foreign_callable(sentinel):
    return {"module": "os", "class_name": "function", "config": "system", "registered_name": None}


def a_get_file(sentinel):
    return {
        "module": "keras.utils",
        "class_name": "function",
        "config": "get_file",
        "registered_name": "get_file",
    }


# Each planted object and the finding it must raise.
PLANTED = {
    "lambda": (a_lambda, "LAMBDA_BYTECODE"),
    "foreign-callable": (a_foreign_callable, "FOREIGN_CALLABLE"),
    "get-file": (a_get_file, "KERAS_GADGET"),
}


def edit(preset, name, change):
    path = preset / name
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def deepest_config(document):
    """The config of the innermost serialized object (a tokenizer inside a
    preprocessor, a backbone inside a task): where a loader deserializes last."""
    config = document["config"]
    for key in ("tokenizer", "backbone"):
        if isinstance(config.get(key), dict):
            return config[key]["config"]
    return config


def check_codes(path, capsys):
    code = main(["check", str(path), "-f", "json"])
    found = json.loads(capsys.readouterr().out)["findings"]
    return code, {item["code"] for item in found}


def test_the_genuine_preset_is_clean(genuine, capsys):
    code, found = check_codes(genuine, capsys)
    assert code == 0 and found == set(), found


@pytest.mark.parametrize("name", DESERIALIZED)
@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_an_unsafe_object_in_any_deserialized_file_fails_check(preset, sentinel, capsys, name, planted):
    make, expected = PLANTED[planted]
    edit(preset, name, lambda document: document["config"].update(dtype=make(sentinel)))
    code, found = check_codes(preset, capsys)
    assert code == 1 and expected in found, (name, found)


@pytest.mark.parametrize("name", ["preprocessor.json", "task.json"])
@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_an_unsafe_object_one_object_deeper(preset, sentinel, capsys, name, planted):
    """Inside the tokenizer the preprocessor deserializes, inside the backbone the task holds."""
    make, expected = PLANTED[planted]
    edit(preset, name, lambda document: deepest_config(document).update(dtype=make(sentinel)))
    code, found = check_codes(preset, capsys)
    assert code == 1 and expected in found, (name, found)


@pytest.mark.parametrize("name", ["config.json", "task.json"])
def test_a_compile_config_naming_os_system(preset, sentinel, capsys, name):
    """`deserialize_keras_object` compiles from a `compile_config` beside the config."""
    loss = a_foreign_callable(sentinel)
    edit(preset, name, lambda document: document.update(compile_config={"loss": loss, "optimizer": "adam"}))
    code, found = check_codes(preset, capsys)
    assert code == 1 and "FOREIGN_CALLABLE" in found, found


def test_a_whole_file_of_another_module(preset, capsys):
    """A converter whose own `module` is outside Keras: loading imports it."""
    edit(preset, "image_converter.json", lambda document: document.update(module="subprocess"))
    code, found = check_codes(preset, capsys)
    assert code == 1 and "FOREIGN_CALLABLE" in found, found


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("vocabulary", "/etc/passwd"),
        ("merges", "/home/user/.ssh/id_rsa"),
        ("proto", "/etc/shadow"),
        ("config_file", "/etc/ssl/private/tokenizer.json"),
    ],
)
def test_a_tokenizer_that_reads_a_file_outside_the_preset(preset, capsys, key, value):
    """KerasHub's tokenizers open a `vocabulary`, `merges` or `proto` that holds a path,
    and read their assets from `assets/<config_file's stem>`, which an absolute
    `config_file` puts anywhere (`Tokenizer.load_preset_assets`)."""
    for name in ("tokenizer.json", "preprocessor.json"):
        edit(preset, name, lambda document: deepest_config(document).update({key: value}))
    code, found = check_codes(preset, capsys)
    assert code == 1 and "VOCABULARY_FILE" in found, found


# -- symbolic links out of the preset --------------------------------------------------
@pytest.fixture
def outside(tmp_path):
    """A folder beside the preset, holding what an attacker would have read."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def link_out(preset, name, target):
    path = preset / name
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    path.symlink_to(target)


def outside_findings(result):
    return [finding for finding in result.findings if finding.code == "PATH_OUTSIDE_MODEL"]


@pytest.mark.parametrize("name", ["tokenizer.json", "preprocessor.json", "image_converter.json"])
def test_a_json_file_linked_from_outside_is_not_read(preset, outside, name):
    secret = outside / "secret.json"
    secret.write_text(
        json.dumps(
            {"module": "os", "class_name": "function", "config": OUTSIDE_SECRET, "name": OUTSIDE_SECRET}
        )
    )
    link_out(preset, name, secret)
    result = kerascope.check(preset)
    assert [finding.message.split(" ")[0] for finding in outside_findings(result)] == [name]
    assert OUTSIDE_SECRET not in json.dumps(result.report.to_dict())


def test_the_vocabulary_linked_from_outside_is_not_read(preset, outside):
    secret = outside / "passwd"
    secret.write_text("root\nuser\nother\n")
    link_out(preset, "assets/tokenizer/vocabulary.txt", secret)
    result = kerascope.check(preset)
    assert outside_findings(result)
    assert "vocabulary_size" not in (result.report.metadata.get("tokenizer") or {})


def test_an_assets_folder_linked_from_outside_is_not_read(preset, outside):
    (outside / "tokenizer").mkdir()
    (outside / "tokenizer" / "vocabulary.txt").write_text("a\nb\n")
    link_out(preset, "assets", outside)
    result = kerascope.check(preset)
    assert outside_findings(result)
    assert "vocabulary_size" not in (result.report.metadata.get("tokenizer") or {})


def test_weights_linked_from_outside_are_not_read(preset, outside, capsys):
    shutil.copy(preset / "model.weights.h5", outside / "model.weights.h5")
    link_out(preset, "model.weights.h5", outside / "model.weights.h5")
    result = kerascope.check(preset)
    assert outside_findings(result)
    assert result.report.total_params is None, "the backbone's weights are unknown, not read from outside"
    assert main(["check", str(preset)]) == 1
    capsys.readouterr()


def test_config_json_linked_from_outside_is_refused_in_one_line(preset, outside):
    shutil.copy(preset / "config.json", outside / "config.json")
    link_out(preset, "config.json", outside / "config.json")
    one_line_error(run_cli(["check", str(preset)]), "config.json leads outside the model's folder")


def test_a_link_that_stays_inside_the_preset_is_followed(preset):
    (preset / "weights").mkdir()
    (preset / "model.weights.h5").rename(preset / "weights" / "model.weights.h5")
    (preset / "model.weights.h5").symlink_to("weights/model.weights.h5")
    result = kerascope.check(preset)
    assert not outside_findings(result) and result.report.total_params is not None


def test_a_preset_the_user_names_through_a_link_is_read(genuine, tmp_path):
    (tmp_path / "named").symlink_to(genuine)
    result = kerascope.check(tmp_path / "named")
    assert not outside_findings(result) and result.report.total_params is not None
