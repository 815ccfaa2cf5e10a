"""Keras 3's and TF-Keras's `saving_lib`: where each layer's weights are, and finding them.

Saving walks the model's objects and gives each a group named by the path of
attributes that reached it (`_save_state`, `_walk_saveable` in
`keras/src/saving/saving_lib.py`); loading walks a freshly built model the same
way and asks the file for the same paths, never for a name (`_load_state`). So a
layer's group is found by computing its path, as Keras does:

- The model's own variables are at `vars`; each saved object's at `<path>/vars`,
  numbered `0, 1, ...` (trainable at creation first).
- A Functional or Sequential model's layers are items of the list `layers`, each
  named by its Python class in snake case with a counter per class within the
  list (`_save_container_state`: `dense`, `dense_1`; the counter advances for
  every item, saved before or not): `layers/dense_1/vars`. A Sequential's list
  leaves out its InputLayer; a Keras 3 operation called in a functional graph
  (`keras.ops.add`) is in no list. TF-Keras 2.12 to 2.14 saved the list as
  `_layer_checkpoint_dependencies` (2.15 skips that attribute, commit
  bd465a78e6), and 2.12 and 2.13 counted each layer with weights twice there
  (`lstm`, `lstm_2`; 2.14 skips a saved item before counting, commit
  0454a40386): `Generation.layers_attribute`, `Generation.counts_repeats`.
- A layer's sublayers are at the attributes holding them: a recurrent layer's
  `cell`, a Bidirectional's `forward_layer` and `backward_layer`, a
  TimeDistributed's `layer`, MultiHeadAttention's `query_dense` (Keras >= 3.0.5;
  `_query_dense` before, and in TF-Keras). Where Keras keeps a built-in layer's
  sublayers is the families' knowledge (`Sublayer.attribute`, `aliases`,
  `tf_keras_attribute`); every attribute a generation saves one under is looked
  for. A custom layer's attributes are whatever its code chose: every group
  below it is one of its sublayers (looked through lists: `blocks/dense`),
  named as Keras >= 3.6 stored it on the group (attribute `name`), else by its key.
- Beside the model's root: `optimizer` (Keras 3, TF-Keras) and `metrics`
  (TF-Keras), which are not layers.

What the walk finds is what Keras's loader finds: a group for a layer the store
lacks is `missing` (Keras reads an empty group for it), a group holding
variables that no layer's path reaches is `unexpected` (Keras never reads it),
and where Keras >= 3.6 stored a name on a group that is not the name of the
layer whose path reaches it, the store's layers are not the model's
(`stored_names`). Whether that makes Keras fail depends on what each layer
holds, which the shape engine knows; `prediction.py` says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kerascope.addressing.generations import Generation
from kerascope.addressing.stores import VARS, HoldsVariables, WeightStore, variable_keys
from kerascope.addressing.structure import python_class
from kerascope.decoders.hdf5 import join
from kerascope.families import Sublayer, known, rule_key
from kerascope.model.naming import to_snake_case
from kerascope.model.records import LayerNode
from kerascope.model.topology import layer_entries
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Origin, Role

LAYERS = "layers"
LAYER_DEPENDENCIES = "_layer_checkpoint_dependencies"
# Groups beside the layers at the root of a weights file that are not layers.
ROOT_EXTRAS = frozenset({"optimizer", "metrics"})


@dataclass
class Addressed:
    """What Keras's paths find in a store, for the layers of one tree."""

    groups: dict[str, str] = field(default_factory=dict)  # layer path -> its group
    unknown: set[str] = field(default_factory=set)  # layers whose variables cannot be read


@dataclass(frozen=True)
class Naming:
    """How a walk names the groups it looks for: as the Keras that wrote the store
    (`saver`, where known: reading a file) or as the Keras loading it (`loader`,
    which counts a list's layers by what the model holds, `weighted`)."""

    saver: Generation | None = None
    loader: Generation | None = None
    weighted: Callable[[LayerNode], bool] | None = None


Grow = Callable[[LayerTree, LayerNode], dict[str, Sublayer]]


