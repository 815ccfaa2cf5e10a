"""The variables each layer holds: the file's, named and marked as Keras's rules say,
or derived from the config where the file stores none; then every total.

A `.keras` file stores a layer's variables as `vars/0`, `vars/1`, ... without
names or trainability; a legacy HDF5 file names them by the scopes they were made
in. For Keras's own classes, what `build()` creates is fixed by the class, its
config and its input shape (`LayerKnowledge.weights`): names (`kernel`, `bias`;
`gamma`, `beta`, `moving_mean`, `moving_variance`), shapes, and which train. A
stored variable is named where the count of variables and every shape the rule
fixes agree with it; it trains where its rule says so and every layer above it
is `trainable` in its config (Keras's `trainable_weights` are empty for a layer
that is not).

Where a file stores no variables for a layer (a `to_json()` architecture, a
SavedModel without its variables folder, a preset whose weights are missing, a
sublayer the file does not show), they are derived from its config and the
input shape the shape engine found, `Origin.DERIVED`; a layer of a class no rule
covers, or whose input shape is unknown, keeps unknown parameters. The sublayers
Keras creates inside its layers (`addressing/structure.py`) are built on what
their parent passes on (`Sublayer.built_on`).
"""

from __future__ import annotations

from typing import Any

from kerascope.addressing.generations import report_loader
from kerascope.addressing.structure import created_children
from kerascope.families import Build, Variable, canonical_config, known, rule_key
from kerascope.families.call import MALFORMED
from kerascope.families.dims import as_shape
from kerascope.families.knowledge import Sublayer
from kerascope.model.failures import Failures
from kerascope.model.params import sum_params
from kerascope.model.records import LayerNode, ModelReport, WeightInfo
from kerascope.model.topology import layer_entries
from kerascope.model.vocabulary import Fact, Origin, Stage
from kerascope.shapes.graph import Pass, Site

# Keras's mixed precision keeps variables in float32.
_VARIABLE_DTYPES = {"mixed_float16": "float32", "mixed_bfloat16": "float32"}


def settle_variables(report: ModelReport, sites: dict[str, list[Site]], failures: Failures) -> None:
    """Name and mark the stored variables of every layer, derive the missing ones,
    and set every total."""
    keras3 = report_loader(report).keras3
    unknown: set[str] = set()
    stack: list[tuple[LayerNode, Build | None, bool]] = [(report.root, None, True)]
    while stack:
        node, given, trains_above = stack.pop()
        children = report.children(node)
        build: Build | None = None
        trains = trains_above and _trains(node)
        try:
            build = _build(node, given, sites.get(node.path), keras3)
            if not _settle(node, build, trains):
                unknown.add(node.path)
        except Exception as error:  # noqa: BLE001 - one layer degrades (model/failures.py)
            failures.add(Stage.WEIGHT_NAMES, node.path, error)
            unknown.add(node.path)
        made = created_children(node, children, keras3) if build is not None else {}
        stack.extend((child, _built_on(made.get(child.path), build), trains) for child in reversed(children))
    sum_params(report.nodes, report.children, unknown)


def _build(node: LayerNode, given: Build | None, calls: list[Site] | None, keras3: bool) -> Build | None:
    """What the layer's `build()` sees: what its parent passes on (a sublayer
    Keras creates), its config, and the input shapes of its first call."""
    own = known(rule_key(node))
    config = node.config if isinstance(node.config, dict) else {}
    if own is not None:
        config = canonical_config(own.key, config)
    if given is not None:
        config = {**given.config, **config}
    if calls:
        inputs = list(calls[0].inputs)
        return Build(config, inputs[0] if inputs else None, node.weights, inputs, keras3)
    if given is not None:
        return Build(config, given.input_shape, node.weights, given.inputs, keras3)
    stored = as_shape(node.build_input_shape) if _flat_shape(node.build_input_shape) else None
    return Build(config, stored, node.weights, (), keras3)


def _built_on(sub: Sublayer | None, parent: Build | None) -> Build | None:
    if sub is None or parent is None:
        return None
    return sub.built_on(parent)._replace(keras3=parent.keras3)


