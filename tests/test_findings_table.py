"""Every finding code has one meaning (severity and fix), and SECURITY.md says the same."""

from __future__ import annotations

import re
from pathlib import Path

from kerascope.model.findings import MEANINGS
from kerascope.model.vocabulary import Code, Severity

SECURITY = Path(__file__).resolve().parents[1] / "SECURITY.md"
# Found by running a layer's own code (check on a live model), not by reading a file.
LIVE_CODES = {
    Code.GET_CONFIG_RAISES,
    Code.MISSING_GET_CONFIG,
    Code.CONFIG_OMITS_ARGUMENTS,
    Code.FROM_CONFIG_RAISES,
    Code.ROUND_TRIP_DIFFERS,
    Code.CONFIG_NOT_JSON,
    Code.UNREGISTERED_CLASS,
}


def test_every_code_has_a_severity_and_a_fix():
    assert set(MEANINGS) == set(Code)
    for code, meaning in MEANINGS.items():
        assert isinstance(meaning.severity, Severity), code
        assert meaning.fix.strip() and "\n" not in meaning.fix, code


def _codes_in(text: str) -> set[str]:
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text)) - {"GADGET_FUNCTIONS"}  # a list, not a code


def test_security_md_lists_each_static_code_under_its_severity():
    text = SECURITY.read_text("utf-8")
    section = text[text.index("## What `kerascope check` finds") : text.index("## How it is tested")]
    errors = _codes_in(section[section.index("Error level") : section.index("Warnings:")])
    warnings = _codes_in(section[section.index("Warnings:") :])
    known = {code.value for code in Code}
    assert errors <= known and warnings <= known
    assert {c for c in errors if MEANINGS[Code(c)].severity != Severity.ERROR} == set()
    assert {c for c in warnings if MEANINGS[Code(c)].severity != Severity.WARNING} == set()
    static = {code.value for code in Code if code not in LIVE_CODES}
    assert static - errors - warnings == set()
