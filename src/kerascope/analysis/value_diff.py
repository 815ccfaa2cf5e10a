"""Two models' weight values compared tensor by tensor (`kerascope diff A B --values`).

Tensors are paired through the same addressing as the rest of the diff: the layers
`diff.diff_reports` pairs (by path, then by structure, so Keras's generated names
do not matter), and within a pair of layers each weight by its position, as
Keras's own `load_weights` assigns them. Where one side shows a layer's sublayers
and the other keeps their weights as the layer's own (a Keras 2 `.h5` LSTM holds
its cell's `kernel`, `recurrent_kernel` and `bias`; a Keras 3 `.keras` stores
them under `lstm/cell`), both sides' weights are taken in one order, the layer's
own then its sublayers' depth-first, and paired by position in that. So a Keras 2
`.h5` and a Keras 3 `.keras` of one model compare tensor by tensor.

A pair is read without holding more than it must: two tensors whose values come
as runs in order (every format but chunked HDF5) are streamed side by side, a
piece of each at a time; others are read whole, each within
`Limits.max_tensor_bytes`. Differences are taken in float64.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerascope.analysis.weight_values import weight_label
from kerascope.decoders.pieces import Fill, Piece
from kerascope.decoders.tensor_values import TensorLocation, values
from kerascope.errors import KerascopeError, ValuesUnavailable
from kerascope.limits import Limits
from kerascope.model.records import LayerNode, ModelReport, WeightInfo
from kerascope.model.results import LayerChange, TensorChange, ValueDiff

BLOCK = 1 << 20  # values compared at once in float64 (8 MiB a side)


def compare_values(a: ModelReport, b: ModelReport, pairs: dict[str, str], limits: Limits) -> ValueDiff:
    """Every weight of `a` paired with its counterpart in `b` (`pairs`: the layers the
    diff matched, a path -> b path), compared, and each matched layer's change,
    largest first."""
    tensors: list[TensorChange] = []
    layers: list[LayerChange] = []
    covered: set[str] = set()  # layers of A whose weights a layer above them compared
    b_nodes = {node.path: node for node in b.nodes}
    for x in a.nodes:
        if x.path in covered or x.path not in pairs:
            continue
        y = b_nodes[pairs[x.path]]
        if _same_sight(x, y, pairs):
            left, right = list(enumerate(x.weights)), list(enumerate(y.weights))
        else:
            left, right = _held(a, x), _held(b, y)
            covered.update(node.path for node in _below(a, x))
        if not left and not right:
            continue
        compared = [_pair(x, y, position, old, new, limits) for position, (old, new) in _zipped(left, right)]
        compared += [_lone(x, y, position, weight) for position, weight in left[len(right) :]]
        tensors += compared
        layers.append(_layer_change(x, y, compared))
    return ValueDiff(sorted(layers, key=_order), tensors)


def _same_sight(x: LayerNode, y: LayerNode, pairs: dict[str, str]) -> bool:
    """Whether both sides show the same sublayers of this pair (so each keeps its own weights)."""
    return sorted(pairs.get(path, "") for path in x.children) == sorted(y.children)


def _below(report: ModelReport, node: LayerNode) -> Iterator[LayerNode]:
    stack = list(reversed(report.children(node)))
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(report.children(current)))


def _held(report: ModelReport, node: LayerNode) -> list[tuple[int, WeightInfo]]:
    """The weights of a layer and of its sublayers, depth-first, numbered in that order."""
    held = list(node.weights)
    for inner in _below(report, node):
        held += inner.weights
    return list(enumerate(held))


def _zipped(
    left: list[tuple[int, WeightInfo]], right: list[tuple[int, WeightInfo]]
) -> Iterator[tuple[int, tuple[WeightInfo, WeightInfo]]]:
    for (position, old), (_, new) in zip(left, right, strict=False):
        yield position, (old, new)


def _pair(
    x: LayerNode, y: LayerNode, position: int, old: WeightInfo, new: WeightInfo, limits: Limits
) -> TensorChange:
    change = TensorChange(y.path, x.path, weight_label(new, position), position, list(new.shape), new.dtype)
    if list(old.shape) != list(new.shape):
        change.unread = f"its shape changed, {list(old.shape)} to {list(new.shape)}"
        return change
    if old.location is None or new.location is None:
        change.unread = "the report does not say where its values are"
        return change
    try:
        _compare(old.location, new.location, old.dtype == new.dtype, change, limits)  # type: ignore[arg-type]
    except ValuesUnavailable as error:
        change.same = change.max_abs_diff = change.rel_l2 = None
        change.unread = str(error)
    except KerascopeError as error:
        raise KerascopeError(f"{x.path or '(model)'} / {change.weight}: {error}") from None
    return change


def _lone(x: LayerNode, y: LayerNode, position: int, weight: WeightInfo) -> TensorChange:
    change = TensorChange(
        y.path, x.path, weight_label(weight, position), position, list(weight.shape), weight.dtype
    )
    change.unread = "B has no weight at this position"
    return change


# -- one pair of tensors ---------------------------------------------------------------
class _Sums:
    """What the comparison of two tensors accumulates, piece by piece."""

    def __init__(self, same_type: bool) -> None:
        self.same = same_type
        self.largest = 0.0
        self.diff_squares = 0.0
        self.a_squares = 0.0
        self.nonfinite = 0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        a, b = a.reshape(-1), b.reshape(-1)
        for start in range(0, a.size, BLOCK):
            self._block(a[start : start + BLOCK], b[start : start + BLOCK])

    def _block(self, a: np.ndarray, b: np.ndarray) -> None:
        if self.same and not np.array_equal(_bits(a), _bits(b)):
            self.same = False
        wide_a, wide_b = a.astype(np.float64), b.astype(np.float64)
        finite = np.isfinite(wide_a) & np.isfinite(wide_b)
        if not finite.all():
            self.nonfinite += int(finite.size - np.count_nonzero(finite))
            wide_a, wide_b = wide_a[finite], wide_b[finite]
        if not wide_a.size:
            return
        wide_b -= wide_a
        self.largest = max(self.largest, float(np.max(np.abs(wide_b))))
        self.diff_squares += float(np.dot(wide_b, wide_b))
        self.a_squares += float(np.dot(wide_a, wide_a))

    def fill(self, change: TensorChange) -> None:
        change.same = self.same
        change.max_abs_diff = self.largest
        change.diff_squares, change.a_squares = self.diff_squares, self.a_squares
        change.rel_l2 = _relative(self.diff_squares, self.a_squares)
        change.nonfinite = self.nonfinite


def _bits(values: np.ndarray) -> np.ndarray:
    """The values' bytes, so that equal bits (NaN included) compare equal."""
    return np.ascontiguousarray(values).view(np.uint8)


