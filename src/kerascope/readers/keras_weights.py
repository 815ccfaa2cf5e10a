"""Merging a Keras 3 weights file into the layer tree its config describes.

`config.json` lists a model's layers but not the sublayers a custom layer
creates in its own code. The weights file holds every layer Keras tracked, as
groups named after attributes, each with a `vars` group whose `name` attribute
(Keras >= 3.6) is the layer's name. Matching those names to the config's layers
and adding the rest as sublayers shows every internal layer, with its weights,
and with its class unknown unless the file itself says it.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerascope.model.naming import to_snake_case
from kerascope.model.records import LayerNode
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Origin, Role
from kerascope.readers._io.hdf5 import H5Index, attr_text, join

# Groups beside the layers at the top of a weights file that are not layers.
_ROOT_EXTRAS = {"optimizer"}


def merge_weights(tree: LayerTree, index: H5Index) -> None:
    """Complete `tree` (grown from the config) from the weights file, then sum parameters."""
    stack = [(tree.root, "", True)]
    while stack:
        node, group, is_root = stack.pop()
        pairs = list(_match_children(tree, index, node, group, is_root))
        stack.extend((child, sub, False) for child, sub in reversed(pairs))
    tree.sum_params()


def _match_children(
    tree: LayerTree, index: H5Index, node: LayerNode, group: str, is_root: bool
) -> Iterator[tuple[LayerNode, str]]:
    """Attach `node`'s own variables, and pair each layer group below it with a child."""
    subgroups = []
    for key in index.children(group):
        path = join(group, key)
        if not index.is_group(path):
            continue
        if key == "vars":
            node.weights = [index.weight(join(path, i), None) for i in _variable_keys(index, path)]
            node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
        elif not (is_root and key in _ROOT_EXTRAS):
            subgroups.append((key, path))
    listed = tree.children(node)
    unmatched: dict[str, list[LayerNode]] = {}
    for child in listed:
        unmatched.setdefault(child.name, []).append(child)
    by_key = _expected_group_names(listed)
    for key, sub in _layer_groups(index, subgroups):
        vars_path = join(sub, "vars")
        name = attr_text(index.attrs(vars_path), "name") if index.is_group(vars_path) else None
        child = _take(unmatched, name) if name else _take_node(unmatched, by_key.get(key))
        if child is None:
            child = tree.add_hidden(node, name or key, role=_hidden_role(index, node, sub))
        yield child, sub


def _layer_groups(index: H5Index, subgroups: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Layer groups (those with `vars`), looking through containers (`layers`, lists)."""
    stack = list(reversed(subgroups))
    while stack:
        key, path = stack.pop()
        if index.is_group(join(path, "vars")):
            yield key, path
        else:
            inner = [(k, join(path, k)) for k in index.children(path)]
            stack.extend(reversed([(k, p) for k, p in inner if index.is_group(p)]))


def _hidden_role(index: H5Index, parent: LayerNode, group: str) -> Role:
    """A model holds its layers in a `layers` container; every layer a Keras 3
    model tracks directly is in its `layers` list; anything else is a sublayer."""
    if index.is_group(join(group, "layers")):
        return Role.MODEL
    return Role.LAYER if parent.role == Role.MODEL else Role.SUBLAYER


def _variable_keys(index: H5Index, vars_path: str) -> list[str]:
    """`0, 1, ..., 10` in numeric order: trainable variables first, as Keras saved them."""
    keys = [key for key in index.children(vars_path) if index.is_dataset(join(vars_path, key))]
    return sorted(keys, key=lambda key: (not key.isdigit(), int(key) if key.isdigit() else 0, key))


def _take(candidates: dict[str, list[LayerNode]], name: str) -> LayerNode | None:
    """The first not yet matched config layer of that name."""
    named = candidates.get(name)
    return named.pop(0) if named else None


def _take_node(candidates: dict[str, list[LayerNode]], wanted: LayerNode | None) -> LayerNode | None:
    if wanted is not None and wanted in candidates.get(wanted.name, []):
        candidates[wanted.name].remove(wanted)
        return wanted
    return None


def _expected_group_names(children: list[LayerNode]) -> dict[str, LayerNode]:
    """Group names Keras gives listed layers (snake-cased class, `_1`, `_2` for repeats).

    Files written before Keras 3.6 have no `name` attribute on `vars`; this is how
    their groups are matched to the config's layers instead.
    """
    used: dict[str, int] = {}
    expected = {}
    for node in children:
        if node.index is None or node.class_name is None:
            continue
        base = to_snake_case(node.class_name)
        count = used.get(base, 0)
        used[base] = count + 1
        expected[base if count == 0 else f"{base}_{count}"] = node
    return expected
