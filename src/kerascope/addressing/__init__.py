"""Keras's own weight addressing: how each generation names a layer's weights and finds them.

One rule per kind of file, each from the Keras source it follows (cited in its
module), and every reader attaches weights through them:

- `saving_lib`: Keras 3 and TF-Keras (2.12 on) `.keras` archives, `.weights.h5`,
  `.weights.json` shards and npz archives, KerasHub presets: groups named by the
  path of attributes to each object, with class-name counters in lists
  (`saving_lib._walk_saveable`, `_save_state`, `_save_container_state` in
  `keras/src/saving/saving_lib.py`; TF-Keras's `_walk_trackable`). `stores`: the
  interface every container of that tree is read through (Keras's `H5IOStore`,
  `ShardedH5IOStore`, `NpzIOStore`).
- `named`: weights a file lists by name (legacy HDF5 groups, TensorFlow.js
  manifests, Orbax trees): by position in a layer's legacy weight list where its
  classes are known (`legacy_h5_format.load_weights_from_hdf5_group`), else by
  the scopes of the names (tfjs-layers `loadWeights`, Keras's
  `Model.set_state_tree`).
- `object_graph`: SavedModels, where the object graph says which object holds
  each variable (tf_keras `saving/legacy/saved_model/load.py`).
- `structure`: the sublayers Keras's own layers create, which no config lists;
  `slots`: the variables a built-in layer holds, in Keras's order (`_legacy_weights`).
- `generations`: which Keras a file meets, and the rules that differ by version.
- `prediction`: what Keras's loader does when a store meets an architecture:
  `receiving` (the receiving model's objects, as `_walk_saveable` yields them)
  and `simulation` (`saving_lib._load_state`) for `saving_lib`; the legacy
  loaders (`load_weights_from_hdf5_group`, `_by_name`); `messages`, what Keras
  says, in its words.
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