def attach(
    tree: LayerTree,
    store: WeightStore,
    saver: Generation | None,
    at: LayerNode,
    made: dict[str, Sublayer],
    naming: Naming | None = None,
    grow: Grow | None = None,
) -> Addressed:
    """Give every layer of the subtree at `at` the variables at its path in `store`
    (saved from that layer: a preset's backbone weights go to the backbone), adding
    the sublayers of custom layers that only the weights show. `saver` is the Keras
    that wrote the store, where known; `made` the sublayers Keras's own layers
    create (`structure.expand`); `naming`, when given, names paths as a loader does.
    A sublayer a custom layer's config holds serialized, itself a model (a
    subclassed model's encoder given to its constructor), is grown by `grow` from
    that config, its own layers' sublayers added to `made`."""
    found = Addressed()
    holds = HoldsVariables(store)
    rule = naming or Naming(saver=saver)
    fallback = rule.loader is not None and rule.loader.keras3 and store.is_group(LAYER_DEPENDENCIES)
    stack = [(at, "")]
    while stack:
        node, group = stack.pop()
        found.groups[node.path] = group
        _own_variables(node, store, group, found)
        pairs = list(_children(tree, store, node, group, rule, made, holds, found, fallback, grow))
        stack.extend(reversed(pairs))
    return found


def _own_variables(node: LayerNode, store: WeightStore, group: str, found: Addressed) -> None:
    path = join(group, VARS)
    if not store.is_group(path):
        return
    node.weights = [store.weight(join(path, key)) for key in variable_keys(store, path)]
    node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    if store.unreadable(path):
        found.unknown.add(node.path)
        del node.origin[Fact.WEIGHTS]


def _children(
    tree: LayerTree,
    store: WeightStore,
    node: LayerNode,
    group: str,
    rule: Naming,
    made: dict[str, Sublayer],
    holds: HoldsVariables,
    found: Addressed,
    fallback: bool,
    grow: Grow | None,
) -> Iterator[tuple[LayerNode, str]]:
    """Each child of `node` and its group: the model's listed layers at their
    counted names, built-in sublayers at their attributes, and for a custom layer
    every group below it."""
    keys = [key for key in store.children(group) if key != VARS and store.is_group(join(group, key))]
    if group == "":
        keys = [key for key in keys if key not in ROOT_EXTRAS]
    left = dict.fromkeys(keys)
    children = tree.children(node)
    if layer_entries(node.config):
        listed = sorted((c for c in children if c.index is not None and c.path not in made), key=_index)
        if rule.loader is not None:
            container = rule.loader.layers_attribute
            left.pop(LAYERS, None)
            left.pop(LAYER_DEPENDENCIES, None)
        else:
            present = [key for key in (LAYERS, LAYER_DEPENDENCIES) if key in left]
            container = present[0] if present else (rule.saver.layers_attribute if rule.saver else LAYERS)
            left.pop(container, None)
        yield from _listed(store, join(group, container), listed, rule, holds, fallback)
    built_in = known(rule_key(node)) is not None
    created = [c for c in children if c.path in made]
    yield from _created(store, group, created, made, left, rule.loader)
    if built_in or layer_entries(node.config):
        return
    yield from _revealed(tree, store, node, group, list(left), found, made, grow)


def _index(node: LayerNode) -> int:
    return node.index or 0


def _listed(
    store: WeightStore,
    container: str,
    listed: list[LayerNode],
    rule: Naming,
    holds: HoldsVariables,
    fallback: bool,
) -> Iterator[tuple[LayerNode, str]]:
    """A model's layers at the names the saving walk counts for them in its list (a
    layer whose group the store lacks is not among them: its variables stay unread)."""
    if rule.loader is not None:
        weighted = rule.weighted or (lambda node: True)
        names = _count(listed, rule.loader.counts_repeats, lambda child, key: weighted(child))
    else:
        names = _counted_names(store, container, listed, rule.saver, holds)
    for child, key in names:
        path = join(container, key)
        if not store.is_group(path) and fallback:
            # Keras 3's `H5IOStore.get` (3.0.2+, saving_lib.py v3.15.1 L1410-1416): a path
            # the file lacks is looked for again with every `layers` made
            # `_layer_checkpoint_dependencies`, where TF-Keras 2.12-2.14 saved it.
            path = path.replace(LAYERS, LAYER_DEPENDENCIES)
        if store.is_group(path):
            yield child, path


def _counted_names(
    store: WeightStore,
    container: str,
    listed: list[LayerNode],
    saver: Generation | None,
    holds: HoldsVariables,
) -> list[tuple[LayerNode, str]]:
    """(layer, group name) for a model's layers list: the snake-cased class and a
    counter per class. Whether tf.keras 2.12/2.13's doubled count applies is the
    saver's; a store of unknown origin whose list is `_layer_checkpoint_dependencies`
    is counted both ways, and the way its groups answer is taken."""

    def stored(child: LayerNode, key: str) -> bool:
        return holds(join(container, key))

    if saver is not None:
        return _count(listed, saver.counts_repeats, stored)
    if container != LAYER_DEPENDENCIES:
        return _count(listed, False, stored)
    once = _count(listed, False, stored)
    twice = _count(listed, True, stored)

    def present(names: list[tuple[LayerNode, str]]) -> int:
        return sum(store.is_group(join(container, key)) for _, key in names)

    return twice if present(twice) > present(once) else once


