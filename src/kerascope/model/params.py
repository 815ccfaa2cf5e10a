"""Parameter totals: each layer's own variables plus everything below it, each counted once.

Keras's `count_params()` counts a layer's weights and its sublayers', each
variable once even where two layers hold it (a layer two models share is one
object, with one set of variables). A report lists each variable at the layer
that holds it; where a file shows one layer at two places (a shared layer listed
in two models' configs), both places hold the same `WeightInfo` objects, and a
total counts each object once.

The trainable split is known where every variable below says whether it trains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection

from kerascope.model.records import LayerNode


def sum_params(
    nodes: list[LayerNode],
    children: Callable[[LayerNode], list[LayerNode]],
    unknown: Collection[str] = (),
) -> None:
    """Set every node's totals, `nodes` being depth-first with parents first. A
    node in `unknown` (its own variables could not be read) has no totals, nor
    has any node above it."""
    held = Counter(id(weight) for node in nodes for weight in node.weights)
    shared = {key for key, count in held.items() if count > 1}
    repeats: dict[str, Counter[int]] = {}
    sizes: dict[int, tuple[int, bool | None]] = {}
    for node in reversed(nodes):
        below = children(node)
        if node.path in unknown or any(child.total_params is None for child in below):
            node.total_params = node.trainable_params = node.non_trainable_params = None
            if shared:
                repeats[node.path] = Counter()
            continue
        total = sum(w.size for w in node.weights) + sum(c.total_params or 0 for c in below)
        split_known = all(w.trainable is not None for w in node.weights) and all(
            c.trainable_params is not None for c in below
        )
        trainable = (
            sum(w.size for w in node.weights if w.trainable) + sum(c.trainable_params or 0 for c in below)
            if split_known
            else None
        )
        if shared:
            seen: Counter[int] = Counter(id(w) for w in node.weights if id(w) in shared)
            for child in below:
                seen.update(repeats.get(child.path, Counter()))
            for weight in node.weights:
                sizes[id(weight)] = (weight.size, weight.trainable)
            for key, count in seen.items():
                size, trains = sizes[key]
                total -= size * (count - 1)
                if trainable is not None and trains:
                    trainable -= size * (count - 1)
            repeats[node.path] = Counter(dict.fromkeys(seen, 1))
        node.total_params = total
        node.trainable_params = trainable
        node.non_trainable_params = None if trainable is None else total - trainable
