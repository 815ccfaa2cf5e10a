"""What the catalog says about the scanned targets: counts by format, Keras version and severity.

Computed from the catalog, not from this run, so that a second scan that
skipped everything reports (and exits) exactly as the first did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerascope.model.records import Finding
from kerascope.model.vocabulary import Code, Severity
from kerascope.scan.catalog import Catalog, in_scope
from kerascope.scan.runner import ScanCounts


@dataclass
class ScanSummary:
    """The catalogued rows under the targets, summed up."""

    catalog: str
    roots: list[str]
    counts: ScanCounts
    models: int = 0
    unreadable: int = 0
    links: int = 0
    formats: list[tuple[str, int]] = field(default_factory=list)
    keras_versions: list[tuple[str | None, int]] = field(default_factory=list)
    severities: dict[Severity, tuple[int, int]] = field(default_factory=dict)  # findings, models

    def fails(self, threshold: Severity | str) -> bool:
        """Whether any catalogued finding under the targets is at least as severe as `threshold`."""
        rank = Severity(threshold).rank
        return any(severity.rank >= rank and found for severity, (found, _) in self.severities.items())


def summarize(catalog: Catalog, roots: Sequence[str], counts: ScanCounts) -> ScanSummary:
    scope, parameters = in_scope(roots)
    summary = ScanSummary(str(catalog.path), list(roots), counts)
    summary.models, summary.unreadable, summary.links = catalog.query(
        "SELECT count(*) FILTER (WHERE link_target IS NULL AND kind IS NOT NULL), "
        "count(*) FILTER (WHERE error IS NOT NULL), count(*) FILTER (WHERE link_target IS NOT NULL) "
        f"FROM files WHERE {scope}",
        parameters,
    )[0]
    summary.formats = catalog.query(
        f"SELECT format, count(*) FROM files WHERE {scope} AND format IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
        parameters,
    )
    summary.keras_versions = catalog.query(
        f"SELECT keras_version, count(*) FROM files WHERE {scope} AND format IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST",
        parameters,
    )
    for severity, found, models in catalog.query(
        "SELECT severity, count(*), count(DISTINCT file_id) FROM findings "
        f"WHERE file_id IN (SELECT file_id FROM files WHERE {scope}) GROUP BY 1",
        parameters,
    ):
        summary.severities[Severity(severity)] = (found, models)
    return summary


def sarif_document(catalog: Catalog, roots: Sequence[str]) -> dict[str, Any]:
    """The findings under `roots` as one SARIF 2.1.0 log; unreadable models as notifications."""
    from kerascope.views import sarif_log

    scope, parameters = in_scope(roots, "files.path")
    by_file: dict[str, list[Finding]] = {}
    for path, code, severity, layer, message, hint, subject in catalog.query(
        "SELECT files.path, f.code, f.severity, f.path, f.message, f.hint, f.subject FROM findings f "
        f"JOIN files USING (file_id) WHERE {scope} ORDER BY files.path, f.code, f.path",
        parameters,
    ):
        by_file.setdefault(path, []).append(
            Finding(Code(code), Severity(severity), layer, message, hint, subject)
        )
    failed = catalog.query(
        f"SELECT path, error FROM files WHERE {scope} AND error IS NOT NULL ORDER BY path", parameters
    )
    return sarif_log(
        [(_uri(path), findings) for path, findings in by_file.items()],
        [(_uri(path), error) for path, error in failed],
    )


def _uri(path: str) -> str:
    return Path(path).as_uri() if path.startswith("/") else path
