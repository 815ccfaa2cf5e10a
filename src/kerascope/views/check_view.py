"""Check findings as text (coloured on a terminal), JSON, or SARIF 2.1.0 for code review."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from kerascope.model.results import CheckResult
from kerascope.model.vocabulary import Severity
from kerascope.views.options import CheckView
from kerascope.views.text import plural, printable

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_check(result: CheckResult, view: CheckView | str) -> Any:
    view = CheckView(view)
    if view == CheckView.JSON:
        return json.dumps(result.to_dict(), indent=2) + "\n"
    if view == CheckView.SARIF:
        return json.dumps(sarif(result), indent=2) + "\n"
    return _text(result)


def _text(result: CheckResult) -> Text:
    mode = "static and live checks" if result.live else "static checks, nothing executed"
    count = len(result.findings)
    out = Text()
    out.append(f"{printable(result.report.source)}: {plural(count, 'finding')} ({mode})\n", style="bold")
    for finding in result.findings:
        out.append(f"{finding.severity.value:<8}", style=_COLOURS[finding.severity])
        out.append(f"{finding.code.value}  ", style="bold")
        where = printable(finding.path) if finding.path else "(file)"
        out.append(f"{where}: {printable(finding.message)}\n")
        if finding.hint:
            out.append(f"        fix: {printable(finding.hint)}\n", style="dim")
    out.rstrip()
    return out


def sarif(result: CheckResult) -> dict[str, Any]:
    from kerascope.version import __version__

    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in result.findings:
        rules.setdefault(
            finding.code,
            {"id": finding.code, "shortDescription": {"text": finding.code.replace("_", " ").lower()}},
        )
        if finding.hint:
            rules[finding.code].setdefault("help", {"text": finding.hint})
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": result.report.source}}}
        if finding.path is not None:
            location["logicalLocations"] = [
                {"fullyQualifiedName": finding.path or "(model)", "kind": "member"}
            ]
        results.append(
            {
                "ruleId": finding.code,
                "level": _SARIF_LEVELS[finding.severity],
                "message": {"text": finding.message + (f" Fix: {finding.hint}" if finding.hint else "")},
                "locations": [location],
            }
        )
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "kerascope", "version": __version__, "rules": list(rules.values())}
                },
                "results": results,
            }
        ],
    }
