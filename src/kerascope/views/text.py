"""How the human-readable views write one fact: shapes, counts, unknowns."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from kerascope.decoders import bytecode
from kerascope.decoders.bytecode import looks_like_bytecode
from kerascope.model.findings import VALUE_CODES
from kerascope.model.records import Coverage, LayerNode, ModelReport
from kerascope.model.vocabulary import Fact, Origin, Severity

UNKNOWN = "?"

# Characters a terminal acts on rather than shows: C0 controls (ESC, BEL, CR, ...),
# DEL, C1 controls (CSI, OSC as single bytes), and the bidirectional overrides that
# reorder what is shown ("Trojan source").
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every character a terminal would act on shown escaped (`\\x1b`).

    The one sanitizer for anything from a file on its way to a terminal or a
    text document: names, classes, messages, config values, errors.
    """
    return UNPRINTABLE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shape_text(shape: Any) -> str:
    """`(None, 32)` for one tensor, `[(None, 4), (None, 2)]` for several; printable."""
    return printable(_shape_text(shape))


def _shape_text(shape: Any) -> str:
    if shape is None:
        return ""
    if shape == "multiple":
        return "multiple"
    if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
        inner = ", ".join("None" if d is None else str(d) for d in shape)
        return f"({inner},)" if len(shape) == 1 else f"({inner})"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in shape.items()) + "}"
    return str(shape)


def count_text(count: int | None) -> str:
    return UNKNOWN if count is None else f"{count:,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 layer`, `2 layers` (`many` for words that do not just take an s)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def class_text(node: LayerNode) -> str:
    return printable(node.class_name) if node.class_name else UNKNOWN


def value_text(value: Any) -> str:
    """A value from a file as one printable string ("" for None)."""
    return "" if value is None else printable(str(compact(value)))


# Longer strings are shown as a digest in text views; JSON keeps every byte.
LONG_TEXT = 256


