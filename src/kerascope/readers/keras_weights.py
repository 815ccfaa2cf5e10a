"""Merging Keras 3 weights into the layer tree a config describes (or none does).

`config.json` lists a model's layers but not the sublayers a custom layer
creates in its own code. The weights hold every layer Keras tracked, as groups
named after attributes, each with a `vars` group whose `name` attribute (Keras
>= 3.6) is the layer's name. Matching those to the config's layers, and adding
the rest of a layer's groups as its sublayers, shows every internal layer with
its weights, its class unknown unless the file itself says it.

Nothing is attached by guesswork. A group matches a config layer by the name
Keras stored on it, or (files before Keras 3.6) by the name Keras gives it in a
model's `layers` list (`dense`, `dense_1`, in the config's order). Inside a model
whose config lists its layers, a group that matches none is not a layer the
config forgot: the weights do not belong to this config. It is named in a
WEIGHTS_MISMATCH finding, with the layers left without weights, whose parameter
counts are then unknown.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerascope.decoders.hdf5 import join
from kerascope.model.findings import finding
from kerascope.model.naming import to_snake_case
from kerascope.model.records import Finding, LayerNode
from kerascope.model.topology import layer_entries
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Origin, Role
from kerascope.readers.weight_stores import WeightStore

# Groups beside the layers at the top of a weights file that are not layers.
_ROOT_EXTRAS = {"optimizer", "metrics"}
# Containers Keras (or tf.keras 2.13) keeps layers in, never layers themselves.
_LAYER_LISTS = {"layers", "_layer_checkpoint_dependencies"}
_MISMATCH_SHOWN = 8  # group and layer names listed in one finding


def merge_weights(tree: LayerTree, store: WeightStore, findings: list[Finding]) -> None:
    """Complete `tree` (grown from a config, or just a root) from the weights, then
    sum parameters."""
    tree.sum_params(unknown=attach_weights(tree, store, findings, tree.root))


def attach_weights(tree: LayerTree, store: WeightStore, findings: list[Finding], at: LayerNode) -> set[str]:
    """Complete the subtree at `at` from a store saved from that layer (a preset's
    backbone weights go to the backbone); the paths whose parameters are unknown."""
    unknown: set[str] = set()
    stack = [(at, "", True)]
    while stack:
        node, group, is_root = stack.pop()
        pairs = list(_match_children(tree, store, node, group, is_root, findings, unknown))
        stack.extend((child, sub, False) for child, sub in reversed(pairs))
    return unknown


def _match_children(
    tree: LayerTree,
    store: WeightStore,
    node: LayerNode,
    group: str,
    is_root: bool,
    findings: list[Finding],
    unknown: set[str],
) -> Iterator[tuple[LayerNode, str]]:
    """Attach `node`'s own variables, and pair each layer group below it with a child."""
    subgroups = []
    for key in store.children(group):
        path = join(group, key)
        if not store.is_group(path):
            continue
        if key == "vars":
            node.weights = [store.weight(join(path, i)) for i in _variable_keys(store, path)]
            node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
            if store.unreadable(path):
                unknown.add(node.path)
        elif not (is_root and key in _ROOT_EXTRAS):
            subgroups.append((key, path))
    listed = tree.children(node)
    unmatched: dict[str, list[LayerNode]] = {}
    for child in listed:
        unmatched.setdefault(child.name, []).append(child)
    by_key = _expected_group_names(listed)
    described = bool(layer_entries(node.config))  # a model whose config lists its layers
    strays = []
    for key, sub, in_list in _layer_groups(store, subgroups):
        name = store.layer_name(join(sub, "vars"))
        child = (
            _take(unmatched, name) if name else _take_node(unmatched, by_key.get(key) if in_list else None)
        )
        if child is None and described:
            strays.append(name or key)
            continue
        if child is None:
            child = tree.add_hidden(node, name or key, role=_hidden_role(store, node, sub))
        yield child, sub
    if strays:
        # An input layer has no variables: a file need not hold a group for it.
        left = [child for children in unmatched.values() for child in children if child.role != Role.INPUT]
        unknown.update(child.path for child in left)
        findings.append(_mismatch(node, strays, left))


def _mismatch(model: LayerNode, strays: list[str], left: list[LayerNode]) -> Finding:
    def listing(names: list[str]) -> str:
        shown = ", ".join(names[:_MISMATCH_SHOWN])
        return shown + (f" and {len(names) - _MISMATCH_SHOWN} more" if len(names) > _MISMATCH_SHOWN else "")

    where = f"model {model.name!r}" if model.path else "the model"
    without = (
        f"; {len(left)} of its layers are left without weights ({listing([c.name for c in left])})"
        if left
        else ""
    )
    return finding(
        Code.WEIGHTS_MISMATCH,
        model.path,
        f"the weights do not match the config of {where}: {len(strays)} weight groups match none of its "
        f"layers ({listing(strays)}){without}, and their parameters are unknown",
    )


def _layer_groups(store: WeightStore, subgroups: list[tuple[str, str]]) -> Iterator[tuple[str, str, bool]]:
    """Layer groups (those with `vars`), looking through containers (`layers`, lists):
    (key, path, whether a model's `layers` list holds it)."""
    stack = [(key, path, False) for key, path in reversed(subgroups)]
    while stack:
        key, path, in_list = stack.pop()
        if store.is_group(join(path, "vars")):
            yield key, path, in_list
        else:
            inner = [(k, join(path, k)) for k in store.children(path)]
            listed = key == "layers"
            stack.extend(reversed([(k, p, listed) for k, p in inner if store.is_group(p)]))


def _hidden_role(store: WeightStore, parent: LayerNode, group: str) -> Role:
    """A model holds its layers in a `layers` container; every layer a Keras 3
    model tracks directly is in its `layers` list; anything else is a sublayer."""
    if store.is_group(join(group, "layers")):
        return Role.MODEL
    return Role.LAYER if parent.role == Role.MODEL else Role.SUBLAYER


def _variable_keys(store: WeightStore, vars_path: str) -> list[str]:
    """`0, 1, ..., 10` in numeric order: trainable variables first, as Keras saved them."""
    keys = [key for key in store.children(vars_path) if store.is_dataset(join(vars_path, key))]
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
    """Group names Keras gives a model's listed layers (snake-cased class, `_1`, `_2`).

    Files written before Keras 3.6 have no `name` attribute on `vars`; this is how
    their groups in a model's `layers` list are matched to the config's layers.
    """
    used: dict[str, int] = {}
    expected = {}
    for node in children:
        if node.class_name is None or node.role == Role.SUBLAYER:
            continue
        base = to_snake_case(node.class_name)
        count = used.get(base, 0)
        used[base] = count + 1
        expected[base if count == 0 else f"{base}_{count}"] = node
    return expected
