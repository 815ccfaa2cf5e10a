"""The command line: the commands assembled, and one-line argument errors.

Each command module adds its own subcommand (`add_to`) and runs it (`run`); this
module only assembles them. Nothing heavy is imported, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from kerascope.cli import exits
from kerascope.cli.commands import COMMANDS


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit 2; `--help` still shows usage."""

    def error(self, message: str) -> NoReturn:
        from kerascope.views import printable

        sys.stderr.write(f"{self.prog}: {printable(message)} (see {self.prog} --help)\n")
        sys.exit(exits.ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="kerascope",
        description="Show every layer of a Keras model, at every depth: configuration, "
        "shapes, parameters, weights and connections.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for command in COMMANDS.values():
        command.add_to(subparsers)
    return parser
