"""`kerascope inspect TARGET`: every layer of a model, in the chosen view."""

from __future__ import annotations

import argparse

from kerascope.cli import exits
from kerascope.cli.arguments import (
    TARGET_HELP,
    add_limit_options,
    add_load_options,
    add_output_option,
    limits_of,
)
from kerascope.cli.commands._report_views import add_view_options, report_text
from kerascope.cli.output import emit, to_terminal

NAME = "inspect"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(NAME, help="report every layer of a model")
    command.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    add_view_options(command)
    add_output_option(command)
    add_load_options(command)
    add_limit_options(command)


def run(args: argparse.Namespace) -> int:
    from kerascope.api import inspect

    report = inspect(
        args.target, load=args.load, trust=args.trust, limits=limits_of(args), time_limit=args.time_limit
    )
    emit(report_text(report, args, to_terminal(args.output)), args.output, args.force)
    return exits.OK
