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

from collections.abc import Callable

from kerascope.analysis.custom_names import class_findings, name_findings, training_findings
from kerascope.analysis.keras_names import generation_of
from kerascope.analysis.references import layer_findings, reference_findings
from kerascope.model.failures import RAISE, Failures
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.topology import layer_entries
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Stage

LayerCheck = Callable[[LayerNode], list[Finding]]


def static_findings(report: ModelReport, failures: Failures = RAISE) -> list[Finding]:
    """Every unsafe shape in the report's configs, names and training config, plus
    what its reader found in the file.

    Each check runs on each layer on its own: one that raises on a layer is handed
    to `failures` (by default, raised) and the other checks and layers go on."""
    findings = list(report.findings)
    every_layer, own_config = _layer_checks(report)
    for node in report.nodes:
        # A config inside its parent's is checked there.
        for part, check in every_layer if _config_is_a_parents(node) else own_config:
            try:
                findings += check(node)
            except Exception as error:  # noqa: BLE001 - one layer's check degrades (model/failures.py)
                failures.add(Stage.CHECKS, node.path, error, part)
    if report.training_config is not None:
        try:
            findings += _training_findings(report)
        except Exception as error:  # noqa: BLE001 - as a layer's check
            failures.add(Stage.CHECKS, report.root.path, error, "training config")
    # What a loader deserializes beside the layers (a preset's tokenizer.json, ...) is
    # loader input as much as a layer's config.
    for where, companion in (report.companion_configs or {}).items():
        try:
            findings += reference_findings(companion, report.root.path, where)
        except Exception as error:  # noqa: BLE001 - as a layer's check
            failures.add(Stage.CHECKS, report.root.path, error, where)
    return _unique(findings)


def _layer_checks(report: ModelReport) -> tuple[list[tuple[str, LayerCheck]], list[tuple[str, LayerCheck]]]:
    """The checks of every layer, and of a layer whose config is its own, each named."""
    generation = generation_of(report.keras_version)
    every_layer: list[tuple[str, LayerCheck]] = [("layer names", _suspicious_names)]
    own_config = list(every_layer)
    if report.format != Format.LIVE:
        own_config.append(("classes outside Keras", class_findings))
    if _names_checked(report):
        own_config.append(("names Keras looks up", lambda node: name_findings(node, generation)))
    own_config.append(("references in the config", _references))
    return every_layer, own_config


def _references(node: LayerNode) -> list[Finding]:
    return layer_findings(node.class_name, node.config, node.path, bool(layer_entries(node.config)))


def _training_findings(report: ModelReport) -> list[Finding]:
    findings = reference_findings(report.training_config, report.root.path, "training_config")
    if _names_checked(report):
        findings += training_findings(
            report.training_config, report.root.path, generation_of(report.keras_version)
        )
    return findings


def _names_checked(report: ModelReport) -> bool:
    """Whether names Keras looks up are checked: in a file read statically, and not in
    TensorFlow.js, which resolves names in its own tables (kerascope does not hold them)."""
    return report.format not in (Format.LIVE, Format.TFJS)


def _config_is_a_parents(node: LayerNode) -> bool:
    """A sublayer no model lists (the weights show it, or Keras's own class creates
    it) whose class and config come from its parent's own config (a wrapper's
    `layer`): the same object, already walked there."""
    shown = node.origin.get(Fact.STRUCTURE) in (Origin.WEIGHTS, Origin.DERIVED)
    return shown and node.origin.get(Fact.CONFIG) == Origin.CONFIG


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