def _count(
    listed: list[LayerNode], repeats: bool, weighted: Callable[[LayerNode, str], bool]
) -> list[tuple[LayerNode, str]]:
    used: dict[str, int] = {}
    names = []
    for child in listed:
        base = to_snake_case(python_class(child) or child.name)
        count = used.get(base, 0)
        key = base if count == 0 else f"{base}_{count}"
        names.append((child, key))
        # tf.keras 2.12/2.13 lists a layer with weights twice, consecutively.
        used[base] = count + (2 if repeats and weighted(child, key) else 1)
    return names


def _created(
    store: WeightStore,
    group: str,
    created: list[LayerNode],
    made: dict[str, Sublayer],
    left: dict[str, None],
    loader: Generation | None,
) -> Iterator[tuple[LayerNode, str]]:
    """The sublayers a built-in layer creates, at the attributes holding them: any
    attribute a Keras saves one under, or those of `loader` alone."""
    counters: dict[str, dict[str, int]] = {}
    for child in created:
        sub = made[child.path]
        attributes = _attributes(sub, loader)
        if sub.container:
            used = counters.setdefault(sub.attribute, {})
            base = to_snake_case(python_class(child) or sub.class_name)
            count = used.get(base, 0)
            used[base] = count + 1
            item = base if count == 0 else f"{base}_{count}"
            attributes = [f"{attribute}/{item}" for attribute in attributes]
        paths = [join(group, attribute) for attribute in attributes]
        path = next((path for path in paths if store.is_group(path)), None)
        for attribute in attributes:
            left.pop(attribute.split("/")[0], None)
        if path is not None:
            yield child, path


def _attributes(sub: Sublayer, loader: Generation | None) -> list[str]:
    """Where a sublayer's group may be: where the Keras `loader` keeps it (Keras 3
    before 3.0.5 kept MultiHeadAttention's projections in private attributes only),
    or, reading a file, wherever any Keras saved it."""
    if loader is None:
        found = [sub.attribute, *sub.aliases]
        return found + ([sub.tf_keras_attribute] if sub.tf_keras_attribute is not None else [])
    if not loader.keras3:
        return [sub.attribute_in(keras3=False)]
    if not loader.public_projections and sub.aliases:
        return list(sub.aliases)
    return [sub.attribute, *sub.aliases]


def _revealed(
    tree: LayerTree,
    store: WeightStore,
    node: LayerNode,
    group: str,
    keys: list[str],
    found: Addressed,
    made: dict[str, Sublayer],
    grow: Grow | None,
) -> Iterator[tuple[LayerNode, str]]:
    """A custom layer's (or subclassed model's) sublayers: every group below it
    that holds a `vars` group, looking through lists (`blocks/dense`), named as
    stored on the group, else by its key; one the tree already holds under that
    name (a wrapper's layer in its parent's config) is taken."""
    unmatched: dict[str, list[LayerNode]] = {}
    for child in tree.children(node):
        if child.path not in found.groups:
            unmatched.setdefault(child.name, []).append(child)
    for key, path in _layer_groups(store, [(key, join(group, key)) for key in keys]):
        stored = store.layer_name(join(path, VARS))
        name = stored or key
        named = unmatched.get(name)
        child = named.pop(0) if named else tree.add_hidden(node, name, role=_hidden_role(store, node, path))
        if grow is not None and not tree.children(child) and layer_entries(child.config):
            made.update(grow(tree, child))
        yield child, path


def _layer_groups(store: WeightStore, groups: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(key, path) of each layer group (one with `vars`), looking through lists."""
    stack = list(reversed(groups))
    while stack:
        key, path = stack.pop()
        if store.is_group(join(path, VARS)):
            yield key, path
        else:
            inner = [(k, join(path, k)) for k in store.children(path) if store.is_group(join(path, k))]
            stack.extend(reversed(inner))


def _hidden_role(store: WeightStore, parent: LayerNode, group: str) -> Role:
    """A model holds its layers in a `layers` list; every layer a Keras 3 model
    tracks directly is in its `layers` list; anything else is a sublayer."""
    if store.is_group(join(group, LAYERS)) or store.is_group(join(group, LAYER_DEPENDENCIES)):
        return Role.MODEL
    return Role.LAYER if parent.role == Role.MODEL else Role.SUBLAYER
