"""`kerascope demo`: the main job, on example files shipped with the package.

The files were saved by Keras (`scripts/make_examples.py`); the demo reads them
statically, so it needs no Keras and no TensorFlow.
"""

from __future__ import annotations

import argparse
from importlib.resources import as_file, files

from kerascope.cli import exits
from kerascope.cli.arguments import add_output_option
from kerascope.cli.commands._report_views import add_view_options, view_options
from kerascope.cli.output import emit, to_terminal
from kerascope.model.records import ModelReport
from kerascope.views import REPORT_VIEWS

NAME = "demo"

EXAMPLES = {
    "two_dense.keras": "a Sequential of two Dense layers",
    "custom_wrapper.keras": "a custom layer wrapping its own Dense, which its get_config() does not list",
    "three_dense.keras": "a Functional model of three Dense layers",
    "encoder.keras": "a custom encoder block whose attention creates query/key/value layers",
}


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(NAME, help="inspect the example model files shipped with kerascope")
    add_view_options(command)
    add_output_option(command)


def run(args: argparse.Namespace) -> int:
    """Every example as one document of the chosen view: one JSON array, one page."""
    text = REPORT_VIEWS.render_many(demo_reports(), args.format, view_options(args), to_terminal(args.output))
    emit(text, args.output, args.force)
    return exits.OK


def demo_reports() -> list[tuple[str, ModelReport]]:
    """(what the example shows, its report) for each shipped example file."""
    from kerascope.api import inspect

    reports = []
    folder = files("kerascope").joinpath("example_files")
    for name, description in EXAMPLES.items():
        with as_file(folder.joinpath(name)) as path:
            reports.append((f"{name}: {description}", inspect(path)))
    return reports
