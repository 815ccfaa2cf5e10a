"""Stored shapes, checked: a weight's shape as a file declares it, refused when no
writer could have made it, and a short form of any stored value for a message."""

from __future__ import annotations

import math
from typing import Any

from kerascope.errors import KerascopeError

# The most elements a stored weight may declare: 2**48, far beyond any real model's.
MAX_WEIGHT_ELEMENTS = 1 << 48


def weight_shape(value: Any, what: str) -> list[int]:
    """A weight's stored shape: a list of whole non-negative sizes whose product is
    a real tensor's, else the file is refused (it is not what any writer makes)."""
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        raise KerascopeError(f"{what} has shape {printable_repr(value)}, not a list of sizes")
    if (
        len(value) > 64
        or any(d < 0 or d > MAX_WEIGHT_ELEMENTS for d in value)
        or math.prod(value) > MAX_WEIGHT_ELEMENTS
    ):
        raise KerascopeError(f"{what} declares a shape of more than {MAX_WEIGHT_ELEMENTS:,} elements")
    return value


def printable_repr(value: Any) -> str:
    """A short repr of a value from a file, for a message (a huge number is not spelled out)."""
    if isinstance(value, list):
        text = (
            "[" + ", ".join(printable_repr(item) for item in value[:8]) + (", …]" if len(value) > 8 else "]")
        )
    elif isinstance(value, int) and value.bit_length() > 64:
        text = "<a huge number>"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"
