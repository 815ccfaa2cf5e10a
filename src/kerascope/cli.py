"""The `kerascope` command: parse, call the API, pick a view. Nothing else.

Errors are one line on stderr and exit code 2; `--debug` shows the traceback.
Heavy modules (views, frameworks) are imported only by the command that needs
them, so `kerascope --help` starts instantly.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_DIFFERENT = 1  # diff: the models differ; check: a finding at or above --fail-on
EXIT_ERROR = 2

INSPECT_FORMATS = ("table", "tree", "json", "yaml", "csv", "markdown", "dot", "mermaid", "html")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerascope",
        description="Show every layer of a Keras model, at every depth: configuration, "
        "shapes, parameters, weights and connections.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    target_help = "a saved model file, or module:attribute naming a model or a function returning one"

    inspect = commands.add_parser("inspect", help="report every layer of a model")
    inspect.add_argument("target", metavar="TARGET", help=target_help)
    _add_view_options(inspect)
    inspect.add_argument(
        "--load",
        action="store_true",
        help="load a file with Keras (safe_mode=True) and walk the live model",
    )
    _add_limit_options(inspect)

    show = commands.add_parser("show", help="one layer's full record and configuration")
    show.add_argument("target", metavar="TARGET", help=target_help)
    show.add_argument("layer", metavar="LAYER", help="a layer path, a unique name, or a top-level index")
    show.add_argument("--format", "-f", choices=("yaml", "json"), default="yaml")
    show.add_argument("--load", action="store_true", help="as for inspect")
    _add_limit_options(show)

    diff = commands.add_parser(
        "diff", help="what changed between two models (exit 0 same, 1 different, 2 error)"
    )
    diff.add_argument("a", metavar="A", help=target_help)
    diff.add_argument("b", metavar="B", help=target_help)
    diff.add_argument("--format", "-f", choices=("text", "json", "markdown", "html"), default="text")
    diff.add_argument(
        "--ignore", action="append", default=[], metavar="KEY", help="config key to leave out (repeatable)"
    )
    diff.add_argument(
        "--no-normalize",
        dest="normalize",
        action="store_false",
        help="compare configs as stored, without folding Keras 1/2/3 spelling differences",
    )
    diff.add_argument("--load", action="store_true", help="as for inspect")
    diff.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    _add_limit_options(diff)

    check = commands.add_parser(
        "check", help="find layers that will not round-trip, and unsafe content in files"
    )
    check.add_argument("target", metavar="TARGET", help=target_help)
    check.add_argument("--format", "-f", choices=("text", "json", "sarif"), default="text")
    check.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        default="error",
        help="exit 1 when a finding is at least this severe (default: error)",
    )
    check.add_argument("--load", action="store_true", help="load a file with Keras and add the live checks")
    check.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    _add_limit_options(check)

    demo = commands.add_parser("demo", help="inspect the example model files shipped with kerascope")
    _add_view_options(demo)
    return parser


def _add_view_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", "-f", choices=INSPECT_FORMATS, default="table")
    command.add_argument("--depth", type=int, metavar="N", help="fold layers deeper than N (top level is 1)")
    command.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
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
        metavar="A,B,...",
        help="columns of the csv and markdown views (path,name,class,role,...)",
    )


LIMIT_OPTIONS = {
    "max_json_bytes": "largest JSON document read (bytes)",
    "max_json_depth": "deepest JSON nesting",
    "max_member_bytes": "largest archive member or metadata file read into memory (bytes)",
    "max_layers": "most layers in one model",
    "max_h5_objects": "most HDF5 groups, datasets and links",
}
DEFAULT_TIME_LIMIT = 600
WATCHDOG_GRACE = 2.0


def _add_limit_options(command: argparse.ArgumentParser) -> None:
    from kerascope.sources.limits import DEFAULT_LIMITS

    group = command.add_argument_group("limits on what a file may make kerascope do")
    for name, meaning in LIMIT_OPTIONS.items():
        default = getattr(DEFAULT_LIMITS, name)
        group.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=default,
            metavar="N",
            help=f"{meaning} ({default:,})",
        )
    group.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"give up after this long ({DEFAULT_TIME_LIMIT} s)",
    )


def _limits(args: argparse.Namespace) -> Any:
    from kerascope.sources.limits import Limits

    return Limits(**{name: getattr(args, name) for name in LIMIT_OPTIONS})


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    return _main(parser, parser.parse_args(argv))


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.version:
        from kerascope import __version__

        print(f"kerascope {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        with _time_limit(getattr(args, "time_limit", None)):
            return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"kerascope: {_one_line(error)}", file=sys.stderr)
        return EXIT_ERROR


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Stop a command that runs longer than `seconds` with a one-line error, when
    the time runs out in Python code (see `main_exit` for native code)."""
    if not seconds or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        from kerascope.errors import KerascopeError

        raise KerascopeError(_time_message(seconds))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _time_message(seconds: float) -> str:
    return f"gave up after {seconds:g} s (the time limit; raise it with --time-limit)"


