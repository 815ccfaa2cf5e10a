"""`kerascope demo` reads the shipped example files statically, with no Keras at all."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import as_file, files

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
