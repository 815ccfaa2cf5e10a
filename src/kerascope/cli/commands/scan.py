"""`kerascope scan TARGET... --catalog FILE`: every model under folders in one DuckDB catalog."""

from __future__ import annotations

import argparse
import json
import re
import sys

from kerascope.cli import exits
from kerascope.cli.arguments import add_limit_flags, limits_of, positive_float, positive_int
from kerascope.cli.output import emit
from kerascope.model.vocabulary import Severity
from kerascope.scan.defaults import DEFAULT_BATCH_SIZE, DEFAULT_MAX_MEMORY, DEFAULT_TIME_LIMIT

NAME = "scan"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def memory_size(text: str) -> int | None:
    """Bytes from `512M`, `4G`, `4GiB` or a plain number; None for `unlimited`."""
    if text.strip().lower() == "unlimited":
        return None
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 512M, 4G or unlimited)")
    size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size < 64 << 20:
        raise argparse.ArgumentTypeError(f"{text} is too little for a worker process (at least 64M)")
    return size


def add_to(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        NAME,
        help="catalog every model under folders in a DuckDB file (formats, versions, classes, findings)",
        description="Find every Keras model under the targets by content, check each statically in "
        "fenced worker processes, and record it in a DuckDB catalog (tables files, layers, findings; "
        "weights with --values). "
        "A second scan reads only what changed; an interrupted scan resumes where it stopped.",
    )
    command.add_argument(
        "targets", metavar="TARGET", nargs="+", help="a folder, a model file, or a URL of either"
    )
    command.add_argument(
        "--catalog", required=True, metavar="FILE", help="the DuckDB catalog to create or update"
    )
    command.add_argument(
        "--workers", type=positive_int, metavar="N", help="worker processes (default: one per CPU)"
    )
    command.add_argument(
        "--dask", metavar="ADDRESS", help="read the files on this Dask scheduler's workers instead"
    )
    command.add_argument(
        "--export", metavar="DIR", help="write the catalog's tables as Parquet files into DIR"
    )
    command.add_argument(
        "--sarif", metavar="FILE", help="write the findings under the targets as SARIF 2.1.0"
    )
    command.add_argument(
        "--fail-on",
        choices=[Severity.WARNING.value, Severity.ERROR.value],
        default=Severity.ERROR.value,
        help="exit 1 when a catalogued finding under the targets is at least this severe (default: error)",
    )
    command.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths (relative to a target) or names matching GLOB",
    )
    command.add_argument(
        "--values",
        action="store_true",
        help="also read every weight's values, streamed: their statistics in a weights table, and the "
        "health findings (NaN, infinities, zeros, constants, scale outliers)",
    )
    command.add_argument(
        "--retry-errors",
        action="store_true",
        help="read again the unchanged models that could not be read before",
    )
    command.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"rows per transaction ({DEFAULT_BATCH_SIZE})",
    )
    group = command.add_argument_group("limits on what each file may make kerascope do")
    add_limit_flags(group)
    group.add_argument(
        "--time-limit",
        dest="file_time_limit",  # per file: the command as a whole has no time limit
        type=positive_float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"give up on a file after this long; a worker that overruns is ended ({DEFAULT_TIME_LIMIT:g} s)",
    )
    group.add_argument(
        "--max-memory",
        type=memory_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help=f"address space of each worker process, e.g. 2G, or unlimited ({DEFAULT_MAX_MEMORY >> 30}G)",
    )


def run(args: argparse.Namespace) -> int:
    from kerascope.scan import Catalog, ScanOptions, sarif_document, scan
    from kerascope.scan.display import progress_display, summary_text

    options = ScanOptions(
        workers=args.workers,
        time_limit=args.file_time_limit,
        max_memory=args.max_memory,
        limits=limits_of(args),
        retry_errors=args.retry_errors,
        exclude=tuple(args.exclude),
        batch_size=args.batch_size,
        dask=args.dask,
        values=args.values,
    )
    progress = progress_display(sys.stderr)
    try:
        summary = scan(args.targets, args.catalog, options, progress)
    except KeyboardInterrupt:
        progress.close()
        print(
            f"kerascope: interrupted; every committed row is in {args.catalog}: run the same command to resume",
            file=sys.stderr,
        )
        return exits.INTERRUPTED
    progress.close()
    sys.stdout.write(summary_text(summary))
    if args.export or args.sarif:
        with Catalog(args.catalog, read_only=True) as catalog:
            if args.export:
                catalog.export_parquet(args.export)
            if args.sarif:
                emit(json.dumps(sarif_document(catalog, summary.roots), indent=2) + "\n", args.sarif)
    return exits.DIFFERENT if summary.fails(args.fail_on) else exits.OK
