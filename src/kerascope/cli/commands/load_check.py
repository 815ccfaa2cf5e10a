"""`kerascope load-check WEIGHTS --into MODEL`: will these weights load, and if not, why.

Exit 0 when Keras loads them cleanly (every layer receives its own weights, every
saved weight is read), 1 when it will not, or only partly (a layer left at its
initial values, weights loaded into another layer's place), 2 on bad input.
"""

from __future__ import annotations

import argparse

from kerascope.cli import exits
from kerascope.cli.arguments import add_format_option, add_limit_options, add_output_option, limits_of
from kerascope.cli.output import emit, to_terminal
from kerascope.views import LOAD_CHECK_VIEWS

NAME = "load-check"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        NAME,
        help="predict what Keras does when these weights meet that model (exit 0 loads cleanly, 1 not, 2 error)",
        description=(
            "Predict, without loading anything, what Keras's own loader does with WEIGHTS: load_weights into "
            "the model --into describes, or, without --into, load_model of WEIGHTS on its own config."
        ),
    )
    command.add_argument(
        "weights",
        metavar="WEIGHTS",
        help="a .weights.h5, a .weights.json index, a .keras archive or folder, a legacy .h5, or a KerasHub preset",
    )
    command.add_argument(
        "--into",
        metavar="MODEL",
        help="the architecture receiving them: a .keras, a folder with a config.json, a legacy .h5, "
        "a model.to_json() file or a KerasHub preset (default: WEIGHTS's own config, as load_model)",
    )
    command.add_argument(
        "--by-name", action="store_true", help="legacy .h5 only: load_weights(by_name=True), as Keras allows"
    )
    command.add_argument(
        "--skip-mismatch",
        action="store_true",
        help="load_weights(skip_mismatch=True): warn where Keras would raise",
    )
    command.add_argument(
        "--keras",
        metavar="VERSION",
        help="the Keras that loads: 3.15, 3.10, 2.13, tf_keras (default: the latest of the line that wrote MODEL)",
    )
    add_format_option(command, LOAD_CHECK_VIEWS, "the prediction")
    command.add_argument(
        "--cache",
        metavar="DIR",
        help="keep the bytes fetched from a URL in DIR, and read them from there next time",
    )
    add_output_option(command)
    add_limit_options(command)


def run(args: argparse.Namespace) -> int:
    from kerascope.api import load_check
    from kerascope.views import as_text, render

    result = load_check(
        args.weights,
        args.into,
        by_name=args.by_name,
        skip_mismatch=args.skip_mismatch,
        keras=args.keras,
        limits=limits_of(args),
        time_limit=args.time_limit,
        cache=args.cache,
    )
    emit(as_text(render(result, args.format), to_terminal(args.output)), args.output, args.force)
    return exits.OK if result.clean else exits.DIFFERENT
