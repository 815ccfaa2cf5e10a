"""`kerascope show TARGET LAYER`: one layer's whole record."""

from __future__ import annotations

import argparse
import json

from kerascope.cli import exits
from kerascope.cli.arguments import (
    TARGET_HELP,
    add_limit_options,
    add_load_options,
    add_output_option,
    limits_of,
    reading_of,
)
from kerascope.cli.output import emit
from kerascope.views.options import LayerView

NAME = "show"


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(NAME, help="one layer's full record and configuration")
    command.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    command.add_argument("layer", metavar="LAYER", help="a layer path, a unique name, or a top-level index")
    command.add_argument(
        "--format", "-f", choices=[view.value for view in LayerView], default=LayerView.YAML.value
    )
    add_output_option(command)
    add_load_options(command)
    add_limit_options(command)


def run(args: argparse.Namespace) -> int:
    from kerascope.api import inspect
    from kerascope.views.text import compact
    from kerascope.views.yaml_view import yaml_text

    report = inspect(args.target, **reading_of(args), limits=limits_of(args), time_limit=args.time_limit)
    record = report[args.layer].to_dict()
    if args.format == LayerView.JSON:
        text = json.dumps(record, indent=2) + "\n"
    else:
        text = yaml_text(compact(record))
    emit(text, args.output, args.force)
    return exits.OK
