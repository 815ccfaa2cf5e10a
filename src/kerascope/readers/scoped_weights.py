"""Placing weights that are named by scope (`block/attention/query/kernel:0`).

Legacy HDF5 files and TensorFlow.js manifests name each variable by the name
scopes it was built in, which are layer names. Walking those scopes from the
top-level layer finds the layer that owns the variable, and reveals the
sublayers a custom layer created, which no config lists.

A scope path may begin with the names of the layer's enclosing models: Keras
>= 3.8 names a variable by its full path (`seq/dense/kernel` for `dense` in
the Sequential `seq`), Keras 2 by the scopes it was built in (`middle/mid_dense/
kernel` for a layer of the nested Sequential `middle`). Those leading names are
where the layer sits, not layers inside it, and are dropped.
"""

from __future__ import annotations

from kerascope.model.records import LayerNode, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Origin


def place(tree: LayerTree, top: LayerNode, weight: WeightInfo) -> LayerNode:
    """Attach `weight` (named by scope) under `top`, creating sublayers as its scopes
    require; the layer it was attached to."""
    scopes = [scope for scope in (weight.name or "").replace("\\", "/").split("/")[:-1] if scope]
    owner = top
    for scope in scopes[_enclosing(tree, top, scopes) :]:
        # A unique deeper layer of that name: Keras 2 scopes skip nested models' names.
        owner = tree.child(owner, scope) or tree.unique_below(owner, scope) or tree.add_hidden(owner, scope)
    owner.weights.append(weight)
    owner.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    return owner


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
