"""Keras's snake case of a class name.

One `to_snake_case`, the rule Keras itself uses for weight-group names in a
`.keras` file (`layers/conv2d_transpose_1/vars`) and for the names it gives
layers created without one (`conv2d_transpose`, `conv2d_transpose_1`), shared by
the weights reader and by the generated-name rule (`kerascope.families.naming`).
"""

from __future__ import annotations

import re
from functools import lru_cache

_NOT_WORD = re.compile(r"\W+")
_BEFORE_WORD = re.compile("(.)([A-Z][a-z]+)")
_LOWER_UPPER = re.compile("([a-z])([A-Z])")


@lru_cache(maxsize=4096)  # a model names a few classes thousands of times
def to_snake_case(name: str) -> str:
    """`Conv2DTranspose` -> `conv2d_transpose`, as `keras.src.utils.naming` does it."""
    name = _NOT_WORD.sub("", name)
    name = _BEFORE_WORD.sub(r"\1_\2", name)
    return _LOWER_UPPER.sub(r"\1_\2", name).lower()
