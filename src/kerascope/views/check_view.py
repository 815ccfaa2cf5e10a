"""Check findings as text (coloured on a terminal) or JSON; SARIF is `sarif.py`."""

from __future__ import annotations

import json

from rich.text import Text

from kerascope.model.results import CheckResult
from kerascope.model.vocabulary import Severity
from kerascope.views.text import plural, printable

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_json(result: CheckResult) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"


def render_text(result: CheckResult) -> Text:
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