def _relative(diff_squares: float, a_squares: float) -> float | None:
    if a_squares > 0:
        return math.sqrt(diff_squares) / math.sqrt(a_squares)
    return 0.0 if diff_squares == 0 else None


def _compare(
    old: TensorLocation, new: TensorLocation, same_type: bool, change: TensorChange, limits: Limits
) -> None:
    sums = _Sums(same_type)
    left, right = values(old, limits), values(new, limits)
    try:
        _side_by_side(left, right, tuple(change.shape), sums)  # type: ignore[arg-type]
    except _NotRuns:
        sums = _Sums(same_type)
        sums.add(old.array(limits), new.array(limits))
    finally:
        left.close()
        right.close()
    sums.fill(change)


class _NotRuns(Exception):
    """A tensor whose pieces are not runs of its elements in order (HDF5 chunks)."""


def _side_by_side(
    old: Iterator[Piece | Fill], new: Iterator[Piece | Fill], shape: tuple[int, ...], sums: _Sums
) -> None:
    """Two tensors streamed together, each piece cut to what the other side has."""
    left, right = _runs(old, shape), _runs(new, shape)
    a = b = np.empty(0)
    while True:
        if not a.size:
            a = next(left, None)  # type: ignore[assignment]
        if not b.size:
            b = next(right, None)  # type: ignore[assignment]
        if a is None or b is None:
            if a is not None or b is not None:
                raise KerascopeError("the two tensors hold different numbers of values")
            return
        count = min(a.size, b.size)
        sums.add(a[:count], b[:count])
        a, b = a[count:], b[count:]


def _runs(pieces: Iterator[Piece | Fill], shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    """The values of each piece, flat, as long as each piece continues where the last
    ended in C order; `_NotRuns` at the first that does not."""
    at = 0
    for piece in pieces:
        if isinstance(piece, Fill) or _start(piece.box, shape) != at:
            raise _NotRuns
        flat = piece.data.reshape(-1)
        at += flat.size
        yield flat


def _start(box: tuple[slice, ...], shape: tuple[int, ...]) -> int | None:
    """Where a box begins in C order, if the box is one run of consecutive elements:
    single indices, then one partial axis, then whole axes."""
    partial = False
    for part, size in zip(box, shape, strict=True):
        if partial and (part.start != 0 or part.stop != size):
            return None
        if part.stop - part.start != 1:
            partial = True
    start = 0
    for part, size in zip(box, shape, strict=True):
        start = start * size + part.start
    return start


# -- layers ----------------------------------------------------------------------------
def _layer_change(x: LayerNode, y: LayerNode, tensors: list[TensorChange]) -> LayerChange:
    compared = [tensor for tensor in tensors if tensor.unread is None]
    changed = sum(not tensor.same for tensor in compared)
    status = "unread" if not compared else "changed" if changed else "unchanged"
    return LayerChange(
        path=y.path,
        a=x.path,
        class_name=y.class_name or x.class_name,
        status=status,
        frozen=_frozen(x) or _frozen(y),
        tensors=len(tensors),
        changed=changed,
        max_abs_diff=max((t.max_abs_diff or 0.0 for t in compared), default=None),
        rel_l2=_relative(sum(t.diff_squares for t in compared), sum(t.a_squares for t in compared))
        if compared
        else None,
    )


def _frozen(node: LayerNode) -> bool:
    """Not trainable: its config says so, or the file marks every weight it holds so."""
    config: Any = node.config
    if isinstance(config, dict) and config.get("trainable") is False:
        return True
    return bool(node.weights) and all(weight.trainable is False for weight in node.weights)


def _order(layer: LayerChange) -> tuple[int, float, float]:
    rank = {"changed": 0, "unchanged": 1, "unread": 2}[layer.status]
    rel = math.inf if layer.rel_l2 is None else layer.rel_l2
    return rank, -rel, -(layer.max_abs_diff or 0.0)
