"""`kerascope demo` reads the shipped example files statically, with no Keras at all."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from importlib.resources import as_file, files
from pathlib import Path

import jsonschema
import pytest

import kerascope
from kerascope.cli.commands.demo import EXAMPLES
from kerascope.examples import build_encoder, build_examples

from support.parity import assert_static_matches_live

BLOCK_FRAMEWORKS = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras", "jax", "torch"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, Blocked())
from kerascope.cli import main
sys.exit(main(["demo"]))
"""


def test_demo_runs_without_any_framework():
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_FRAMEWORKS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for name in EXAMPLES:
        assert name in done.stdout
    inner = next(line for line in done.stdout.splitlines() if "inner_dense" in line)
    assert "sublayer" in inner and "15" in inner
    assert any("query" in line for line in done.stdout.splitlines())


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_files_are_the_example_models(keras3, name):
    """The shipped files hold what the builders build (rebuild them if this fails)."""
    keras3.backend.clear_session()  # auto-generated names (softmax, softmax_1) restart
    models = {**build_examples(keras3), "encoder": build_encoder(keras3)}
    live = kerascope.inspect(models[name.removesuffix(".keras")])
    with as_file(files("kerascope").joinpath("example_files", name)) as path:
        static = kerascope.inspect(path)
    assert_static_matches_live(static, live)


def test_demo_json_is_one_document_of_every_example(capsys):
    """`demo -f json` is one JSON array: each example's report, as `inspect -f json` gives it."""
    from kerascope.cli import main
    from kerascope.model.records import json_schema

    assert main(["demo", "-f", "json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [Path(report["source"]).name for report in reports] == list(EXAMPLES)
    for report in reports:
        jsonschema.validate(report, json_schema())
        assert main(["inspect", report["source"], "-f", "json"]) == 0
        assert json.loads(capsys.readouterr().out) == report


def test_demo_html_is_one_page_holding_every_example(capsys):
    """`demo -f html` is one document; each example's own page is inside it, in a frame."""
    from kerascope.cli import main

    assert main(["demo", "-f", "html"]) == 0
    page = capsys.readouterr().out
    assert page.lower().count("<!doctype html>") == 1 and page.count("</html>") == 1
    assert "default-src 'none'" in page
    frames = re.findall(r'<iframe srcdoc="([^"]*)"', page)
    assert len(frames) == len(EXAMPLES)
    for frame, name in zip(frames, EXAMPLES, strict=True):
        inner = html.unescape(frame)
        assert inner.lower().startswith("<!doctype html>")
        with as_file(files("kerascope").joinpath("example_files", name)) as path:
            assert f"<title>{kerascope.inspect(path).root.name} (" in inner
