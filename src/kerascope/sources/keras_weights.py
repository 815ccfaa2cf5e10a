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

from kerascope.report import LayerNode
from kerascope.sources.h5_safe import H5Index, attr_text, join
from kerascope.sources.node_tree import WEIGHTS, add_hidden, depth_first, sum_params

# Groups beside the layers at the top of a weights file that are not layers.
_ROOT_EXTRAS = {"optimizer"}


def merge_weights(nodes: list[LayerNode], index: H5Index) -> list[LayerNode]:
    """`nodes` (config order, root first) completed from the weights file, depth-first."""
    merger = _Merger(nodes, index)
    merger.match(nodes[0], "", is_root=True)
    return merger.ordered()


class _Merger:
    def __init__(self, nodes: list[LayerNode], index: H5Index) -> None:
        self.at = {node.path: node for node in nodes}
        self.root = nodes[0]
        self.index = index

    def match(self, node: LayerNode, group: str, is_root: bool = False) -> None:
        index = self.index
        subgroups = []
        for key in index.children(group):
            path = join(group, key)
            if not index.is_group(path):
                continue
            if key == "vars":
                node.weights = [index.weight(join(path, i), None) for i in _variable_keys(index, path)]
                node.origin["weights"] = WEIGHTS
            elif not (is_root and key in _ROOT_EXTRAS):
                subgroups.append((key, path))
        unmatched: dict[str, list[LayerNode]] = {}
        for child_path in node.children:
            unmatched.setdefault(self.at[child_path].name, []).append(self.at[child_path])
        by_key = _expected_group_names([self.at[p] for p in node.children])
        for key, sub in self._layer_groups(subgroups):
            vars_path = join(sub, "vars")
            name = attr_text(index.attrs(vars_path), "name") if index.is_group(vars_path) else None
            child = _take(unmatched, name) if name else _take_node(unmatched, by_key.get(key))
            if child is None:
                child = add_hidden(
                    node, name or key, self.at, index.limits, role=self._hidden_role(node, sub)
                )
            self.match(child, sub)

    def _layer_groups(self, subgroups: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        """Layer groups (those with `vars`), looking through containers (`layers`, lists)."""
        for key, path in subgroups:
            if self.index.is_group(join(path, "vars")):
                yield key, path
            else:
                inner = [(k, join(path, k)) for k in self.index.children(path)]
                yield from self._layer_groups([(k, p) for k, p in inner if self.index.is_group(p)])

    def _hidden_role(self, parent: LayerNode, group: str) -> str:
        """A model holds its layers in a `layers` container; every layer a Keras 3
        model tracks directly is in its `layers` list; anything else is a sublayer."""
        if self.index.is_group(join(group, "layers")):
            return "model"
        return "layer" if parent.role == "model" else "sublayer"

    def ordered(self) -> list[LayerNode]:
        """Depth-first from the root, with parameter totals summed bottom-up."""
        order = depth_first(self.root, self.at)
        sum_params(order, self.at)
        return order


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
        base = _snake_case(node.class_name)
        count = used.get(base, 0)
        used[base] = count + 1
        expected[base if count == 0 else f"{base}_{count}"] = node
    return expected


def _snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
