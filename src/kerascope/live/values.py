"""A live model's weight values, for the same value stage as a file's.

A variable of a walked model is a `TensorLocation` like a tensor in a file: its
values are taken (`variable.numpy()`, the framework's own copy) only when asked
for, and through a weak reference, so a report never keeps the model alive; once
the model is gone, its values are unavailable and say so.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerascope.decoders import dtypes
from kerascope.decoders.pieces import Fill, Piece
from kerascope.decoders.tensor_values import TensorLocation
from kerascope.errors import ValuesUnavailable
from kerascope.limits import Limits


@dataclass(frozen=True)
class VariableLocation(TensorLocation):
    """A live variable, by a weak reference."""

    variable: Any = None  # weakref.ref to the variable

    def pieces(self, limits: Limits) -> Iterator[Piece | Fill]:
        variable = self.variable() if self.variable is not None else None
        if variable is None:
            raise ValuesUnavailable(f"{self.key}: the live model it belonged to is gone")
        array = np.asarray(variable.numpy())
        if array.dtype.kind not in "biuf":  # bfloat16, float8: as float32, as files give them
            array = array.astype(np.float32)
        yield Piece(tuple(slice(0, size) for size in array.shape), array)


def variable_location(variable: Any, name: str, shape: list[int | None], dtype: str) -> TensorLocation | None:
    """Where a live variable's values are, or None when it cannot be referred to weakly
    or its type holds no numbers."""
    if any(size is None for size in shape) or not dtypes.holds_numbers(dtype):
        return None
    try:
        reference = weakref.ref(variable)
    except TypeError:
        return None
    return VariableLocation(name, tuple(int(size) for size in shape), dtype, reference)  # type: ignore[arg-type]
