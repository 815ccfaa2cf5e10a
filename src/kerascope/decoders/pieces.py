"""What a tensor's values stream as, one piece at a time: a `Piece` of stored values
where they lie in the tensor, or a `Fill` of elements never stored that all hold one
value (an HDF5 chunk never written). The readers yield them (`tensor_values.values`),
the statistics and the value diff fold them (`value_stats`, `analysis/value_diff`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Piece(NamedTuple):
    box: tuple[slice, ...]  # where in the tensor, one slice per dimension
    data: np.ndarray  # the values there, shaped as the box


class Fill(NamedTuple):
    """`count` elements, never stored, that all hold `value`. Comes before any Piece."""

    count: int
    value: np.ndarray  # 0-d
