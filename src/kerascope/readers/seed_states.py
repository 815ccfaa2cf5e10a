"""Random-seed states: variables Keras saves that are no parameters.

A `SeedGenerator` (inside Dropout, the random augmentation layers, an LSTM with
dropout) holds one variable, `seed_generator_state`: state among a layer's
`non_trainable_variables`, but no weight (`Layer.weights` leaves out "metric state
and random seeds", and so does `count_params()`). Where a file keeps every variable
(an export, an Orbax checkpoint), these are counted apart, in the report's metadata
under `random_seeds`, so that its parameters are what `count_params()` says.
"""

from __future__ import annotations

import math

from kerascope.model.records import WeightInfo

SEED_STATE = "seed_generator_state"
METADATA_KEY = "random_seeds"


def is_seed_state(name: str) -> bool:
    """Whether a variable's name (a path or a scope, `/`- or `.`-separated) is a seed state's."""
    return name.replace(".", "/").rsplit("/", 1)[-1].removesuffix(":0") == SEED_STATE


def split_seed_states(weights: list[WeightInfo]) -> tuple[list[WeightInfo], dict[str, int] | None]:
    """The weights, and the seed states among them counted (None when there are none)."""
    kept, variables, parameters = [], 0, 0
    for weight in weights:
        if weight.name is not None and is_seed_state(weight.name) and weight.trainable is not True:
            variables += 1
            parameters += math.prod(d or 0 for d in weight.shape)
        else:
            kept.append(weight)
    return kept, {"variables": variables, "parameters": parameters} if variables else None
