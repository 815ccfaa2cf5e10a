"""`kerascope scan`: every model under a folder in one queryable DuckDB catalog.

Models are found by content (`kerascope.readers.registry`), read through the
public API (`kerascope.check`) in fenced worker processes on this machine or on
a Dask cluster, and committed in batches, so a scan can be interrupted and
resumed, and a second scan reads only what changed. Needs the `catalog` extra
(DuckDB, PyArrow, fsspec); `--dask` the `dask` extra.

    from kerascope.scan import ScanOptions, scan
    summary = scan(["models/"], "models.duckdb", ScanOptions(workers=2))
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerascope.scan.runner import Progress, ScanOptions
    from kerascope.scan.summary import ScanSummary

# Imported on first use, so that the command line (which lists `scan` among its
# commands) and a worker process pay for the catalog and runner only when scanning.
_LAZY = {
    "TABLES": "kerascope.scan.catalog",
    "TIMING_COLUMNS": "kerascope.scan.catalog",
    "Catalog": "kerascope.scan.catalog",
    "Progress": "kerascope.scan.runner",
    "ScanCounts": "kerascope.scan.runner",
    "ScanOptions": "kerascope.scan.runner",
    "ScanSummary": "kerascope.scan.summary",
    "sarif_document": "kerascope.scan.summary",
}
__all__ = [*_LAZY, "scan"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kerascope.scan' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def scan(
    targets: Sequence[str | os.PathLike[str]],
    catalog: str | os.PathLike[str],
    options: ScanOptions | None = None,
    progress: Progress | None = None,
) -> ScanSummary:
    """Scan `targets` (folders or files) into the catalog file `catalog`; the summary of its rows for them."""
    from kerascope.scan.catalog import Catalog
    from kerascope.scan.runner import ScanOptions, run_scan
    from kerascope.scan.sources import resolve_target
    from kerascope.scan.summary import summarize

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