def _one_line(error: BaseException) -> str:
    from kerascope.errors import KerascopeError
    from kerascope.paths import one_line

    if isinstance(error, (KerascopeError, KeyError)):
        return one_line(str(error))
    return one_line(f"{type(error).__name__}: {error}")


def _run(args: argparse.Namespace) -> int:
    if args.command == "inspect":
        from kerascope.targets import inspect

        _show_reports([inspect(args.target, load=args.load, limits=_limits(args))], args)
    elif args.command == "show":
        _show_layer(args)
    elif args.command == "diff":
        from kerascope.analysis import diff
        from kerascope.views.diff_view import render_diff

        result = diff(
            args.a, args.b, normalize=args.normalize, ignore=args.ignore, load=args.load, limits=_limits(args)
        )
        _emit([render_diff(result, args.format)], args.output)
        return EXIT_OK if result.same else EXIT_DIFFERENT
    elif args.command == "check":
        from kerascope.analysis import check
        from kerascope.views.check_view import render_check

        found = check(args.target, load=args.load, limits=_limits(args))
        _emit([render_check(found, args.format)], args.output)
        return EXIT_DIFFERENT if found.fails(args.fail_on) else EXIT_OK
    elif args.command == "demo":
        from kerascope.demo import demo_reports

        examples = demo_reports()
        _show_reports([report for _, report in examples], args, headings=[heading for heading, _ in examples])
    return EXIT_OK


def _show_reports(reports: list[Any], args: argparse.Namespace, headings: list[str] | None = None) -> None:
    from kerascope.query import select
    from kerascope.views import ViewOptions, render

    reports = [select(report, args.select, args.classes) for report in reports]
    if args.depth is not None:
        reports = [report.folded(args.depth) for report in reports]
    columns = [name.strip() for name in args.columns.split(",")] if args.columns else None
    options = ViewOptions(columns=columns, keys=args.keys)
    outputs: list[Any] = []
    for position, report in enumerate(reports):
        if headings and args.format in ("table", "tree"):
            outputs.append(f"── {headings[position]}\n")
        outputs.append(render(report, args.format, options))
    _emit(outputs, args.output)


def _show_layer(args: argparse.Namespace) -> None:
    import json

    import yaml

    from kerascope.targets import inspect

    node = inspect(args.target, load=args.load, limits=_limits(args))[args.layer]
    record = node.to_dict()
    if args.format == "json":
        text = json.dumps(record, indent=2) + "\n"
    else:
        text = yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100)
    _emit([text], None)


def _emit(outputs: list[Any], path: str | None) -> None:
    """Print strings as they are and rich renderables through a console.

    A file is written whole or not at all: into a temporary file beside it,
    renamed into place once everything rendered.
    """
    text = "".join(_as_text(output, to_terminal=path is None and sys.stdout.isatty()) for output in outputs)
    if path is None:
        sys.stdout.write(text)
        return
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else _default_mode())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _default_mode() -> int:
    """What a plain open() would give a new file under the user's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _as_text(output: Any, to_terminal: bool) -> str:
    if isinstance(output, str):
        return output
    from rich.console import Console

    if to_terminal:
        console = Console(record=True, force_terminal=True)
    else:
        width = Console(width=10_000).measure(output).maximum
        console = Console(record=True, width=max(80, width), force_terminal=False, color_system=None)
    with console.capture() as capture:
        console.print(output)
    return capture.get() + "\n"


def main_exit() -> None:
    """Console-script entry point: the command runs in a child process that this
    one ends when the time limit (plus a grace period) passes.

    Native code can hang without returning to Python (the HDF5 library loops
    forever on some corrupt files, holding the interpreter lock), so neither an
    alarm nor a thread can stop it; a parent process can. Output is written in
    one piece at the end, so a stopped command has written nothing.
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:])
    seconds = getattr(args, "time_limit", None)
    if not seconds or not hasattr(os, "fork"):
        sys.exit(_main(parser, args))
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        try:
            code = _main(parser, args)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else EXIT_ERROR
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(_wait_for(child, seconds + WATCHDOG_GRACE))


def _wait_for(child: int, seconds: float) -> int:
    """The child's exit code, or EXIT_ERROR once it has run `seconds` and been stopped."""
    status = _status_within(child, seconds)
    if status is None:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        print(f"kerascope: {_time_message(seconds - WATCHDOG_GRACE)}", file=sys.stderr)
        return EXIT_ERROR
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else EXIT_ERROR


def _status_within(child: int, seconds: float) -> int | None:
    """The child's wait status if it ends within `seconds`, else None."""
    import select
    import time

    if hasattr(os, "pidfd_open"):  # Linux: sleep until the child ends, no polling
        handle = os.pidfd_open(child)
        try:
            ended = select.select([handle], [], [], seconds)[0]
        finally:
            os.close(handle)
        return os.waitpid(child, 0)[1] if ended else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        finished, status = os.waitpid(child, os.WNOHANG)
        if finished:
            return status
        time.sleep(0.005)
    return None