def compact(value: Any, depth: int = 0) -> Any:
    """`value` as a text view shows it: bytecode and other long opaque strings as
    `<bytecode 1.2 KiB sha256:…>` / `<text …>`, inside lists and dicts too."""
    if isinstance(value, str):
        if len(value) <= LONG_TEXT:
            return value
        if looks_like_bytecode(value):
            return str(bytecode.of_string(value))
        digest = hashlib.sha256(value.encode("utf-8", errors="replace")).hexdigest()
        return f"<text {len(value):,} characters sha256:{digest[:12]}…>"
    if depth > 32:
        return value
    if isinstance(value, dict):
        found = bytecode.keras3_lambda(value) if value.get("class_name") == "__lambda__" else None
        return str(found) if found else {key: compact(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [compact(item, depth + 1) for item in value]
    return value


def footer_lines(report: ModelReport) -> list[str]:
    """Parameter totals, the cost of one forward pass, then why layers have no config."""
    lines = [f"Total params: {count_text(report.total_params)}"]
    if report.total_params is not None and report.trainable_params is None:
        lines.append("Trainable params: unknown (the file does not record which variables train)")
    else:
        lines.append(f"Trainable params: {count_text(report.trainable_params)}")
        lines.append(f"Non-trainable params: {count_text(report.non_trainable_params)}")
    lines += cost_lines(report)
    lines += source_lines(report)
    lines += value_lines(report)
    unstored: dict[str, int] = {}
    for node in report.layers:
        if raised_config_error(node):
            lines.append(printable(f"No config for {node.path}: {node.config_error}"))
        elif node.config_error:
            unstored[node.config_error] = unstored.get(node.config_error, 0) + 1
    if raised_config_error(report.root):
        lines.append(printable(f"No config for {report.root.name}: {report.root.config_error}"))
    for reason, count in unstored.items():
        lines.append(printable(f"{plural(count, 'layer')} without a config: {reason}"))
    if any(node.class_name is None for node in report.layers):
        lines.append("? = unknown")
    return lines


def value_lines(report: ModelReport) -> list[str]:
    """What reading the weights' values found (`--values`), one finding a line."""
    return [
        printable(
            f"{finding.severity.value} {finding.code.value} {finding.path or '(model)'}: {finding.message}"
        )
        for finding in report.findings
        if finding.code in VALUE_CODES
    ]


def source_lines(report: ModelReport) -> list[str]:
    """What the source says beside the layers: serving signatures, a preset's or a
    foreign config's metadata, and the bytes a remote read fetched."""
    lines = []
    for name, signature in (report.signatures or {}).items():
        if not isinstance(signature, dict):
            continue
        inputs = _tensors_text(signature.get("inputs"))
        outputs = _tensors_text(signature.get("outputs"))
        lines.append(printable(f"Signature {name}: {inputs} -> {outputs}"))
    for key, value in (report.metadata or {}).items():
        label = _METADATA_LABELS.get(key) or key.replace("_", " ").capitalize()
        lines.append(printable(f"{label}: {_metadata_text(value)}"))
    if report.bytes_fetched is not None:
        lines.append(f"Fetched: {byte_text(report.bytes_fetched)} by range requests")
    return lines


# How the metadata keys readers use read in a footer.
_METADATA_LABELS = {
    "keras_hub_version": "KerasHub version",
    "parameter_count": "Parameter count in metadata.json",
    "config": "Architecture from",
}


def _tensors_text(tensors: Any) -> str:
    if not isinstance(tensors, dict) or not tensors:
        return "(none)"
    parts = []
    for name, tensor in tensors.items():
        tensor = tensor if isinstance(tensor, dict) else {}
        shape = tensor.get("shape")
        dims = "?" if shape is None else "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
        parts.append(f"{name} {tensor.get('dtype') or '?'} {dims}")
    return ", ".join(parts)


def _metadata_text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key.replace('_', ' ')} {_metadata_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_metadata_text(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "?" if value is None else str(value)


def cost_lines(report: ModelReport) -> list[str]:
    """FLOPs and memory of one forward pass, as the footer says them. Where some
    layers have no figure, the sum over those that have one is said as what it is,
    a lower bound, with the layers it leaves out."""
    assumed = report.assumptions or {}
    batch = f"batch {assumed.get('batch_size', 1)}"
    lines = []
    flops, macs = report.coverage("flops"), report.coverage("macs")
    if flops.complete or flops.at_least:
        work = f"{si(flops.at_least)}, {si(macs.at_least)} multiply-adds"
        lines.append(f"FLOPs, one forward pass at {batch}: {_covered(report, flops, work)}")
    if report.root.weight_bytes is not None:
        lines.append(f"Weights: {byte_text(report.root.weight_bytes)}")
    memory = report.coverage("activation_bytes")
    if memory.complete or memory.at_least:
        lines.append(
            f"Activations, one forward pass at {batch}: "
            f"{_covered(report, memory, byte_text(memory.at_least))}"
        )
    return lines


def cost_text(report: ModelReport, figure: str, shown: Callable[[int | None], str]) -> str:
    """One cost figure (`flops`, `macs`, `activation_bytes`) as the footer says it:
    the whole, or a lower bound naming the layers it leaves out; `?` where no layer
    has one."""
    found = report.coverage(figure)
    if not (found.complete or found.at_least):
        return UNKNOWN
    return _covered(report, found, shown(found.at_least))


def _covered(report: ModelReport, found: Coverage, amount: str) -> str:
    """`1.2 G (estimate)`, or `at least 1.2 G (estimate); 2 layers unpriced: a (Resizing), b (Lambda)`."""
    estimate = " (estimate)" if found.estimated else ""
    if found.complete:
        return f"{amount}{estimate}"
    named = [
        f"{printable(path or report.root.name)} ({class_text(report[path] if path else report.root)})"
        for path in found.unpriced[:UNPRICED_SHOWN]
    ]
    more = len(found.unpriced) - len(named)
    listed = ", ".join(named) + (f" and {more:,} more" if more else "")
    return f"at least {amount}{estimate}; {plural(len(found.unpriced), 'layer')} unpriced: {listed}"


# How many unpriced layers a footer names before it counts the rest.
UNPRICED_SHOWN = 3


def si(count: int | None) -> str:
    """1.15 G, 574 M, 12.3 k: the size of a count at a glance."""
    if count is None:
        return UNKNOWN
    for factor, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if count >= factor:
            return f"{count / factor:.3g} {unit}"
    return str(count)


def byte_text(count: int | None) -> str:
    if count is None:
        return UNKNOWN
    for factor, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if count >= factor:
            return f"{count / factor:.3g} {unit}"
    return f"{count} B"


def raised_config_error(node: LayerNode) -> bool:
    """True when the layer's own `get_config()` raised, as opposed to a file not storing it."""
    return bool(node.config_error) and node.origin.get(Fact.CONFIG) == Origin.LIVE


def title(report: ModelReport) -> str:
    root = report.root
    facts = [f"{printable(root.name)} ({class_text(root)})", report.layer_count_text()]
    if report.keras_version:
        facts.append(f"Keras {printable(report.keras_version)}")
    if report.backend:
        facts.append(printable(report.backend))
    return " · ".join(facts)


def findings_banner(report: ModelReport) -> str | None:
    """One line counting the report's findings by severity, or None when there are none."""
    if not report.findings:
        return None
    counts = {severity: 0 for severity in sorted(Severity, key=lambda s: -s.rank)}
    for finding in report.findings:
        counts[finding.severity] += 1
    parts = [
        plural(count, severity.value, many="info" if severity == Severity.INFO else None)
        for severity, count in counts.items()
        if count
    ]
    source = printable(report.source)
    return f"Findings: {', '.join(parts)} (run kerascope check {source} for details)"
