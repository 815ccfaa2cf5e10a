"""Weight values read into a report, when they are asked for (`values=True`).

Each weight of the chosen layers is streamed from where its reader found it
(`WeightInfo.location`, a file the report names but does not hold open) into its
`stats`, one tensor at a time, never held whole. A weight whose values the file
does not hold in a form kerascope reads (a pickle, which is never unpickled;
strings; a shard that is not there) keeps `stats` None, and one
VALUES_UNAVAILABLE finding per reason says which weights and why. Anything else
that stops a read (a chunk that inflates past its size, a checksum that fails, a
limit) ends the call in one line naming the file and the tensor: damaged values
are not reported as if they were merely absent.
"""

from __future__ import annotations

import fnmatch

from kerascope.errors import KerascopeError, ValuesUnavailable
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerLookupError, LayerNode, ModelReport, WeightInfo, short_name
from kerascope.model.vocabulary import Code

_NAMED = 6  # weights named in one finding


def chosen_layers(report: ModelReport, values: bool | str) -> list[LayerNode]:
    """The layers whose values `values` asks for: every layer (True), one layer as
    `report[values]` finds it (a path, a unique name, a top-level index), or else
    the layers whose path or name matches `values` as a glob."""
    if values is True:
        return list(report.nodes)
    if not values:
        return []
    try:
        return [report[values]]
    except LayerLookupError:
        return [
            node
            for node in report.layers
            if fnmatch.fnmatchcase(node.path, values) or fnmatch.fnmatchcase(node.name, values)
        ]


def read_values(report: ModelReport, values: bool | str, limits: Limits) -> list[Finding]:
    """Fill `stats` of every weight of the layers `values` chooses (`chosen_layers`);
    the findings of the values that could not be read."""
    layers = chosen_layers(report, values)
    missing: dict[str, list[tuple[LayerNode, str]]] = {}
    weighed = 0
    for node in layers:
        for position, weight in enumerate(node.weights):
            weighed += 1
            try:
                weight.read_stats(limits)
            except ValuesUnavailable as error:
                missing.setdefault(_reason(weight, error), []).append((node, weight_label(weight, position)))
            except KerascopeError as error:
                raise KerascopeError(f"{report.source}: {error}") from None
    found = [_unavailable(reason, weights) for reason, weights in missing.items()]
    if values is True and not weighed:
        unknown = " (its weights are unknown: see the other findings)" if report.total_params is None else ""
        found.append(
            finding(
                Code.VALUES_UNAVAILABLE, None, f"the file lists no weights, so no values were read{unknown}"
            )
        )
    return found


def weight_label(weight: WeightInfo, position: int) -> str:
    """How a finding names a layer's weight: its own name, else its position (`#1`)."""
    return short_name(weight) or f"#{position}"


def _reason(weight: WeightInfo, error: ValuesUnavailable) -> str:
    """Why, without the tensor's key the error starts with."""
    text = str(error)
    key = getattr(weight.location, "key", None)
    return text[len(key) + 2 :] if key and text.startswith(f"{key}: ") else text


def _unavailable(reason: str, weights: list[tuple[LayerNode, str]]) -> Finding:
    layers = {node.path for node, _ in weights}
    names = [f"{node.path or '(model)'}: {label}" if len(layers) > 1 else label for node, label in weights]
    shown = ", ".join(names[:_NAMED]) + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
    count = f"{len(weights)} weights" if len(weights) > 1 else "1 weight"
    return finding(
        Code.VALUES_UNAVAILABLE,
        next(iter(layers)) if len(layers) == 1 else None,
        f"the values of {count} ({shown}) were not read: {reason}",
    )
