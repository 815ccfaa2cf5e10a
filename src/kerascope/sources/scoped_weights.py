"""Placing weights that are named by scope (`block/attention/query/kernel:0`).

Legacy HDF5 files and TensorFlow.js manifests name each variable by the name
scopes it was built in, which are layer names. Walking those scopes from the
top-level layer finds the layer that owns the variable, and reveals the
sublayers a custom layer created, which no config lists.
"""

from __future__ import annotations

from kerascope.report import LayerNode, WeightInfo
from kerascope.sources.limits import Limits
from kerascope.sources.node_tree import WEIGHTS, add_hidden, depth_first, sum_params


class ScopedPlacer:
    """Attaches weights to nodes by scope, creating sublayer nodes as scopes require."""

    def __init__(self, nodes: list[LayerNode], limits: Limits) -> None:
        self.limits = limits
        self.at = {node.path: node for node in nodes}
        self.root = nodes[0]

    def place(self, top: LayerNode, weight: WeightInfo) -> None:
        """Attach `weight` (named by scope) under `top`, a layer of the root model."""
        scopes = [scope for scope in (weight.name or "").split("/")[:-1] if scope]
        if scopes and scopes[0] == top.name:
            scopes = scopes[1:]
        owner = top
        for scope in scopes:
            owner = (
                self.child_named(owner, scope) or self._descendant(owner, scope) or self._add(owner, scope)
            )
        owner.weights.append(weight)
        owner.origin["weights"] = WEIGHTS

    def child_named(self, node: LayerNode, name: str) -> LayerNode | None:
        for path in node.children:
            if self.at[path].name == name:
                return self.at[path]
        return None

    def _descendant(self, node: LayerNode, name: str) -> LayerNode | None:
        """A unique deeper layer of that name (Keras 2 scopes skip nested models' names)."""
        found = [n for path, n in self.at.items() if path.startswith(f"{node.path}/") and n.name == name]
        return found[0] if len(found) == 1 else None

    def _add(self, parent: LayerNode, name: str) -> LayerNode:
        return add_hidden(parent, name, self.at, self.limits)

    def ordered(self, weighed: bool) -> list[LayerNode]:
        """Depth-first from the root; parameter totals summed when weights were read."""
        order = depth_first(self.root, self.at)
        if weighed:
            sum_params(order, self.at)
        return order
