"""Findings as SARIF 2.1.0, the format code-review tools read: one check's, or the
findings of many files (`kerascope scan --sarif`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from kerascope.model.records import Finding
from kerascope.model.results import CheckResult
from kerascope.model.vocabulary import Severity
from kerascope.views.text import printable

_SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(result: CheckResult) -> str:
    """One check's findings as a SARIF 2.1.0 log."""
    return json.dumps(sarif_log([(result.report.source, result.findings)]), indent=2) + "\n"


def sarif_log(
    artifacts: Iterable[tuple[str, Sequence[Finding]]], notifications: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the findings of many files: `(uri, findings)` per file.

    `notifications` are `(uri, message)` for files that could not be checked at
    all; SARIF reports them as tool execution notifications, not as results. Its
    text is shown to people (a code review, a security dashboard): every string
    from a file in it is printable.
    """
    from kerascope.version import __version__

    rules: dict[str, dict[str, Any]] = {}
    results = []
    for uri, findings in artifacts:
        for finding in findings:
            rules.setdefault(
                finding.code,
                {"id": finding.code, "shortDescription": {"text": finding.code.replace("_", " ").lower()}},
            )
            if finding.hint:
                rules[finding.code].setdefault("help", {"text": printable(finding.hint)})
            results.append(_sarif_result(uri, finding))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "kerascope", "version": __version__, "rules": list(rules.values())}},
        "results": results,
    }
    failures = [
        {
            "level": "error",
            "message": {"text": printable(message)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": printable(uri)}}}],
        }
        for uri, message in notifications
    ]
    if failures:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": failures}]
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [run],
    }


def _sarif_result(uri: str, finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": printable(uri)}}}
    if finding.path is not None:
        location["logicalLocations"] = [
            {"fullyQualifiedName": printable(finding.path) or "(model)", "kind": "member"}
        ]
    return {
        "ruleId": finding.code,
        "level": _SARIF_LEVELS[finding.severity],
        "message": {"text": printable(finding.message + (f" Fix: {finding.hint}" if finding.hint else ""))},
        "locations": [location],
    }
