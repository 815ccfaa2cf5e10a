"""The weights Keras's `saving_lib` saves, as a tree of groups, whatever holds them.

Keras 3 and TF-Keras (2.12 on) save a model's weights as one tree: a group per
object the saving walk reaches, named by the path of attributes to it
(`layers/dense/vars/0`), whether in an HDF5 file, an `.npz` archive or HDF5
shards (Keras's own `H5IOStore`, `NpzIOStore`, `ShardedH5IOStore` share one
small interface, `make(path)`/`get(path)`, in `keras/src/saving/saving_lib.py`).
The rules of this package read that tree through this interface; the readers
implement it for each container (`readers/weight_stores.py`).
"""

from __future__ import annotations

from typing import Protocol

from kerascope.decoders.hdf5 import join
from kerascope.model.records import WeightInfo

VARS = "vars"


class WeightStore(Protocol):
    def children(self, path: str) -> list[str]: ...

    def is_group(self, path: str) -> bool: ...

    def is_dataset(self, path: str) -> bool: ...

    def layer_name(self, vars_path: str) -> str | None:
        """The `name` attribute Keras >= 3.6 writes on a layer's `vars` group."""
        ...

    def weight(self, path: str) -> WeightInfo: ...

    def unreadable(self, vars_path: str) -> bool:
        """Whether a layer's variables exist but cannot be read (a missing shard,
        a pickle the reader cannot follow): its parameters are unknown, not zero."""
        ...

    def where(self, path: str) -> str | None:
        """Where a dataset lies, as `file:path` (the shard holding it), where known."""
        ...


def variable_keys(store: WeightStore, vars_path: str) -> list[str]:
    """`0, 1, ..., 10` in numeric order (`Layer.save_own_variables` numbers them so:
    trainable at creation first, then the rest), then any other key."""
    keys = [key for key in store.children(vars_path) if store.is_dataset(join(vars_path, key))]
    return sorted(keys, key=lambda key: (not key.isdigit(), int(key) if key.isdigit() else 0, key))


class HoldsVariables:
    """Whether a group holds a variable anywhere below it, each group answered once
    (a walk of the tree on first use: linear in its groups)."""

    def __init__(self, store: WeightStore) -> None:
        self.store = store
        self._known: dict[str, bool] = {}

    def __call__(self, path: str) -> bool:
        if path in self._known:
            return self._known[path]
        order, stack = [], [path]
        while stack:
            current = stack.pop()
            if current in self._known:
                continue
            order.append(current)
            stack.extend(
                join(current, key)
                for key in self.store.children(current)
                if self.store.is_group(join(current, key))
            )
        for current in reversed(order):
            self._known[current] = any(
                self.store.is_dataset(join(current, key))
                or (self.store.is_group(join(current, key)) and self._known.get(join(current, key), False))
                for key in self.store.children(current)
            ) or self.store.unreadable(join(current, VARS))
        return self._known[path]


def datasets(store: WeightStore, skip: frozenset[str] = frozenset()) -> list[str]:
    """Every dataset of the store, depth first, groups at the root named in `skip` left out."""
    found: list[str] = []
    stack = [key for key in reversed(store.children("")) if key not in skip]
    while stack:
        path = stack.pop()
        if store.is_dataset(path):
            found.append(path)
        elif store.is_group(path):
            stack.extend(join(path, key) for key in reversed(store.children(path)))
    return found
