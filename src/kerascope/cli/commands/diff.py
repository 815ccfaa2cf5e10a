"""`kerascope diff A B`: what changed, layer by layer (exit 0 same, 1 different, 2 error)."""

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
from kerascope.views import DIFF_VIEWS

NAME = "diff"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        NAME, help="what changed between two models (exit 0 same, 1 different, 2 error)"
    )
    command.add_argument("a", metavar="A", help=TARGET_HELP)
    command.add_argument("b", metavar="B", help=TARGET_HELP)
    add_format_option(command, DIFF_VIEWS, "the differences")
    command.add_argument(
        "--ignore", action="append", default=[], metavar="KEY", help="config key to leave out (repeatable)"
    )
    command.add_argument(
        "--no-normalize",
        dest="normalize",
        action="store_false",
        help="compare configs as stored, without folding Keras 1/2/3 spelling differences",
    )
    add_values_option(
        command,
        "also compare the weights' values, tensor by tensor (same, max_abs_diff, rel_l2), and say which "
        "layers moved and by how much",
    )
    add_output_option(command)
    add_load_options(command, pairs_config=False)
    add_limit_options(command)


def run(args: argparse.Namespace) -> int:
    from kerascope.api import diff
    from kerascope.views import as_text, render

    result = diff(
        args.a,
        args.b,
        normalize=args.normalize,
        ignore=args.ignore,
        **reading_of(args),
        limits=limits_of(args),
        time_limit=args.time_limit,
        values=args.values,
    )
    emit(as_text(render(result, args.format), to_terminal(args.output)), args.output, args.force)
    return exits.OK if result.same else exits.DIFFERENT
