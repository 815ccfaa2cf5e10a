"""The command line as the README shows it: every command, view and flag, one-line
errors with exit 2, output files written whole, and a supervisor that ends every
command cleanly (the time limit, Ctrl-C, a child killed by a signal)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

import kerascope
from kerascope.cli import main

from support.interrupt import as_foreground_job

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def _in_tests_dir(monkeypatch):
    monkeypatch.chdir(TESTS)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv, cwd=TESTS, **kwargs):
    """The installed command (`python -m kerascope`), with its supervisor."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.run(
        [sys.executable, "-m", "kerascope", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        **kwargs,
    )


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("kerascope"), err
    assert "Traceback" not in err
    return err


# -- inspect and its views --------------------------------------------------------------
def test_table_shows_hidden_sublayer(capsys, keras3):
    from support.cli_targets import custom_wrapper

    inner = custom_wrapper().get_layer("scaled").inner
    code, out, err = run(capsys, "inspect", "support.cli_targets:custom_wrapper")
    assert code == 0, err
    line = next(line for line in out.splitlines() if inner.name in line)
    assert type(inner).__name__ in line and "sublayer" in line and f"{inner.count_params():,}" in line
    assert f"Total params: {custom_wrapper().count_params():,}" in out


def test_json_view_is_the_report(capsys, keras3):
    from support.cli_targets import model

    code, out, _ = run(capsys, "inspect", "support.cli_targets:model", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["totals"]["total_params"] == model.count_params()
    assert [node["path"] for node in data["nodes"]] == ["", *(layer.name for layer in model.layers)]


def test_yaml_view_equals_json_view(capsys):
    _, as_json, _ = run(capsys, "inspect", "support.cli_targets:model", "--format", "json")
    _, as_yaml, _ = run(capsys, "inspect", "support.cli_targets:model", "--format", "yaml")
    assert yaml.safe_load(as_yaml) == json.loads(as_json)


def test_tree_view_nests_attention_projections(capsys):
    code, out, _ = run(capsys, "inspect", "support.cli_targets:transformer", "--format", "tree")
    assert code == 0
    query_line = next(line for line in out.splitlines() if "query" in line)
    block_line = next(line for line in out.splitlines() if "block" in line)
    assert query_line.index("query") > block_line.index("block")
    assert "EinsumDense" in query_line


def test_depth_folds_deeper_layers(capsys):
    _, out, _ = run(capsys, "inspect", "support.cli_targets:transformer", "--format", "json", "--depth", "1")
    paths = [node["path"] for node in json.loads(out)["nodes"]]
    assert paths == ["", "tokens", "block"]


def test_class_and_select_queries(capsys, keras3):
    from support.cli_targets import model

    dense = [layer.name for layer in model.layers if type(layer).__name__ == "Dense"]
    _, out, _ = run(capsys, "inspect", "support.cli_targets:model", "-f", "json", "--class", "Dense")
    assert [node["path"] for node in json.loads(out)["nodes"][1:]] == dense
    _, out, _ = run(capsys, "inspect", "support.cli_targets:model", "-f", "json", "--select", "*_b")
    assert [node["path"] for node in json.loads(out)["nodes"][1:]] == [
        name for name in dense if name.endswith("_b")
    ]


def test_html_view_through_the_cli(capsys, tmp_path):
    target = tmp_path / "report.html"
    code, out, _ = run(capsys, "inspect", "support.cli_targets:model", "-f", "html", "-o", str(target))
    assert code == 0 and out == ""
    page = target.read_text()
    assert (
        page.lower().startswith("<!doctype html>")
        and "Content-Security-Policy" in page
        and "default-src 'none'" in page
    )


def test_show_layer_by_path_name_and_index(capsys, keras3):
    from support.cli_targets import two_dense

    _, by_path, _ = run(
        capsys, "show", "support.cli_targets:transformer", "block/attention/query", "-f", "json"
    )
    _, by_name, _ = run(capsys, "show", "support.cli_targets:transformer", "query", "-f", "json")
    assert json.loads(by_path) == json.loads(by_name)
    assert json.loads(by_path)["class_name"] == "EinsumDense"
    _, by_index, _ = run(capsys, "show", "support.cli_targets:two_dense", "0")
    assert yaml.safe_load(by_index)["name"] == two_dense().layers[0].name


def test_config_error_is_shown_not_fatal(capsys):
    code, out, _ = run(capsys, "inspect", "support.cli_targets:raising_config")
    assert code == 0
    assert "No config for fragile: RuntimeError: Fragile cannot describe itself" in out


# -- -o for every command, written whole or not at all ------------------------------------
@pytest.fixture(scope="module")
def saved_pair(tmp_path_factory, keras3):
    folder = tmp_path_factory.mktemp("pair")
    from support.cli_targets import model, two_dense

    model.save(folder / "a.keras")
    two_dense().save(folder / "b.keras")
    return folder / "a.keras", folder / "b.keras"


@pytest.mark.parametrize(
    ("argv", "check"),
    [
        (["inspect", "{a}", "-f", "json"], lambda text: json.loads(text)["format"] == "keras"),
        (["show", "{a}", "dense_a", "-f", "json"], lambda text: json.loads(text)["name"] == "dense_a"),
        (["diff", "{a}", "{b}", "-f", "json"], lambda text: json.loads(text)["same"] is False),
        (["diff", "{a}", "{b}", "-f", "html"], lambda text: text.lower().startswith("<!doctype html>")),
        (["check", "{a}", "-f", "sarif"], lambda text: json.loads(text)["version"] == "2.1.0"),
        (["demo", "-f", "markdown"], lambda text: text.count("**") >= 8),
    ],
    ids=["inspect", "show", "diff", "diff-html", "check", "demo"],
)
def test_every_command_writes_its_output_file(capsys, tmp_path, saved_pair, argv, check):
    a, b = saved_pair
    target = tmp_path / "out.txt"
    args = [part.format(a=a, b=b) for part in argv]
    code = main([*args, "-o", str(target)])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert out == "" and check(target.read_text())


def test_output_file_keeps_its_mode_and_is_replaced_whole(capsys, tmp_path, saved_pair):
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    assert main(["inspect", str(saved_pair[0]), "-f", "json", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["format"] == "keras"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    capsys.readouterr()


def test_output_refuses_what_is_not_a_regular_file(capsys, tmp_path, saved_pair):
    real = tmp_path / "real.json"
    real.write_text("keep me")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (link, fifo):
        code, out, err = run(capsys, "inspect", str(saved_pair[0]), "-f", "json", "-o", str(path))
        assert code == 2 and out == ""
        assert str(path) in one_line(err) and "not a regular file" in err and "--force" in err
    assert link.is_symlink() and real.read_text() == "keep me"
    assert main(["inspect", str(saved_pair[0]), "-f", "json", "-o", str(link), "--force"]) == 0
    assert link.is_symlink() and json.loads(real.read_text())["format"] == "keras"
    capsys.readouterr()


def test_output_error_names_the_users_path(capsys, tmp_path, saved_pair):
    target = tmp_path / "no-such-folder" / "out.json"
    code, _, err = run(capsys, "inspect", str(saved_pair[0]), "-o", str(target))
    assert code == 2 and str(target) in one_line(err) and ".out.json." not in err


@pytest.fixture
def model_files(tmp_path):
    """A saved model as a file, as an extracted folder (config.json, weights), and links to it."""
    model = Path(shutil.copy(Path(kerascope.__file__).parent / "example_files" / "two_dense.keras", tmp_path))
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(model) as archive:
        archive.extractall(folder)
    os.link(model, tmp_path / "hard.keras")
    (tmp_path / "soft.keras").symlink_to(model)
    return model, folder


@pytest.mark.parametrize(
    ("argv", "output"),
    [
        (["inspect", "{model}"], "{model}"),
        (["inspect", "{model}", "--force"], "{tmp}/soft.keras"),  # written through, onto the model
        (["check", "{tmp}/hard.keras"], "{model}"),  # another name of the same file
        (["diff", "{model}", "{folder}"], "{folder}/config.json"),  # a member of a model folder
        (
            ["inspect", "{folder}/model.weights.h5", "--config", "{folder}/config.json"],
            "{folder}/config.json",
        ),
        (["show", "{folder}", "dense"], "{folder}/metadata.json"),
    ],
    ids=[
        "the-model",
        "a-link-to-it-with-force",
        "a-hard-link",
        "inside-a-model-folder",
        "the-config",
        "show",
    ],
)
def test_output_refuses_to_write_over_an_input(capsys, tmp_path, model_files, argv, output):
    model, folder = model_files
    names = {"model": model, "folder": folder, "tmp": tmp_path}
    target = output.format(**names)
    before = {path: path.read_bytes() for path in [model, *folder.iterdir()]}
    code, out, err = run(capsys, *[arg.format(**names) for arg in argv], "-o", target)
    assert code == 2 and out == ""
    assert target in one_line(err) and "refusing to write over what the command reads" in err
    assert {path: path.read_bytes() for path in before} == before


def test_output_beside_an_input_is_written(capsys, tmp_path, model_files):
    model, folder = model_files
    code, _, _ = run(capsys, "inspect", str(model), "-f", "json", "-o", str(tmp_path / "report.json"))
    assert code == 0 and json.loads((tmp_path / "report.json").read_text())["format"] == "keras"
    code, _, _ = run(capsys, "inspect", str(folder), "-o", str(folder / "report.txt"))  # a new file
    assert code == 0 and (folder / "report.txt").exists()


# -- one-line errors ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inspect", "no_such_module:model"], "cannot import no_such_module"),
        (["inspect", "support.cli_targets:missing"], "no attribute 'missing'"),
        (["inspect", "support.cli_targets:broken"], "calling broken() raised ValueError: cannot build today"),
        (["inspect", "support.cli_targets:not_a_model"], "builtins.int is not a Keras layer or model"),
        (["inspect", "nothing-here.keras"], "nothing-here.keras: no such file"),
        (["show", "support.cli_targets:two_dense", "nope"], "no layer with path or name 'nope'"),
        (["show", "support.cli_targets:two_dense", "hiden"], "'hiden'; did you mean 'hidden'?"),
        (["show", "support.cli_targets:two_dense", "9"], "index 9 is out of range"),
    ],
)
def test_errors_are_one_line_with_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in one_line(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inspect"], "the following arguments are required: TARGET"),
        (["inspect", "m.keras", "-f", "bogus"], "invalid choice: 'bogus'"),
        (["inspect", "m.keras", "--depth", "0"], "--depth: must be 1 or more, not 0"),
        (["inspect", "m.keras", "--depth", "-1"], "--depth: must be 1 or more, not -1"),
        (["inspect", "m.keras", "--columns", "path,bogus"], "unknown column 'bogus'"),
        (["inspect", "m.keras", "--max-layers", "many"], "--max-layers: not a whole number: 'many'"),
        (["check", "m.keras", "--fail-on", "info"], "invalid choice: 'info'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_argument_errors_are_one_line_with_exit_2(argv, message):
    done = run_process(*argv)
    assert done.returncode == 2 and done.stdout == ""
    assert message in one_line(done.stderr) and "--help" in done.stderr
    assert "Error" not in done.stderr


def test_no_command_prints_short_usage_and_the_commands():
    done = run_process()
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("usage: kerascope") and len(lines) <= 3
    assert "inspect, show, diff, check, load-check, scan" in lines[-1] and "--help" in lines[-1]


@pytest.mark.parametrize("argv", [["--help"], ["inspect", "--help"], ["diff", "--help"]])
def test_help_still_shows_usage(argv):
    done = run_process(*argv)
    assert done.returncode == 0 and done.stdout.startswith("usage: kerascope")


def test_debug_shows_the_traceback():
    quiet = run_process("inspect", "support.cli_targets:broken")
    loud = run_process("--debug", "inspect", "support.cli_targets:broken")
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "cannot build today" in loud.stderr


def test_help_and_import_load_no_framework():
    probe = (
        "import sys, kerascope, kerascope.cli\n"
        "try:\n    kerascope.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch', 'h5py') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_version():
    done = run_process("--version")
    assert done.returncode == 0 and done.stdout == f"kerascope {kerascope.__version__}\n"


# -- a careful command line ------------------------------------------------------------------
def test_an_empty_selection_says_so_with_the_classes_and_names_near_it(capsys, keras3):
    from support.cli_targets import model

    dense = sorted({type(layer).__name__ for layer in model.layers} & {"Dense"})
    code, out, err = run(capsys, "inspect", "support.cli_targets:model", "--class", "Dens")
    assert code == 0 and "Layer" in out
    assert err == f"kerascope: note: no layer of class 'Dens'; did you mean {dense[0]!r}?\n"
    code, out, err = run(capsys, "inspect", "support.cli_targets:model", "--class", "dense", "-f", "json")
    assert json.loads(out)["nodes"] == [json.loads(out)["nodes"][0]] and "did you mean 'Dense'?" in err
    name = model.layers[1].name
    _, _, err = run(capsys, "inspect", "support.cli_targets:model", "--select", name[:-1] + "x")
    assert "; did you mean " in err and repr(name) in err
    _, _, err = run(capsys, "inspect", "support.cli_targets:model", "--class", "Dense")
    assert err == ""


def test_a_folder_of_models_points_at_scan(capsys, tmp_path):
    for name in ("a.keras", "b.keras"):
        shutil.copy(Path(kerascope.__file__).parent / "example_files" / "two_dense.keras", tmp_path / name)
    code, out, err = run(capsys, "inspect", str(tmp_path))
    assert code == 2 and out == ""
    assert "a folder of models (a.keras, b.keras), not one model" in one_line(err)
    assert "kerascope scan" in err and "not a Keras model" not in err


@pytest.mark.parametrize("command", ["inspect", "demo", "diff"])
def test_md_is_markdown(capsys, command):
    target = str(Path(kerascope.__file__).parent / "example_files" / "two_dense.keras")
    targets = {"inspect": [target], "demo": [], "diff": [target, target]}[command]
    _, short, _ = run(capsys, command, *targets, "-f", "md")
    _, long, _ = run(capsys, command, *targets, "-f", "markdown")
    assert short == long and "**" in short


def test_every_option_of_every_command_says_what_it_does():
    from kerascope.cli.parser import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in [("kerascope", parser), *commands.items()]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help.strip(), (name, action.option_strings or action.dest)
    assert "md for markdown" in " ".join(commands["inspect"].format_help().split())


# -- the supervisor -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def slow_file(tmp_path_factory):
    """A config of 400 000 layers: several seconds to read, all of it Python."""
    path = tmp_path_factory.mktemp("slow") / "slow.json"
    layers = ",".join(
        f'{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}' for i in range(400_000)
    )
    path.write_text(f'{{"class_name":"Sequential","config":{{"name":"big","layers":[{layers}]}}}}')
    return path


SLOW = ["--max-layers", "1000000", "--max-json-bytes", "200000000", "--max-json-items", "10000000"]


def _start(*argv):
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.Popen(
        [sys.executable, "-m", "kerascope", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=as_foreground_job,
    )


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _wait_for_child(process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 300  # only a command that never starts its child reaches this
    while time.monotonic() < deadline:
        children = _children(process.pid)
        if children:
            return children[0]
        time.sleep(0.05)
    raise AssertionError("the command started no child")


def test_ctrl_c_ends_the_command_in_one_line(slow_file):
    process = _start("inspect", str(slow_file), *SLOW)
    child = _wait_for_child(process)
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends the whole foreground group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and out == ""
    assert one_line(err) == "kerascope: interrupted\n"
    assert not Path(f"/proc/{child}").exists(), "the child was left running"


def test_a_child_killed_by_a_signal_is_named(slow_file):
    process = _start("inspect", str(slow_file), *SLOW)
    child = _wait_for_child(process)
    os.kill(child, signal.SIGKILL)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and out == ""
    assert "ended by SIGKILL (out of memory?)" in one_line(err)


def test_the_time_limit_ends_the_command(slow_file):
    """The command says it gave up at its limit: the read (several seconds) was cut short."""
    done = run_process("inspect", str(slow_file), *SLOW, "--time-limit", "1")
    assert done.returncode == 2 and done.stdout == ""
    assert "gave up after 1 s (the time limit; raise it with --time-limit)" in one_line(done.stderr)


def test_the_time_limit_is_never_a_layers_config_error(keras3):
    """A layer whose get_config is slow: the walk's `except Exception` around a
    layer's own code must not record the time limit as that layer's error."""

    finished = []

    class Slow(keras3.layers.Layer):
        def call(self, inputs):
            return inputs

        def get_config(self):
            deadline = time.monotonic() + 120  # far past the limit: only the limit ends it
            while time.monotonic() < deadline:
                pass
            finished.append(True)
            return super().get_config()

    inputs = keras3.Input(shape=(2,), name="x")
    model = keras3.Model(inputs, Slow(name="slow")(inputs), name="slow_model")
    with pytest.raises(kerascope.KerascopeError) as raised:
        kerascope.inspect(model, time_limit=1)
    assert "gave up after 1 s (the time limit" in str(raised.value)
    assert finished == [], "the limit ended get_config, not its own loop"
