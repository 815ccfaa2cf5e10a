"""A stage of the pipeline that fails on a layer leaves its fact unknown and says so
in a finding; the report goes on. That is for users: in the tests, any such finding
on a real file is a bug in kerascope that degradation must not hide."""

from __future__ import annotations

from typing import Any

from kerascope.model import Code

FAILED = {Code.STAGE_FAILED, Code.CHECK_FAILED}


def assert_every_stage_ran(report: Any) -> None:
    """No stage failed on any layer of `report` (a ModelReport, or its JSON document)."""
    findings = report["findings"] if isinstance(report, dict) else [f.to_dict() for f in report.findings]
    failed = [f"{f['code']} {f['path']}: {f['message']}" for f in findings if f["code"] in FAILED]
    assert not failed, failed
