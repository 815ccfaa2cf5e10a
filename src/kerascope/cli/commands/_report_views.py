"""The view options `inspect` and `demo` share, and how a report is written with them."""

from __future__ import annotations

import argparse
import sys

from kerascope.cli.arguments import add_format_option, positive_int
from kerascope.model.records import ModelReport
from kerascope.views import REPORT_VIEWS, ViewOptions


def add_view_options(command: argparse.ArgumentParser) -> None:
    add_format_option(command, REPORT_VIEWS, "the report")
    command.add_argument(
        "--depth", type=positive_int, metavar="N", help="fold layers deeper than N (top level is 1)"
    )
    command.add_argument("--select", metavar="GLOB", help="only layers whose path or name matches GLOB")
    command.add_argument(
        "--class",
        dest="classes",
        action="append",
        default=[],
        metavar="NAME",
        help="only layers of this class (repeatable)",
    )
    command.add_argument(
        "--key",
        dest="keys",
        action="append",
        default=[],
        metavar="KEY",
        help="show this config key (dotted: kernel_initializer.class_name) for every layer (repeatable)",
    )
    command.add_argument(
        "--columns",
        type=_columns,
        metavar="A,B,...",
        help="columns of the csv and markdown views (path,name,class,role,...)",
    )


def _columns(text: str) -> list[str]:
    from kerascope.views import COLUMNS

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown column {unknown[0]!r}; choose from {', '.join(COLUMNS)}"
            if unknown
            else "no columns named"
        )
    return names


def view_options(args: argparse.Namespace) -> ViewOptions:
    return ViewOptions(
        select=args.select, classes=args.classes, depth=args.depth, columns=args.columns, keys=args.keys
    )


def selection_note(report: ModelReport, args: argparse.Namespace) -> None:
    """A note on standard error when `--select`/`--class` chose no layer, naming
    near classes or names the report holds."""
    from kerascope.model.query import empty_selection

    why = empty_selection(report, args.select, args.classes)
    if why is not None:
        from kerascope.views import printable

        print(f"kerascope: note: {printable(why)}", file=sys.stderr)


def report_text(report: ModelReport, args: argparse.Namespace, to_terminal: bool) -> str:
    from kerascope.views import as_text, render

    return as_text(render(report, args.format, view_options(args)), to_terminal)
