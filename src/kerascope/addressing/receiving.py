"""The objects of the model receiving weights, as Keras's loading walk meets them.

`_walk_saveable` (Keras 3 `saving_lib.py` v3.15.1 L738-765) yields, for a
Functional or Sequential model, its `layers` first, then every attribute of the
object in sorted order (`_name_key`: public names first since 3.0.2): a model's
`layers` again, its `optimizer`, and, for a Functional model, its
`_operations_by_depth` (the layers by depth in its graph, 0 at the outputs: a
dict of lists, walked as nested containers since 3.15); a layer's sublayers at
every attribute holding one (MultiHeadAttention's `query_dense` and
`_query_dense`); a subclassed model's attributes and its `layers` property
(every layer it tracks). TF-Keras 2.15+ walks `dir()` in reverse order
(`saving_lib.py` v2.21.0 L343-344) and has no first `layers`.

Which attributes Keras's own classes keep their sublayers in is the families'
knowledge (`Sublayer`); a custom layer's are what the receiving model's own file
shows (the groups its attributes were saved under). A variable's path, in Keras's
messages, is the names of the layers from the model holding it down to its owner
(`lstm/lstm_cell/kernel`).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from kerascope.addressing.generations import Generation
from kerascope.addressing.simulation import LAYERS, Child, Obj
from kerascope.addressing.structure import python_class
from kerascope.families import Sublayer
from kerascope.model.records import LayerNode
from kerascope.model.topology import is_sequential_config, layer_entries, lists_layers, unnumbered
from kerascope.model.vocabulary import Role

Expected = list[tuple[str, list[int | None] | None]]


def receiving_objects(
    root: LayerNode,
    children: Callable[[LayerNode], list[LayerNode]],
    made: dict[str, Sublayer],
    expected: dict[str, Expected | None],
    groups: dict[str, str],
    loader: Generation,
    optimizer: Obj | None = None,
) -> Obj:
    """The object tree of the model at `root`: each layer's own variables
    (`expected`), and what its walk yields, in the `loader`'s order. `groups` holds
    the groups a custom layer's sublayers were saved under, where known."""
    nodes: dict[str, LayerNode] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        nodes[node.path] = node
        stack.extend(reversed(children(node)))
    objects: dict[str, Obj] = {}
    shared: dict[str, Obj] = {}
    for path, node in sorted(nodes.items(), key=lambda item: item[0].count("/")):
        # A layer two models list (one nested in the other), the same name and config in
        # both, is one object: loaded at the first path the walk meets, then visited.
        key = _identity(node)
        if key is not None and key in shared:
            objects[path] = shared[key]
            continue
        objects[path] = Obj(
            path, node.name, python_class(node) or "?", expected.get(path), _prefix(node, nodes)
        )
        if key is not None:
            shared[key] = objects[path]
    for node in reversed(nodes.values()):  # children first: a list counts what they hold
        if objects[node.path].path != node.path:
            continue  # the other listing of a shared layer
        objects[node.path].attributes = _attributes(
            node, children, made, groups, loader, objects, optimizer if node is root else None
        )
    return objects[root.path]


def _identity(node: LayerNode) -> str | None:
    """A listed layer as one string (its name and config without serializer ids)."""
    if node.index is None or not isinstance(node.config, dict):
        return None
    return json.dumps([node.name, unnumbered(node.config)], sort_keys=True, default=str)


def _prefix(node: LayerNode, nodes: dict[str, LayerNode]) -> str:
    """`name/` for each layer from just below the nearest model above `node` down to
    it: the scopes its variables were made in."""
    names: list[str] = []
    current: LayerNode | None = node
    while current is not None and current.path:
        names.append(current.name)
        parent = nodes.get(current.path.rpartition("/")[0])
        if parent is None or lists_layers(parent.config) or parent.role == Role.MODEL:
            break
        current = parent
    return "".join(f"{name}/" for name in reversed(names))


def _attributes(
    node: LayerNode,
    children: Callable[[LayerNode], list[LayerNode]],
    made: dict[str, Sublayer],
    groups: dict[str, str],
    loader: Generation,
    objects: dict[str, Obj],
    optimizer: Obj | None,
) -> list[tuple[str, Child]]:
    below = children(node)
    found: list[tuple[str, Child]] = []
    first: list[tuple[str, Child]] = []
    if layer_entries(node.config):
        listed = [objects[c.path] for c in sorted(below, key=lambda c: c.index or 0) if c.index is not None]
        if loader.keras3 and loader.rewalks_layers:
            first.append((LAYERS, listed))
        if loader.layers_attribute != LAYERS:
            # tf.keras 2.12-2.14 meet the layers first in `_layer_checkpoint_dependencies`,
            # each layer holding weights listed twice (2.12/2.13 count both).
            repeated = [
                obj for obj in listed for _ in range(2 if loader.counts_repeats and _holds(obj) else 1)
            ]
            found.append((loader.layers_attribute, repeated))
        found.append((LAYERS, listed))
        if loader.retries_by_depth and not is_sequential_config(node.config):
            found.append(("_operations_by_depth", _by_depth(below, objects)))
    else:
        found += _sublayers(node, below, made, loader, objects)
        shown, listed_first = _revealed(node, below, made, groups, objects)
        found += shown
        if listed_first and loader.keras3 and loader.rewalks_layers:
            first.append((LAYERS, listed_first))
    if optimizer is not None:
        found.append(("optimizer", optimizer))
    return first + _sorted(found, loader)


