"""`kerascope inspect TARGET`: every layer of a model, in the chosen view."""

from __future__ import annotations

import argparse

from kerascope.cli import exits
from kerascope.cli.arguments import (
    TARGET_HELP,
    add_limit_options,
    add_load_options,
    add_output_option,
    add_values_option,
    limits_of,
    reading_of,
)
from kerascope.cli.commands._report_views import add_view_options, report_text, selection_note
from kerascope.cli.output import emit, to_terminal
from kerascope.errors import KerascopeError

NAME = "inspect"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(NAME, help="report every layer of a model")
    command.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    add_view_options(command)
    add_values_option(
        command,
        "read every weight's values (of the --select layers only, if given), streamed: each weight's "
        "statistics (min, max, mean, std, NaN, infinities, zeros) and the health findings",
    )
    add_output_option(command)
    add_load_options(command)
    add_limit_options(command)
    command.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=D1,D2,...",
        help="an input's shape for the derived figures, batch dimension first (None or ? for unknown); "
        "repeat for several inputs; NAME may be left out for a single-input model",
    )
    command.add_argument(
        "--batch-size", type=int, metavar="N", help="batch size for the derived figures (default 1)"
    )


def input_shapes(values: list[str]) -> dict[str | None, list[int | None]] | None:
    """`NAME=1,224,224,3` (or `224,224` for the only input) as {name: shape}."""
    shapes: dict[str | None, list[int | None]] = {}
    for value in values:
        name, _, dims = value.rpartition("=")
        try:
            shape = [None if d.strip() in ("None", "?", "") else int(d) for d in dims.split(",")]
        except ValueError:
            raise KerascopeError(
                f"--input-shape {value!r}: give NAME=D1,D2,... with whole numbers (None or ? for unknown)"
            ) from None
        shapes[name or None] = shape
    return shapes or None


def run(args: argparse.Namespace) -> int:
    from kerascope.api import inspect

    report = inspect(
        args.target,
        **reading_of(args),
        limits=limits_of(args),
        time_limit=args.time_limit,
        input_shapes=input_shapes(args.input_shape),
        batch_size=args.batch_size,
        values=(args.select or True) if args.values else False,
    )
    emit(report_text(report, args, to_terminal(args.output)), args.output, args.force)
    selection_note(report, args)
    return exits.OK
