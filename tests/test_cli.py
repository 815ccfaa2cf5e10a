"""The command line: every view, layer lookup, and one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kerascope.cli import main

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def _in_tests_dir(monkeypatch):
    monkeypatch.chdir(TESTS)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_shows_hidden_sublayer(capsys):
    code, out, err = run(capsys, "inspect", "support.cli_targets:custom_wrapper")
    assert code == 0, err
    lines = out.splitlines()
    inner = next(line for line in lines if "inner_dense" in line)
    assert "Dense" in inner and "sublayer" in inner and "15" in inner
    assert "Total params: 15" in out


def test_json_view_is_the_report(capsys):
    code, out, _ = run(capsys, "inspect", "support.cli_targets:model", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["totals"]["total_params"] == 266
    assert [node["path"] for node in data["nodes"]] == ["", "features", "dense_a", "dense_b", "dense_c"]


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


def test_show_layer_by_path_name_and_index(capsys):
    _, by_path, _ = run(
        capsys, "show", "support.cli_targets:transformer", "block/attention/query", "-f", "json"
    )
    _, by_name, _ = run(capsys, "show", "support.cli_targets:transformer", "query", "-f", "json")
    assert json.loads(by_path) == json.loads(by_name)
    assert json.loads(by_path)["class_name"] == "EinsumDense"
    _, by_index, _ = run(capsys, "show", "support.cli_targets:two_dense", "0")
    assert yaml.safe_load(by_index)["name"] == "hidden"


def test_output_file_is_written(capsys, tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = run(capsys, "inspect", "support.cli_targets:model", "-f", "json", "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["nodes"][0]["name"] == "three_dense"


def test_config_error_is_shown_not_fatal(capsys):
    code, out, _ = run(capsys, "inspect", "support.cli_targets:raising_config")
    assert code == 0
    assert "No config for fragile: RuntimeError: Fragile cannot describe itself" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inspect", "no_such_module:model"], "cannot import no_such_module"),
        (["inspect", "support.cli_targets:missing"], "no attribute 'missing'"),
        (["inspect", "support.cli_targets:broken"], "calling broken() raised ValueError: cannot build today"),
        (["inspect", "support.cli_targets:not_a_model"], "builtins.int is not a Keras layer or model"),
        (["inspect", "nothing-here.keras"], "nothing-here.keras: no such file"),
        (["show", "support.cli_targets:two_dense", "nope"], "no layer with path or name 'nope'"),
        (["show", "support.cli_targets:two_dense", "9"], "index 9 is out of range"),
    ],
)
def test_errors_are_one_line_with_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("kerascope: ")
    assert message in err


def _run_process(*argv, cwd=TESTS):
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.run(
        [sys.executable, "-m", "kerascope", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_debug_shows_the_traceback():
    quiet = _run_process("inspect", "support.cli_targets:broken")
    loud = _run_process("--debug", "inspect", "support.cli_targets:broken")
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert loud.returncode != 0 and "Traceback" in loud.stderr


def test_help_and_import_load_no_framework():
    probe = (
        "import sys, kerascope, kerascope.cli\n"
        "try:\n    kerascope.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_version():
    done = _run_process("--version")
    assert done.returncode == 0 and done.stdout.startswith("kerascope ")
