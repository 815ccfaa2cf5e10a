"""Keras's own weight addressing: how each generation names a layer's weights and finds them.

One rule per kind of file, each from the Keras source it follows, and every
reader attaches weights through them:

- `saving_lib`: Keras 3 and TF-Keras (2.12 on) `.keras` archives, `.weights.h5`,
  `.weights.json` shards and npz archives, KerasHub presets: groups named by the
  path of attributes to each object, with class-name counters in lists.
- `named`: weights a file lists by name (legacy HDF5 groups, TensorFlow.js
  manifests, Orbax trees): by position in a layer's legacy weight list where its
  classes are known, else by the scopes of the names.
- `object_graph`: SavedModels, where the object graph says which object holds
  each variable.
- `structure`: the sublayers Keras's own layers create, which no config lists;
  `slots`: the variables a built-in layer holds, in Keras's order.
- `generations`: which Keras a file meets, and the rules that differ by version.
- `prediction`: what Keras's loader does when a store meets an architecture.
"""

from __future__ import annotations

from kerascope.addressing.generations import (
    LATEST_KERAS_3,
    LATEST_TF_KERAS,
    Generation,
    Line,
    generation_of,
    loading_generation,
)
from kerascope.addressing.named import place_group, place_named
from kerascope.addressing.saving_lib import Addressed, attach
from kerascope.addressing.stores import WeightStore
from kerascope.addressing.structure import Expansion, expand

__all__ = [
    "LATEST_KERAS_3",
    "LATEST_TF_KERAS",
    "Addressed",
    "Expansion",
    "Generation",
    "Line",
    "WeightStore",
    "attach",
    "expand",
    "generation_of",
    "loading_generation",
    "place_group",
    "place_named",
]