def _settle(node: LayerNode, build: Build | None, trains: bool) -> bool:
    """The layer's own variables, named, marked or derived; False where they are unknown."""
    variables = _variables(node, build)
    if Fact.WEIGHTS in node.origin:
        _mark(node, variables, trains)
        return True
    if variables is None or any(v.shape is None or None in v.shape for v in variables):
        return False
    dtype = _dtype(node.config)
    node.weights = [WeightInfo(v.name, list(v.shape or []), dtype, trains and v.trainable) for v in variables]
    node.origin[Fact.WEIGHTS] = Origin.DERIVED
    if variables:
        node.origin[Fact.WEIGHT_NAMES] = Origin.DERIVED
    return True


def _variables(node: LayerNode, build: Build | None) -> list[Variable] | None:
    """What Keras's rule says the layer creates itself (a model's own: none), in the
    order a `.keras` file stores them (trainable at creation first)."""
    if layer_entries(node.config):
        return []
    own = known(rule_key(node))
    if own is None or own.weights is None or build is None:
        return None
    try:
        found = own.weights(build)
    except MALFORMED:  # includes OutOfRange: a number no real layer has
        return None
    if found is None:
        return None
    return [v for v in found if v.trainable] + [v for v in found if not v.trainable]


def _mark(node: LayerNode, variables: list[Variable] | None, trains: bool) -> None:
    """Stored variables: named where they carry no name, and each one's trainability
    set, where the rule's variables fit them one to one."""
    if variables is None or len(variables) != len(node.weights):
        return
    if not all(
        _fits(weight, variable.shape) for weight, variable in zip(node.weights, variables, strict=True)
    ):
        return
    named = False
    for weight, variable in zip(node.weights, variables, strict=True):
        if weight.name is None:
            weight.name, named = variable.name, True
        if weight.trainable is None:
            weight.trainable = trains and variable.trainable
    if named:
        node.origin[Fact.WEIGHT_NAMES] = Origin.DERIVED


def _fits(weight: WeightInfo, expected: list[int | None] | None) -> bool:
    if expected is None:
        return True
    if len(weight.shape) != len(expected):
        return False
    return all(want is None or have == want for have, want in zip(weight.shape, expected, strict=True))


def _trains(node: LayerNode) -> bool:
    """A layer's `trainable` flag as its config stores it (True where it stores none)."""
    return not (isinstance(node.config, dict) and node.config.get("trainable") is False)


def _flat_shape(value: Any) -> bool:
    return isinstance(value, list) and all(d is None or isinstance(d, int) for d in value)


def _dtype(config: Any) -> str:
    """The dtype of a layer's variables: its dtype policy's variable dtype."""
    policy = config.get("dtype") if isinstance(config, dict) else None
    if isinstance(policy, dict):
        inner = policy.get("config")
        policy = inner.get("name") if isinstance(inner, dict) else None
    if not isinstance(policy, str):
        return "float32"
    return _VARIABLE_DTYPES.get(policy, policy)


def expected_variables(
    report: ModelReport,
) -> dict[str, list[tuple[str, list[int | None] | None, bool]] | None]:
    """What each layer of the model a report describes holds itself, as Keras builds it
    from its config and input shapes: (name, shape, trains) of each variable in the
    order Keras keeps them (trainable at creation first); for a layer of a class no
    rule covers, what the file stores for it, where it does; else None."""
    keras3 = report_loader(report).keras3
    sites = Pass(report).run().sites
    found: dict[str, list[tuple[str, list[int | None] | None, bool]] | None] = {}
    stack: list[tuple[LayerNode, Build | None, bool]] = [(report.root, None, True)]
    while stack:
        node, given, trains_above = stack.pop()
        trains = trains_above and _trains(node)
        build = _build(node, given, sites.get(node.path), keras3)
        variables = _variables(node, build)
        if variables is not None:
            found[node.path] = [(v.name, v.shape, trains and v.trainable) for v in variables]
        elif Fact.WEIGHTS in node.origin:
            found[node.path] = [(w.name or "?", list(w.shape), trains) for w in node.weights]
        else:
            found[node.path] = None
        children = report.children(node)
        made = created_children(node, children, keras3)
        stack.extend((child, _built_on(made.get(child.path), build), trains) for child in reversed(children))
    return found
