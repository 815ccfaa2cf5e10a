"""`kerascope check TARGET`: what will not round-trip, and what is unsafe to load."""

from __future__ import annotations

import argparse

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
from kerascope.cli.output import emit, to_terminal
from kerascope.model.vocabulary import Severity
from kerascope.views import CHECK_VIEWS

NAME = "check"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        NAME, help="find layers that will not round-trip, and unsafe content in files"
    )
    command.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    add_format_option(command, CHECK_VIEWS, "the findings")
    command.add_argument(
        "--fail-on",
        choices=[Severity.WARNING.value, Severity.ERROR.value],
        default=Severity.ERROR.value,
        help="exit 1 when a finding is at least this severe (default: error)",
    )
    add_values_option(
        command,
        "also read every weight's values, streamed, and find NaN, infinities, weights all zero or all one "
        "value where Keras's initializer gives neither, and scales a hundredfold off their peers",
    )
    add_output_option(command)
    add_load_options(command)
    add_limit_options(command)


def run(args: argparse.Namespace) -> int:
    from kerascope.api import check
    from kerascope.views import as_text, render

    result = check(
        args.target,
        **reading_of(args),
        limits=limits_of(args),
        time_limit=args.time_limit,
        values=args.values,
    )
    emit(as_text(render(result, args.format), to_terminal(args.output)), args.output, args.force)
    return exits.DIFFERENT if result.fails(args.fail_on) else exits.OK
