"""`kerascope scan`: every model under a folder in one queryable DuckDB catalog.

Models are found by content (`kerascope.readers.sniff`), read through the
public API (`kerascope.check`) in fenced worker processes on this machine or on
a Dask cluster, and committed in batches, so a scan can be interrupted and
resumed, and a second scan reads only what changed. Needs the `catalog` extra
(DuckDB, PyArrow, fsspec); `--dask` the `dask` extra.

    from kerascope.scan import ScanOptions, scan
    summary = scan(["models/"], "models.duckdb", ScanOptions(workers=2))
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from kerascope.scan.catalog import TABLES, TIMING_COLUMNS, Catalog
from kerascope.scan.runner import Progress, ScanCounts, ScanOptions, run_scan
from kerascope.scan.sources import resolve_target
from kerascope.scan.summary import ScanSummary, sarif_document, summarize

__all__ = [
    "TABLES",
    "TIMING_COLUMNS",
    "Catalog",
    "Progress",
    "ScanCounts",
    "ScanOptions",
    "ScanSummary",
    "sarif_document",
    "scan",
]


def scan(
    targets: Sequence[str | os.PathLike[str]],
    catalog: str | os.PathLike[str],
    options: ScanOptions | None = None,
    progress: Progress | None = None,
) -> ScanSummary:
    """Scan `targets` (folders or files) into the catalog file `catalog`; the summary of its rows for them."""
    roots = _outermost([resolve_target(target) for target in targets])
    with Catalog(catalog) as opened:
        counts = run_scan(opened, roots, options or ScanOptions(), progress)
        return summarize(opened, [root for _, root in roots], counts)


def _outermost(roots: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The targets without those inside another (each model is read once per scan)."""
    kept: list[tuple[str, str]] = []
    for protocol, root in sorted(set(roots)):
        if not any(p == protocol and (root == r or root.startswith(r.rstrip("/") + "/")) for p, r in kept):
            kept.append((protocol, root))
    return kept
