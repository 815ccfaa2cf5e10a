"""Arguments several commands share: targets, limits, loading, output, and their types."""

from __future__ import annotations

import argparse
from typing import Any

from kerascope.limits import DEFAULT_LIMITS, FLAGS, Limits, described, flag
from kerascope.views import ViewTable

TARGET_HELP = (
    "a saved model file or folder (a KerasHub preset among them), a URL (https://, s3://, gs://, hf://org/repo), "
    "or module:attribute naming a model or a function returning one"
)
DEFAULT_TIME_LIMIT = 600.0


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def add_load_options(command: argparse.ArgumentParser, pairs_config: bool = True) -> None:
    """How a saved target is read: paired with a config, cached, or loaded by Keras."""
    if pairs_config:
        command.add_argument(
            "--config",
            metavar="FILE",
            help="pair a weights file (.weights.h5, .weights.json, .npz) with the architecture it was saved from: "
            "a .keras, a config.json or a model.to_json() file",
        )
    command.add_argument(
        "--cache",
        metavar="DIR",
        help="keep the bytes fetched from a URL in DIR, and read them from there next time",
    )
    command.add_argument(
        "--load", action="store_true", help="load a file with Keras (safe_mode=True) and walk the live model"
    )
    command.add_argument(
        "--trust",
        action="store_true",
        help="with --load: load even a file that check finds unsafe (its code may run)",
    )


# Other spellings of a view's name that --format takes.
FORMAT_ALIASES = {"md": "markdown"}


def add_format_option(command: argparse.ArgumentParser, views: ViewTable, what: str) -> None:
    """`--format`/`-f`: one of the views of the command's kind of record (`what` it
    writes), the table's first the default; `md` is `markdown`."""
    aliases = [f"{alias} for {name}" for alias, name in FORMAT_ALIASES.items() if name in views]
    command.add_argument(
        "--format",
        "-f",
        type=lambda text: FORMAT_ALIASES.get(text, text) if FORMAT_ALIASES.get(text) in views else text,
        choices=list(views),
        default=views.default,
        help=f"how to write {what} (default: {views.default}" + "".join(f"; {a}" for a in aliases) + ")",
    )


def add_values_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--values", action="store_true", help=what)


def add_output_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    command.add_argument(
        "--force",
        action="store_true",
        help="with -o: write through FILE even when it is not a regular file (a link, a FIFO, a device)",
    )


def add_limit_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("limits on what a file may make kerascope do")
    add_limit_flags(group)
    group.add_argument(
        "--time-limit",
        type=positive_float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"give up after this long ({DEFAULT_TIME_LIMIT:g} s)",
    )


def add_limit_flags(group: argparse._ArgumentGroup) -> None:
    """A flag for each limit `Limits` says the command line has, with its help and default."""
    for name in FLAGS:
        group.add_argument(
            flag(name),
            type=positive_int,
            default=getattr(DEFAULT_LIMITS, name),
            metavar="N",
            help=described(name),
        )


def reading_of(args: argparse.Namespace) -> dict[str, Any]:
    """The reading options of a command, as keyword arguments of the API calls
    (`--debug` puts the error of a step that failed on a layer in its finding)."""
    options = {"cache": args.cache, "load": args.load, "trust": args.trust, "debug": args.debug}
    if hasattr(args, "config"):
        options["config"] = args.config
    return options


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits(**{name: getattr(args, name) for name in FLAGS})
