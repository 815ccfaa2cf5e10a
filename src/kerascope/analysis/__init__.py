"""Analyses that read ModelReports: `diff` compares two, `check` finds what will
not survive saving and loading, and what is unsafe to load. Reports in, findings
(or a diff) out; nothing here opens a file or resolves a target.

Other parts use the names below, never the modules inside (an import contract
says so).
"""

from kerascope.analysis.diff import diff_reports
from kerascope.analysis.live_checks import live_findings
from kerascope.analysis.references import DANGEROUS_MODULES, KERAS_PACKAGES
from kerascope.analysis.static_checks import static_findings
from kerascope.analysis.value_diff import compare_values
from kerascope.analysis.weight_health import value_findings
from kerascope.analysis.weight_values import read_values

__all__ = [
    "DANGEROUS_MODULES",
    "KERAS_PACKAGES",
    "compare_values",
    "diff_reports",
    "live_findings",
    "read_values",
    "static_findings",
    "value_findings",
]
