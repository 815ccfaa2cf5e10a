"""`kerascope demo`: the main job, on example files shipped with the package.

The files were saved by Keras (`scripts/make_examples.py`); the demo reads them
statically, so it needs no Keras and no TensorFlow.
"""

from __future__ import annotations

import argparse
from importlib.resources import as_file, files

from kerascope.cli import exits
from kerascope.cli.arguments import add_output_option
from kerascope.cli.commands._report_views import add_view_options, report_text
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
    terminal = to_terminal(args.output)
    parts = []
    for heading, report in demo_reports():
        if REPORT_VIEWS[args.format].for_reading:
            parts.append(f"── {heading}\n")
        parts.append(report_text(report, args, terminal))
    emit("".join(parts), args.output, args.force)
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
