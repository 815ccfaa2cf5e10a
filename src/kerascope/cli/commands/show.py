"""`kerascope show TARGET LAYER`: one layer's whole record."""

from __future__ import annotations

import argparse
import sys

from kerascope.cli import exits
from kerascope.cli.arguments import (
    TARGET_HELP,
    add_format_option,
    add_limit_options,
    add_load_options,
    add_output_option,
    add_values_option,
    limits_of,
    reading_of,
)
from kerascope.cli.output import emit
from kerascope.model.vocabulary import Code
from kerascope.views import LAYER_VIEWS, printable

NAME = "show"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(NAME, help="one layer's full record and configuration")
    command.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    command.add_argument("layer", metavar="LAYER", help="a layer path, a unique name, or a top-level index")
    add_format_option(command, LAYER_VIEWS, "the layer's record")
    add_values_option(
        command, "read the layer's weights' values: each weight's statistics (only its bytes are read)"
    )
    add_output_option(command)
    add_load_options(command)
    add_limit_options(command)


def run(args: argparse.Namespace) -> int:
    from kerascope.api import inspect
    from kerascope.views import render

    report = inspect(
        args.target,
        **reading_of(args),
        limits=limits_of(args),
        time_limit=args.time_limit,
        values=args.layer if args.values else False,
    )
    layer = report[args.layer]
    emit(render(layer, args.format), args.output, args.force)
    for finding in report.findings:
        if finding.code == Code.VALUES_UNAVAILABLE and finding.path in (layer.path, None):
            print(f"kerascope: note: {printable(finding.message)}", file=sys.stderr)
    return exits.OK
