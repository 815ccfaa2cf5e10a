"""Statistics of a tensor's values, taken as its pieces stream past, never holding it whole.

Per piece, the finite values' count, sum, minimum and maximum and their squared
deviations from the piece's own mean are taken in float64; pieces are then merged
with Chan, Golub and LeVeque's pairwise update (`M2 = M2a + M2b + d² na nb / n`),
which stays accurate where the textbook `E[x²] - E[x]²` cancels away. A piece is cut
into blocks of `BLOCK` values, so the float64 working copies stay small whatever
size a format's chunks are. NaN and infinities are counted and left out of the rest;
zeros count every value equal to zero (-0.0 too).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerascope.decoders.pieces import Fill, Piece

BLOCK = 1 << 20  # values per float64 working block: 8 MiB


@dataclass
class TensorStats:
    """What a tensor's values are, in numbers a report can hold: `count`, `min`, `max`,
    `mean`, `std` (population, numpy's default) are over the finite values; `nan`,
    `inf` and `zeros` count values. With no finite value, min, max, mean and std are None."""

    count: int = 0
    nan: int = 0
    inf: int = 0
    zeros: int = 0
    min: Any = None  # a Python int for integer tensors, a float otherwise
    max: Any = None
    mean: float = 0.0
    m2: float = field(default=0.0, repr=False)  # the sum of squared deviations from the mean

    @property
    def std(self) -> float | None:
        return math.sqrt(self.m2 / self.count) if self.count else None

    def as_dict(self) -> dict[str, Any]:
        """The `stats` of a weight in a report (JSON-safe: None where there is no number)."""
        finite = self.count > 0
        return {
            "count": self.count,
            "min": self.min if finite else None,
            "max": self.max if finite else None,
            "mean": self.mean if finite else None,
            "std": self.std,
            "nan": self.nan,
            "inf": self.inf,
            "zeros": self.zeros,
        }

    def add(self, values: np.ndarray) -> None:
        """Take in a piece of the tensor (any shape, any numeric type)."""
        flat = values.reshape(-1)
        for start in range(0, flat.size, BLOCK):
            self._add_block(flat[start : start + BLOCK])

    def add_repeated(self, value: np.ndarray, count: int) -> None:
        """Take in `count` copies of one value (an HDF5 fill value), without making them."""
        if count <= 0:
            return
        single = np.asarray(value).reshape(1)
        number = single[0].item()
        if single.dtype.kind in "fc" and not math.isfinite(number):
            if math.isnan(number):
                self.nan += count
            else:
                self.inf += count
            return
        self.zeros += count if number == 0 else 0
        self._merge(count, float(number), 0.0, _python(single[0]), _python(single[0]))

    def _add_block(self, block: np.ndarray) -> None:
        if block.dtype == np.bool_:
            block = block.view(np.uint8)
        self.zeros += block.size - int(np.count_nonzero(block))
        low, high = block.min(), block.max()
        if block.dtype.kind == "f" and not (np.isfinite(low) and np.isfinite(high)):
            nans = np.isnan(block)
            infs = np.isinf(block)
            self.nan += int(np.count_nonzero(nans))
            self.inf += int(np.count_nonzero(infs))
            block = block[~(nans | infs)]
            if block.size == 0:
                return
            low, high = block.min(), block.max()
        count = block.size
        mean = float(np.add.reduce(block, dtype=np.float64)) / count
        deviations = block.astype(np.float64)
        deviations -= mean
        self._merge(count, mean, float(np.dot(deviations, deviations)), _python(low), _python(high))

    def _merge(self, count: int, mean: float, m2: float, low: Any, high: Any) -> None:
        total = self.count + count
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.count * count / total
        self.mean += delta * count / total
        self.min = low if self.count == 0 or low < self.min else self.min
        self.max = high if self.count == 0 or high > self.max else self.max
        self.count = total


def combined(parts: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """Several tensors' statistics (`as_dict()`s) as those of all their values together
    (a layer's weights); None for none. Means and spreads merge as pieces do."""
    total = TensorStats()
    found = False
    for part in parts:
        found = True
        total.nan += part["nan"]
        total.inf += part["inf"]
        total.zeros += part["zeros"]
        if part["count"]:
            m2 = part["std"] ** 2 * part["count"]
            total._merge(part["count"], part["mean"], m2, part["min"], part["max"])
    return total.as_dict() if found else None


def _python(value: np.generic) -> Any:
    """A numpy scalar as Python's own number: integers stay exact, floats become float."""
    return int(value) if isinstance(value, (np.integer, np.bool_)) else float(value)


def tensor_stats(pieces: Iterable[Piece | Fill]) -> TensorStats:
    """The statistics of a tensor from the pieces `tensor_values.values()` yields."""
    stats = TensorStats()
    for piece in pieces:
        if isinstance(piece, Fill):
            stats.add_repeated(piece.value, piece.count)
        else:
            stats.add(piece.data)
    return stats
