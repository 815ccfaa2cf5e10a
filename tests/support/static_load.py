"""A static report against the `--load` report of the same file: the model Keras's own
loader makes of it, walked live.

For a model made only of Keras's own layers, a static read knows every layer Keras
creates (the sublayers its classes make included), its class, its weights' names
and shapes, and its totals; all of it must be what the loaded model has. Two
spellings are one: a class Keras 1/2 serialized under an older name (`Model` for
`Functional`), and the name Keras generates for a sublayer created without one
(`softmax_3`), whose number depends on how many such layers the process made
before.
"""

from __future__ import annotations

from kerascope.families import known, known_class, rule_key
from kerascope.families.naming import is_generated_name
from kerascope.families.registry import current_name
from kerascope.model import LayerNode, ModelReport, Role

TOTALS = ("total_params", "trainable_params", "non_trainable_params")


def built_in_only(report: ModelReport) -> bool:
    """Every layer of the file is of one of Keras's own classes (a file without a
    config, whose classes are unknown, is not), and nothing in it is unsafe or
    custom (Keras's `safe_mode=True` loads it as it is)."""
    return all(known(rule_key(node)) is not None for node in report.nodes) and not any(
        finding.severity == "error" or finding.code in ("CUSTOM_CLASS", "FOREIGN_MODULE")
        for finding in report.findings
    )


def differences(static: ModelReport, loaded: ModelReport) -> list[str]:
    """Every way the static report differs from the loaded one, in a line each."""
    ours, theirs = _by_path(static), _by_path(loaded)
    found = []
    if set(ours) != set(theirs):
        found.append(
            f"paths: static only {sorted(set(ours) - set(theirs))}, loaded only {sorted(set(theirs) - set(ours))}"
        )
    for path in sorted(set(ours) & set(theirs)):
        a, b = ours[path], theirs[path]
        if _class(a) != _class(b):
            found.append(f"{path or '(root)'}: class {a.class_name} != {b.class_name}")
        if _names(a) != _names(b):
            found.append(f"{path or '(root)'}: weight names {_names(a)} != {_names(b)}")
        if [w.shape for w in a.weights] != [w.shape for w in b.weights]:
            found.append(
                f"{path or '(root)'}: weight shapes {[w.shape for w in a.weights]} != {[w.shape for w in b.weights]}"
            )
        for total in TOTALS:
            if getattr(a, total) != getattr(b, total):
                found.append(f"{path or '(root)'}: {total} {getattr(a, total)} != {getattr(b, total)}")
    return found


def _by_path(report: ModelReport) -> dict[str, LayerNode]:
    """Nodes by path, each generated sublayer name taken back to its class's."""
    renamed = {"": ""}
    found = {}
    for node in report.nodes:
        if not node.path:
            found[""] = node
            continue
        parent, _, segment = node.path.rpartition("/")
        generated = node.role == Role.SUBLAYER and is_generated_name(node.name, node.class_name)
        own = known_class(node.class_name)
        if generated and own is not None:
            segment = f"<{own.key}>"
        renamed[node.path] = f"{renamed[parent]}/{segment}" if parent else segment
        found[renamed[node.path]] = node
    return found


def _class(node: LayerNode) -> str | None:
    return current_name(node.class_name) if node.class_name else None


def _names(node: LayerNode) -> list[str | None]:
    """A weight's own name: the scopes before it are where it was created."""
    return [
        (weight.name or "").replace("\\", "/").split("/")[-1].removesuffix(":0") or None
        for weight in node.weights
    ]
