"""The names Keras gives a built-in layer's weights, for files that store none.

A `.keras` file stores each layer's variables as `vars/0`, `vars/1`, ... in the
order Keras 3's `build()` creates them (trainable first, then non-trainable),
without their names. For Keras's own classes that order is fixed by the class
and its config (`use_bias`, `center`, `scale`), so the names follow from the
class's weight rule (`LayerKnowledge.weights`): `kernel`, `bias`; `gamma`,
`beta`, `moving_mean`, `moving_variance`; ... A name is set only when the number
of variables and every shape the config determines match what the rule
expects; otherwise the names stay unknown.

Sublayers a built-in layer creates in its own code (a recurrent layer's cell,
MultiHeadAttention's projections) have no config in the file, but their class is
fixed by their parent's class and their name (`LayerKnowledge.sublayers`), so
they are named the same way.
"""

from __future__ import annotations

from typing import Any

from kerascope.families.call import MALFORMED
from kerascope.families.knowledge import Build, WeightRule
from kerascope.families.registry import known
from kerascope.families.spelling import canonical_config, rule_key
from kerascope.model.records import LayerNode, ModelReport, WeightInfo
from kerascope.model.vocabulary import Fact, Origin


def name_layer_weights(report: ModelReport, node: LayerNode) -> None:
    """Set the names of a built-in layer's weights where the file stores none."""
    if not node.weights or all(weight.name is not None for weight in node.weights):
        return
    found = _rule_for(report, node)
    if found is None:
        return
    rule, config = found
    try:
        variables = rule(Build(config, None, node.weights))
    except MALFORMED:  # includes OutOfRange: a number no real layer has
        return
    if variables is None or len(variables) != len(node.weights):
        return
    if all(_fits(weight, shape) for weight, (_, shape, _) in zip(node.weights, variables, strict=True)):
        for weight, (name, _, _) in zip(node.weights, variables, strict=True):
            weight.name = name
        node.origin[Fact.WEIGHT_NAMES] = Origin.DERIVED


def _rule_for(report: ModelReport, node: LayerNode) -> tuple[WeightRule, dict[str, Any]] | None:
    key = rule_key(node)
    own = known(key)
    if own is not None and own.weights is not None:
        return own.weights, canonical_config(own.key, node.config)
    if node.class_name is not None:
        return None
    parent = report.parent(node)
    parent_key = rule_key(parent) if parent is not None else None
    creator = known(parent_key)
    created = creator.sublayer(node.name) if creator is not None else None
    rule = getattr(known(created.class_name), "weights", None) if created is not None else None
    if created is None or rule is None:
        return None
    return rule, created.config(canonical_config(creator.key, parent.config))  # type: ignore[union-attr]


def _fits(weight: WeightInfo, expected: list[int | None] | None) -> bool:
    if expected is None:
        return True
    if len(weight.shape) != len(expected):
        return False
    return all(want is None or have == want for have, want in zip(weight.shape, expected, strict=True))