def _sublayers(
    node: LayerNode,
    below: list[LayerNode],
    made: dict[str, Sublayer],
    loader: Generation,
    objects: dict[str, Obj],
) -> list[tuple[str, Child]]:
    """The attributes a built-in layer keeps its sublayers in, in this loader."""
    found: list[tuple[str, Child]] = []
    containers: dict[str, list] = {}
    for child in below:
        sub = made.get(child.path)
        if sub is None:
            continue
        if sub.container:
            containers.setdefault(sub.attribute_in(loader.keras3), []).append(objects[child.path])
            continue
        for attribute in _attributes_of(sub, loader):
            found.append((attribute, objects[child.path]))
    found += list(containers.items())
    return found


def _attributes_of(sub: Sublayer, loader: Generation) -> list[str]:
    if not loader.keras3:
        return [sub.attribute_in(False)]
    if sub.aliases and not loader.public_projections:
        return list(sub.aliases)
    return [sub.attribute, *sub.aliases]


def _revealed(
    node: LayerNode,
    below: list[LayerNode],
    made: dict[str, Sublayer],
    groups: dict[str, str],
    objects: dict[str, Obj],
) -> tuple[list[tuple[str, Child]], list[Obj]]:
    """A custom layer's sublayers at the attributes its own file saved them under
    (`blocks/dense` is the list `blocks`), and a custom model's `layers` list. A
    model whose file holds all its layers in `layers` is a Functional model's
    subclass (its `layers` came first in the save walk, a KerasHub backbone's):
    that list, returned apart, comes first in the load walk too; a subclassed
    model's attributes came before (those that sort before `layers`) and its
    `layers` list holds them all."""
    base = groups.get(node.path)
    found: list[tuple[str, Child]] = []
    lists: dict[str, list[Obj]] = {}
    attributes = []
    for child in below:
        if child.path in made:
            continue
        group = groups.get(child.path)
        if base is None or group is None:
            continue
        relative = group[len(base) + 1 :] if base else group
        attribute, _, rest = relative.partition("/")
        if rest:
            objects[child.path].key = rest
            lists.setdefault(attribute, []).append(objects[child.path])
        else:
            attributes.append(objects[child.path])
            found.append((attribute, objects[child.path]))
    found += [(attribute, items) for attribute, items in lists.items() if attribute != LAYERS]
    listed = lists.get(LAYERS, [])
    if listed and not attributes:
        found.append((LAYERS, listed))
        return found, listed
    if attributes and (listed or node.path == "" or node.role == Role.MODEL):
        found.append((LAYERS, [*attributes, *listed]))
    return found, []


def _by_depth(below: list[LayerNode], objects: dict[str, Obj]) -> list[list[Obj]]:
    """A Functional model's layers by their depth in its graph (`map_graph`: 0 at the
    outputs, each layer one more than the deepest it feeds), in order of depth."""
    consumers: dict[str, list[str]] = {}
    for child in below:
        for call in child.inbound or []:
            for link in call:
                consumers.setdefault(link.layer, []).append(child.path)
    depth = _settled(below, consumers)
    if depth is None:  # a layer that feeds itself (a shared layer called on its own output)
        depth = _relaxed(below, consumers)
    levels: dict[int, list[Obj]] = {}
    for child in below:
        levels.setdefault(depth.get(child.path, 0), []).append(objects[child.path])
    return [levels[level] for level in sorted(levels)]


def _settled(below: list[LayerNode], consumers: dict[str, list[str]]) -> dict[str, int] | None:
    """Each layer's depth, settled once every layer it feeds is (Kahn's algorithm, each
    link followed once); None where a cycle of layers leaves some unsettled."""
    waiting = {child.path: len(consumers.get(child.path, [])) for child in below}
    ready = [path for path, count in waiting.items() if count == 0]
    depth: dict[str, int] = {}
    inbound = {child.path: child.inbound or [] for child in below}
    while ready:
        path = ready.pop()
        depth[path] = max((depth[c] + 1 for c in consumers.get(path, [])), default=0)
        for call in inbound[path]:
            for link in call:
                if link.layer in waiting:
                    waiting[link.layer] -= 1
                    if waiting[link.layer] == 0:
                        ready.append(link.layer)
    return depth if len(depth) == len(waiting) else None


def _relaxed(below: list[LayerNode], consumers: dict[str, list[str]]) -> dict[str, int]:
    """Each layer's depth relaxed round by round (n layers settle in n rounds): where a
    layer feeds itself, its depth and those above it grow with every round, bounded."""
    depth: dict[str, int] = {}
    pending = [child.path for child in below]
    for _ in range(len(pending) + 1):
        changed = False
        for path in pending:
            value = max((depth.get(c, 0) + 1 for c in consumers.get(path, [])), default=0)
            if depth.get(path) != value:
                depth[path], changed = value, True
        if not changed:
            break
    return depth


def _holds(obj: Obj) -> bool:
    """Whether an object holds variables, itself or below (unknown ones count as holding)."""
    stack, seen = [obj], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.expected is None or current.expected:
            return True
        for _, child in current.attributes:
            stack.extend(child if isinstance(child, list) else [child])
    return False


def _sorted(found: list[tuple[str, Child]], loader: Generation) -> list[tuple[str, Child]]:
    """The attributes in the order the loader's `dir()` walk meets them: TF-Keras
    2.15+ in reverse (`saving_lib.py` v2.15.0 `_walk_trackable`), earlier ones and
    Keras 3.0.0-3.0.1 in plain order, Keras >= 3.0.2 public names first."""
    if not loader.keras3:
        return sorted(found, key=lambda item: item[0], reverse=loader.at_least(2, 15))
    if not loader.at_least(3, 0, 2):
        return sorted(found, key=lambda item: item[0])
    return sorted(found, key=lambda item: (item[0].startswith("_"), item[0]))
