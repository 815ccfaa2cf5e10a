"""The `kerascope` command: parse, call the API, pick a view, write. Nothing else.

Errors are one line on stderr and exit code 2; `--debug` shows the traceback.
Heavy modules (views, frameworks) are imported only by the command that needs
them, so `kerascope --help` starts instantly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kerascope.cli import exits
from kerascope.cli.parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command in this process; its exit code."""
    args = build_parser().parse_args(argv)
    return run_command(args)


def main_exit() -> None:
    """Console-script entry point: the command runs in a supervised child process."""
    from kerascope.cli.supervisor import supervise

    args = build_parser().parse_args(sys.argv[1:])
    sys.exit(supervise(lambda: run_command(args), getattr(args, "time_limit", None)))


def run_command(args: argparse.Namespace) -> int:
    from kerascope.cli.commands import COMMANDS
    from kerascope.errors import KerascopeError, TimeLimitExceeded
    from kerascope.model.records import LayerLookupError

    if args.version:
        from kerascope.version import __version__

        print(f"kerascope {__version__}")
        return exits.OK
    if args.command is None:
        parser = build_parser()
        parser.print_usage(sys.stderr)
        commands = ", ".join(COMMANDS)
        print(f"kerascope: name a command ({commands}); kerascope --help says more", file=sys.stderr)
        return exits.ERROR
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    except (KerascopeError, LayerLookupError, TimeLimitExceeded) as error:
        if args.debug:
            raise
        _say(str(error))
    except Exception as error:
        if args.debug:
            raise
        _say(f"{type(error).__name__}: {error}")
    return exits.ERROR


def _say(message: str) -> None:
    from kerascope.errors import one_line
    from kerascope.views.text import printable

    print(f"kerascope: {printable(one_line(message))}", file=sys.stderr)
