"""Analyses that read ModelReports: `diff` compares two, `check` finds what will
not survive saving and loading, and what is unsafe to load."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kerascope.analysis.diff import ModelDiff, diff_reports
from kerascope.report import Finding, ModelReport
from kerascope.sources.limits import Limits

SEVERITIES = ("info", "warning", "error")


def diff(
    a: Any,
    b: Any,
    *,
    normalize: bool = True,
    ignore: list[str] | None = None,
    load: bool = False,
    limits: Limits | None = None,
) -> ModelDiff:
    """What changed from `a` to `b`: each a file, a live model or a `module:attr` reference."""
    from kerascope.targets import inspect

    reports = [inspect(target, load=load, limits=limits) for target in (a, b)]
    return diff_reports(*reports, normalize=normalize, ignore=ignore)


@dataclass
class CheckResult:
    """The findings for one target, with the report they were found in."""

    report: ModelReport
    findings: list[Finding] = field(default_factory=list)
    live: bool = False

    def worst(self) -> str | None:
        present = [SEVERITIES.index(f.severity) for f in self.findings if f.severity in SEVERITIES]
        return SEVERITIES[max(present)] if present else None

    def fails(self, threshold: str) -> bool:
        """Whether any finding is at least as severe as `threshold` (warning or error)."""
        worst = self.worst()
        return worst is not None and SEVERITIES.index(worst) >= SEVERITIES.index(threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.report.source,
            "format": self.report.format,
            "live": self.live,
            "findings": [asdict(finding) for finding in self.findings],
        }


def check(target: Any, *, load: bool = False, limits: Limits | None = None) -> CheckResult:
    """Findings for `target`. A file is checked statically (nothing runs); a live
    model, a `module:attr` reference or `load=True` adds the live checks."""
    from kerascope.analysis.static_checks import static_findings
    from kerascope.targets import inspect, live_object

    live = live_object(target, load=load)
    if live is None:
        report = inspect(target, limits=limits)
        return CheckResult(report, static_findings(report))
    from kerascope.analysis.live_checks import live_findings
    from kerascope.live.walk import walk_live

    report, objects = walk_live(live[0], source=live[1])
    return CheckResult(report, static_findings(report) + live_findings(report, objects), live=True)


__all__ = ["CheckResult", "ModelDiff", "check", "diff"]
