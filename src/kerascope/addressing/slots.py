"""The variables a layer of Keras's own classes holds, itself and in its sublayers, in order.

Keras's legacy HDF5 format (`save_weights` to `.h5`, `model.save("m.h5")`) stores
one group per top-level layer, and in it that layer's `_legacy_weights`: all of
its trainable weights, then all of its non-trainable ones, its sublayers'
included (tf_keras `saving/legacy/hdf5_format.py` v2.21.0 L1093 and Keras 3
`legacy_h5_format.py` v3.15.1 L648: `layer.trainable_weights +
layer.non_trainable_weights`). Each of those lists runs over the layer's own
variables (`_trainable_weights` then `_non_trainable_weights`) and then its
sublayers', in the order it tracks them, and a variable trains only where every
layer above it does (`Layer.trainable_weights`: none at all once `trainable` is
False). Loading pairs a group's values with that list by position
(`load_weights_from_hdf5_group`), so for a layer whose classes are all known,
the list says which sublayer each stored value belongs to.

Each slot is one variable: the layer holding it, its name, whether it trains,
and its shape where the config alone fixes it (a Dense's bias: `(units,)`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from kerascope.families import Build, canonical_config, known, rule_key
from kerascope.families.call import MALFORMED
from kerascope.families.knowledge import Sublayer
from kerascope.model.records import LayerNode
from kerascope.model.topology import layer_entries


class Slot(NamedTuple):
    owner: LayerNode
    name: str
    trainable: bool
    shape: list[int | None] | None


def legacy_slots(
    node: LayerNode,
    children: Callable[[LayerNode], list[LayerNode]],
    made: dict[str, Sublayer],
    trainable: bool = True,
    keras3: bool = True,
) -> list[Slot] | None:
    """`node`'s variables in the order its legacy HDF5 group lists them, or None
    where a class below it is not Keras's own (its variables are its code's);
    named as Keras 3 (or TF-Keras) names them."""
    flat = _flat(node, children, made, trainable, keras3)
    if flat is None:
        return None
    return [slot for slot in flat if slot.trainable] + [slot for slot in flat if not slot.trainable]


def _flat(
    node: LayerNode,
    children: Callable[[LayerNode], list[LayerNode]],
    made: dict[str, Sublayer],
    trainable: bool,
    keras3: bool,
) -> list[Slot] | None:
    """Own variables (trainable at creation first), then each sublayer's, in order."""
    stack: list[tuple[LayerNode, bool, Build | None]] = [(node, trainable, Build({}, keras3=keras3))]
    found: list[Slot] = []
    while stack:
        layer, above, given = stack.pop()
        own = own_variables(layer, given)
        if own is None:
            return None
        trains = above and _trains(layer)
        found.extend(Slot(layer, name, trains and flag, shape) for name, shape, flag in own)
        if layer_entries(layer.config):
            inner = [
                (child, trains, Build({}, keras3=keras3))
                for child in children(layer)
                if child.index is not None
            ]
        else:
            parent_build = Build(_config_of(layer), keras3=keras3)
            inner = [
                (child, trains, _passed(made.get(child.path), parent_build) or Build({}, keras3=keras3))
                for child in children(layer)
            ]
        stack.extend(reversed(inner))
    return found


def own_variables(
    layer: LayerNode, given: Build | None = None
) -> list[tuple[str, list[int | None] | None, bool]] | None:
    """(name, shape, trainable at creation) of the variables a layer of a built-in
    class creates itself, trainable ones first as Keras keeps them; None for a
    class that is not Keras's own. `given` is what its parent passes on to it."""
    if layer_entries(layer.config):
        return []
    entry = known(rule_key(layer))
    if entry is None or entry.weights is None:
        return None
    config = {**(given.config if given is not None else {}), **_config_of(layer)}
    keras3 = given.keras3 if given is not None else True
    try:
        variables = entry.weights(Build(canonical_config(entry.key, config), None, keras3=keras3))
    except MALFORMED:
        return None
    if variables is None:
        return None
    ordered = [v for v in variables if v.trainable] + [v for v in variables if not v.trainable]
    return [(v.name, v.shape, v.trainable) for v in ordered]


def _config_of(layer: LayerNode) -> dict:
    return layer.config if isinstance(layer.config, dict) else {}


def _trains(layer: LayerNode) -> bool:
    """A layer's `trainable` flag as its config stores it (True where it stores none)."""
    return _config_of(layer).get("trainable", True) is not False


def config_variables(
    root: LayerNode,
    children: Callable[[LayerNode], list[LayerNode]],
    made: dict[str, Sublayer],
    keras3: bool = True,
) -> dict[str, list[tuple[str, list[int | None] | None, bool]] | None]:
    """Each layer's own variables as its config alone fixes them (the dimensions an
    input shape would fix left unknown), for every layer below `root`; None for a
    layer of a class that is not Keras's own."""
    found: dict[str, list[tuple[str, list[int | None] | None, bool]] | None] = {}
    stack: list[tuple[LayerNode, Build]] = [(root, Build({}, keras3=keras3))]
    while stack:
        node, given = stack.pop()
        found[node.path] = own_variables(node, given)
        parent_build = Build({**given.config, **_config_of(node)}, keras3=keras3)
        stack.extend(
            (child, _passed(made.get(child.path), parent_build) or Build({}, keras3=keras3))
            for child in children(node)
        )
    return found


def _passed(sub: Sublayer | None, parent: Build) -> Build | None:
    """What a sublayer Keras creates is built on, in the parent's Keras."""
    return None if sub is None else sub.built_on(parent)._replace(keras3=parent.keras3)
