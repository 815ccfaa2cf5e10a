"""How a scan shows itself: a live bar on a terminal, a line per commit elsewhere, a summary at the end.

Everything that came from a file (a Keras version string) passes through
`printable` on its way to the terminal.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from kerascope.scan.runner import ScanCounts
from kerascope.scan.summary import ScanSummary
from kerascope.views import plural, printable

VERSIONS_SHOWN = 8


def progress_display(stream: IO[str] = sys.stderr) -> Any:
    """A rich progress bar when `stream` is a terminal, plain lines otherwise."""
    return BarProgress(stream) if stream.isatty() else LineProgress(stream)


def rate_text(counts: ScanCounts) -> str:
    rate = counts.done / counts.elapsed if counts.elapsed > 0 else 0.0
    return f"{rate:,.0f} files/s"


class LineProgress:
    """A line whenever more rows were committed, at most one every `every` seconds, for logs."""

    def __init__(self, stream: IO[str], every: float = 1.0) -> None:
        self.stream, self.every = stream, every
        self._last, self._committed = 0.0, 0

    def __call__(self, counts: ScanCounts) -> None:
        now = time.monotonic()
        if counts.committed == self._committed or now - self._last < self.every:
            return
        self._last, self._committed = now, counts.committed
        total = f"{counts.found:,}" if counts.walk_finished else f"{counts.found:,}+"
        print(
            f"kerascope: scan: {counts.done:,} of {total} done, {counts.committed:,} committed "
            f"({counts.errors:,} unreadable, {rate_text(counts)})",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        pass


class BarProgress:
    """A rich bar: files done of found, files/s, unreadable, ETA once the walk is complete."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[errors]}"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=True,
        )
        self._task = self._bar.add_task("scan", total=None, rate="", errors="")
        self._bar.start()

    def __call__(self, counts: ScanCounts) -> None:
        self._bar.update(
            self._task,
            completed=counts.done,
            total=counts.found if counts.walk_finished else None,
            rate=rate_text(counts),
            errors=f"{counts.errors:,} unreadable",
        )

    def close(self) -> None:
        self._bar.stop()


def summary_text(summary: ScanSummary) -> str:
    """The end-of-scan summary: what this run did, then what the catalog holds for the targets."""
    counts = summary.counts
    lines = [
        f"{summary.catalog}: {plural(summary.models, 'model')} under "
        f"{plural(len(summary.roots), 'target')} ({counts.read:,} read, {counts.unchanged:,} unchanged, "
        f"{counts.errors:,} unreadable this run; {counts.elapsed:.1f} s, {rate_text(counts)})"
    ]
    if summary.unreadable or summary.links:
        lines.append(
            f"Unreadable: {summary.unreadable:,}; symbolic links recorded, not followed: {summary.links:,}"
        )
    if counts.pruned:
        lines.append(f"Forgotten (no longer found): {counts.pruned:,}")
    if summary.formats:
        lines.append("Formats: " + ", ".join(f"{name} {count:,}" for name, count in summary.formats))
    if summary.keras_versions:
        shown = summary.keras_versions[:VERSIONS_SHOWN]
        more = len(summary.keras_versions) - len(shown)
        lines.append(
            "Keras versions: "
            + ", ".join(f"{printable(version or 'unknown')} {count:,}" for version, count in shown)
            + (f", and {more:,} more" if more else "")
        )
    severities = [
        f"{severity.value} {found:,} in {plural(models, 'model')}"
        for severity in sorted(summary.severities, key=lambda s: -s.rank)
        for found, models in [summary.severities[severity]]
    ]
    lines.append("Findings: " + (", ".join(severities) if severities else "none"))
    return "\n".join(lines) + "\n"
