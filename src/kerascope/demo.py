"""`kerascope demo`: the main job, on example files shipped with the package.

The files were saved by Keras (`scripts/make_examples.py`); the demo reads them
statically, so it needs no Keras and no TensorFlow.
"""

from __future__ import annotations

from importlib.resources import as_file, files

from kerascope.report import ModelReport
from kerascope.sources import read_path

EXAMPLES = {
    "two_dense.keras": "a Sequential of two Dense layers",
    "custom_wrapper.keras": "a custom layer wrapping its own Dense, which its get_config() does not list",
    "three_dense.keras": "a Functional model of three Dense layers",
    "encoder.keras": "a custom encoder block whose attention creates query/key/value layers",
}


def demo_reports() -> list[tuple[str, ModelReport]]:
    """(what the example shows, its report) for each shipped example file."""
    reports = []
    folder = files("kerascope").joinpath("example_files")
    for name, description in EXAMPLES.items():
        with as_file(folder.joinpath(name)) as path:
            reports.append((f"{name}: {description}", read_path(path)))
    return reports
