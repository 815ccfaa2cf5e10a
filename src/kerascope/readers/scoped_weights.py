"""Placing weights that are named by scope (`block/attention/query/kernel:0`).

Legacy HDF5 files and TensorFlow.js manifests name each variable by the name
scopes it was built in, which are layer names. Walking those scopes from the
top-level layer finds the layer that owns the variable, and reveals the
sublayers a custom layer created, which no config lists.
"""

from __future__ import annotations

from kerascope.model.records import LayerNode, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Origin


def place(tree: LayerTree, top: LayerNode, weight: WeightInfo) -> None:
    """Attach `weight` (named by scope) under `top`, creating sublayers as its scopes require."""
    scopes = [scope for scope in (weight.name or "").split("/")[:-1] if scope]
    if scopes and scopes[0] == top.name:
        scopes = scopes[1:]
    owner = top
    for scope in scopes:
        # A unique deeper layer of that name: Keras 2 scopes skip nested models' names.
        owner = tree.child(owner, scope) or tree.unique_below(owner, scope) or tree.add_hidden(owner, scope)
    owner.weights.append(weight)
    owner.origin[Fact.WEIGHTS] = Origin.WEIGHTS
