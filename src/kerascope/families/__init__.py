"""What kerascope knows about Keras's own layer classes, one module per family.

Each family module (`core`, `convolution`, `pooling`, `normalization`,
`activation`, `regularization`, `reshaping`, `merging`, `recurrent`, `attention`,
`preprocessing`, `ops`, `applications`, `models`) holds, per class, one
`LayerKnowledge`: its shape rule, its cost rule, the variables its `build()`
creates (names, shapes, which train), the sublayers its own code creates, and
its `Kind`. `registry.known(key)` is the one lookup; `spelling.rule_key(node)`
says which key a stored layer answers to. A new built-in class is one entry in
its family's `register(...)`.

The rules read configs and shapes only: nothing here imports a framework.
"""

from __future__ import annotations

# Each family registers its classes with the registry as it is imported.
from kerascope.families import (
    activation,
    applications,
    attention,
    convolution,
    core,
    merging,
    models,
    normalization,
    ops,
    pooling,
    preprocessing,
    recurrent,
    regularization,
    reshaping,
)
from kerascope.families.knowledge import Build, LayerKnowledge, Price, Sublayer, Variable
from kerascope.families.registry import known, known_class
from kerascope.families.spelling import canonical_config, key_of, rule_key

__all__ = [
    "Build",
    "LayerKnowledge",
    "Price",
    "Sublayer",
    "Variable",
    "canonical_config",
    "key_of",
    "known",
    "known_class",
    "rule_key",
]
del core, convolution, pooling, normalization, activation, regularization, reshaping
del merging, recurrent, attention, preprocessing, ops, applications, models
