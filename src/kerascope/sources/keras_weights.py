"""Merging a Keras 3 weights file into the layer tree its config describes.

`config.json` lists a model's layers but not the sublayers a custom layer
creates in its own code. The weights file holds every layer Keras tracked, as
groups named after attributes, each with a `vars` group whose `name` attribute
(Keras >= 3.6) is the layer's name. Matching those names to the config's layers
and adding the rest as sublayers shows every internal layer, with its weights,
and with its class unknown unless the file itself says it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import h5py

from kerascope.report import LayerNode
from kerascope.sources.h5_safe import H5Walker, attr_text
from kerascope.sources.node_tree import WEIGHTS, add_hidden, depth_first, sum_params

# Groups beside the layers at the top of a weights file that are not layers.
_ROOT_EXTRAS = {"optimizer"}


def merge_weights(nodes: list[LayerNode], root: h5py.Group, walker: H5Walker) -> list[LayerNode]:
    """`nodes` (config order, root first) completed from the weights file, depth-first."""
    merger = _Merger(nodes, walker)
    merger.match(nodes[0], root, is_root=True)
    return merger.ordered()


class _Merger:
    def __init__(self, nodes: list[LayerNode], walker: H5Walker) -> None:
        self.at = {node.path: node for node in nodes}
        self.root = nodes[0]
        self.walker = walker

    def match(self, node: LayerNode, group: h5py.Group, is_root: bool = False) -> None:
        subgroups = []
        for key, obj in self.walker.children(group):
            if not isinstance(obj, h5py.Group):
                continue
            if key == "vars":
                node.weights = [self.walker.weight(obj[i], None) for i in _variable_keys(obj)]
                node.origin["weights"] = WEIGHTS
            elif not (is_root and key in _ROOT_EXTRAS):
                subgroups.append((key, obj))
        unmatched = [self.at[path] for path in node.children]
        by_key = _expected_group_names(unmatched)
        for key, sub in self._layer_groups(subgroups):
            name = attr_text(sub["vars"].attrs, "name") if _hard(sub, "vars") else None
            child = _take(unmatched, name) if name else _take_node(unmatched, by_key.get(key))
            if child is None:
                child = add_hidden(node, name or key, self.at, role=_hidden_role(node, sub))
            self.match(child, sub)

    def _layer_groups(self, subgroups: list[tuple[str, h5py.Group]]) -> Iterator[tuple[str, h5py.Group]]:
        """Layer groups (those with `vars`), looking through containers (`layers`, lists)."""
        for key, group in subgroups:
            if "vars" in group:
                yield key, group
            else:
                inner = [(k, g) for k, g in self.walker.children(group) if isinstance(g, h5py.Group)]
                yield from self._layer_groups(inner)

    def ordered(self) -> list[LayerNode]:
        """Depth-first from the root, with parameter totals summed bottom-up."""
        order = depth_first(self.root, self.at)
        sum_params(order, self.at)
        return order


def _hidden_role(parent: LayerNode, group: h5py.Group) -> str:
    """A model holds its layers in a `layers` container; every layer a Keras 3
    model tracks directly is in its `layers` list; anything else is a sublayer."""
    if "layers" in group:
        return "model"
    return "layer" if parent.role == "model" else "sublayer"


def _hard(group: h5py.Group, name: str) -> bool:
    return isinstance(group.get(name, getlink=True), h5py.HardLink)


def _variable_keys(vars_group: h5py.Group) -> list[str]:
    """`0, 1, ..., 10` in numeric order: trainable variables first, as Keras saved them."""
    keys = [key for key in vars_group if isinstance(vars_group.get(key, getlink=True), h5py.HardLink)]
    return sorted(keys, key=lambda key: (not key.isdigit(), int(key) if key.isdigit() else 0, key))


def _take(candidates: list[LayerNode], name: str) -> LayerNode | None:
    for position, node in enumerate(candidates):
        if node.name == name:
            return candidates.pop(position)
    return None


def _take_node(candidates: list[LayerNode], wanted: LayerNode | None) -> LayerNode | None:
    if wanted is not None and wanted in candidates:
        candidates.remove(wanted)
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
        base = _snake_case(node.class_name)
        count = used.get(base, 0)
        used[base] = count + 1
        expected[base if count == 0 else f"{base}_{count}"] = node
    return expected


def _snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
