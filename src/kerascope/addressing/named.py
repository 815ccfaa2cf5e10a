"""Weights a file lists by name: legacy HDF5 groups, TensorFlow.js manifests, Orbax trees.

A legacy HDF5 file has one group per top-level layer (`layer_names`), listing
that layer's weights in `weight_names`; TensorFlow.js lists every weight of the
model by name; Orbax keys each by its variable's path. The names are the scopes
the variables were created in (`dense_1/kernel:0`, `bi/forward_lstm/lstm_cell/
kernel`, Keras >= 3.3 `sequential/dense/kernel` with its model's name first):
names the layers had when the variables were made, which is not always the name
a layer has now (a Keras 2 layer renamed after it was built keeps `dense/kernel`
in a group `learned_features1`). A scope is therefore a name, never a layer by
itself:

- Keras's legacy loader pairs a group's values with its layer's `_legacy_weights`
  by position (`load_weights_from_hdf5_group`, tf_keras `hdf5_format.py` v2.21.0
  L780-861, Keras 3 `legacy_h5_format.py` v3.15.1 L332-424). Where every class in
  the layer is Keras's own, the list of its variables is known (`slots.py`), and
  each stored value goes to the variable it loads into, in its cell, its
  forward layer, its projection: exactly where Keras puts it.
- Where a name must decide (TensorFlow.js loads each weight into the variable of
  its name, tfjs-layers `loadWeights` in `container.ts`; Keras loads an Orbax
  tree into the variables of its paths, `Model.set_state_tree`; a layer whose
  classes are not all known), its scopes are followed down the layers the tree
  holds, taking the models around the layer off the front (`sequential/`), and a
  scope that names no layer there is a name: it becomes a layer only inside a
  custom layer, whose sublayers only the names show (`block/attention/query`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kerascope.addressing.slots import Slot, legacy_slots
from kerascope.families import Sublayer, known, rule_key
from kerascope.model.records import LayerNode, WeightInfo
from kerascope.model.topology import lists_layers
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Origin


def place_group(
    tree: LayerTree, top: LayerNode, weights: Sequence[WeightInfo], made: dict[str, Sublayer], keras3: bool
) -> None:
    """A legacy HDF5 group's weights, listed for the layer `top`: by position where
    its variables are known, else by name; its layers are those Keras 3 (or
    TF-Keras, where `keras3` is False) makes."""
    slots = legacy_slots(top, tree.children, made, keras3=keras3)
    if slots is not None and len(slots) == len(weights):
        _fill(tree, top, list(zip(weights, slots, strict=True)))
        return
    place_named(tree, top, weights, made, keras3)


def place_named(
    tree: LayerTree, at: LayerNode, weights: Sequence[WeightInfo], made: dict[str, Sublayer], keras3: bool
) -> list[LayerNode]:
    """Attach each weight below `at` by its name's scopes, `weights` being every
    weight the file holds below `at`; the layer each went to."""
    buckets: dict[str, tuple[LayerNode, list[tuple[WeightInfo, list[str]]]]] = {}
    for weight in weights:
        owner, rest = _resolve(tree, at, _scopes(weight.name))
        buckets.setdefault(owner.path, (owner, []))[1].append((weight, rest))
    for node in _subtree(tree, at):  # the file lists every weight below `at`
        node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    owners: dict[int, LayerNode] = {}
    for owner, named in buckets.values():
        for weight, holder in _settle(tree, owner, named, made, keras3):
            owners[id(weight)] = holder
    return [owners[id(weight)] for weight in weights]


def _settle(
    tree: LayerTree,
    owner: LayerNode,
    named: list[tuple[WeightInfo, list[str]]],
    made: dict[str, Sublayer],
    keras3: bool,
) -> list[tuple[WeightInfo, LayerNode]]:
    """The weights names put at `owner`, each on the variable of its layer or a
    sublayer whose name ends as its does; by position when names cannot say."""
    slots = legacy_slots(owner, tree.children, made, keras3=keras3)
    if slots:
        paired = _by_name(owner, named, slots)
        if paired is None and len(slots) == len(named):
            paired = list(zip([weight for weight, _ in named], slots, strict=True))
        if paired is not None:
            _fill(tree, owner, paired)
            return [(weight, slot.owner) for weight, slot in paired]
    for weight, _ in named:
        owner.weights.append(weight)
    owner.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    return [(weight, owner) for weight, _ in named]


def _by_name(
    owner: LayerNode, named: list[tuple[WeightInfo, list[str]]], slots: list[Slot]
) -> list[tuple[WeightInfo, Slot]] | None:
    """Each weight to the one slot whose layers and name, below `owner`, end as the
    weight's remaining scopes and name do; None unless every weight has one, each
    its own."""
    keyed = [([*_below(owner, slot.owner), slot.name], slot) for slot in slots]
    paired, used = [], set()
    for weight, rest in named:
        wanted = [*rest, _leaf(weight.name)]
        fitting = [slot for parts, slot in keyed if parts[-len(wanted) :] == wanted and id(slot) not in used]
        if len(fitting) != 1:
            return None
        used.add(id(fitting[0]))
        paired.append((weight, fitting[0]))
    return paired


def _fill(tree: LayerTree, top: LayerNode, paired: list[tuple[WeightInfo, Slot]]) -> None:
    """Each weight on its slot's layer, trainable as the slot; every layer below
    `top` has been given what the file holds for it (nothing, for some)."""
    for node in _subtree(tree, top):
        node.weights = []
        node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    for weight, slot in paired:
        if weight.trainable is None:  # what the file says (an Orbax tree's group) stands
            weight.trainable = slot.trainable
        slot.owner.weights.append(weight)


def _subtree(tree: LayerTree, top: LayerNode) -> list[LayerNode]:
    found, stack = [], [top]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(tree.children(node))
    return found


def _below(owner: LayerNode, node: LayerNode) -> list[str]:
    """The names of the layers from just below `owner` down to `node`."""
    if node.path == owner.path:
        return []
    relative = node.path[len(owner.path) + 1 :] if owner.path else node.path
    return [part.partition("#")[0] for part in relative.split("/")]


def _scopes(name: str | None) -> list[str]:
    return [scope for scope in (name or "").replace("\\", "/").split("/") if scope]


def _leaf(name: str | None) -> str:
    parts = _scopes(name)
    return parts[-1].removesuffix(":0") if parts else ""


def _resolve(tree: LayerTree, at: LayerNode, parts: list[str]) -> tuple[LayerNode, list[str]]:
    """The layer below `at` a weight's scopes lead to, and the scopes left over:
    the models around `at` taken off the front, then each scope that names a
    layer there (a child, or the one layer of that name further down: Keras 2
    scopes skip a nested model's name). Inside a custom layer a scope naming no
    layer is a sublayer only its weights show; anywhere else it is a name."""
    scopes = parts[:-1]
    owner = at
    position = _enclosing(tree, at, scopes)
    while position < len(scopes):
        scope = scopes[position]
        found = tree.child(owner, scope) or tree.unique_below(owner, scope)
        if found is None:
            if not _custom(owner):
                break
            found = tree.add_hidden(owner, scope)
        owner = found
        position += 1
    return owner, scopes[position:]


def _custom(node: LayerNode) -> bool:
    """A layer whose sublayers are its own code's: not a model whose config lists
    its layers, and not of a class Keras's knowledge covers."""
    return not lists_layers(node.config) and known(rule_key(node)) is None


def _enclosing(tree: LayerTree, top: LayerNode, scopes: list[str]) -> int:
    """How many leading scopes name `top` and the models around it: the longest
    run of the names from the root down to `top` (or to its parent) that the
    scopes start with."""
    chain = [tree[path].name for path in _ancestry(top.path)]
    for end in (len(chain), len(chain) - 1):
        for start in range(end):
            if scopes[: end - start] == chain[start:end]:
                return end - start
    return 0


def _ancestry(path: str) -> list[str]:
    """The paths from the root's ("") down to `path`."""
    parts = path.split("/") if path else []
    return ["/".join(parts[:depth]) for depth in range(len(parts) + 1)]
