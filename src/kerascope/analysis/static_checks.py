"""Unsafe content in a model, found by reading its configs as data.

Each check names a shape a loader has been tricked by: Lambda bytecode (which a
loader unmarshals and runs), references to modules outside Keras's own packages
(CVE-2025-1550: a loader imports the module and calls what it names), Keras
utilities used as gadgets (CVE-2025-8747, CVE-2025-9906), layers that reach
outside the file (CVE-2026-1462, CVE-2025-12058), pickles, and classes whose
code the file does not hold. Nothing is executed: the checks only look at
strings and structure (`references`, `custom_names`).
"""

from __future__ import annotations

from kerascope.analysis.custom_names import class_findings, name_findings, training_findings
from kerascope.analysis.keras_names import generation_of
from kerascope.analysis.references import layer_findings, reference_findings
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.topology import layer_entries
from kerascope.model.vocabulary import Code, Fact, Format, Origin


def static_findings(report: ModelReport) -> list[Finding]:
    """Every unsafe shape in the report's configs, names and training config, plus
    what its reader found in the file."""
    findings = list(report.findings)
    static = report.format != Format.LIVE
    # TensorFlow.js resolves names in its own tables, which kerascope does not hold.
    names_checked = static and report.format != Format.TFJS
    generation = generation_of(report.keras_version)
    for node in report.nodes:
        findings += _suspicious_names(node)
        if _config_is_a_parents(node):
            continue  # its config is inside its parent's, checked there
        if static:
            findings += class_findings(node)
        if names_checked:
            findings += name_findings(node, generation)
        findings += layer_findings(node.class_name, node.config, node.path, bool(layer_entries(node.config)))
    if report.training_config is not None:
        findings += reference_findings(report.training_config, report.root.path, "training_config")
        if names_checked:
            findings += training_findings(report.training_config, report.root.path, generation)
    return _unique(findings)


def _config_is_a_parents(node: LayerNode) -> bool:
    """A sublayer the weights show whose class and config come from its parent's
    own config (a wrapper's `layer`): the same object, already walked there."""
    return node.origin.get(Fact.STRUCTURE) == Origin.WEIGHTS and node.origin.get(Fact.CONFIG) == Origin.CONFIG


def _suspicious_names(node: LayerNode) -> list[Finding]:
    config = node.config if isinstance(node.config, dict) else {}
    # The name the model's links use, and the one a loader gives the layer (its config's).
    names = dict.fromkeys(name for name in (node.name, config.get("name")) if isinstance(name, str))
    return [
        finding(Code.SUSPICIOUS_LAYER_NAME, node.path, f"layer name {name!r} holds '/' or '..'")
        for name in names
        if "/" in name or ".." in name
    ]


def _unique(findings: list[Finding]) -> list[Finding]:
    seen, kept = set(), []
    for found in findings:
        key = (found.code, found.path, found.message)
        if key not in seen:
            seen.add(key)
            kept.append(found)
    return kept
