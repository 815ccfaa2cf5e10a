"""Tensor shapes as the engine and the rules hold them, taken from a file only within bounds.

A shape is a tuple of dimensions, each an `int` or `None` (unknown); a whole
shape may be `None` (not even the rank is known). Numbers come from files, and
Python integers are unbounded: a dimension of 10**4000 or a rank of a million
must not turn into a huge loop or allocation. Every shape enters through
`as_shape`, which refuses ranks over `MAX_RANK` and dimensions over `MAX_DIM`
(they become unknown), so every later step loops over at most `MAX_RANK` items
and multiplies numbers of bounded size. No step ever loops over a dimension's
value.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Dim: TypeAlias = "int | None"
Shape: TypeAlias = "tuple[int | None, ...] | None"

# Far above any real tensor (a trillion along one axis), far below what would hurt.
MAX_DIM = 2**40
MAX_RANK = 64
# A tensor's element count above this is treated as unknown (no real model comes near).
MAX_ELEMENTS = 2**62


class OutOfRange(ValueError):
    """A number from a file is beyond what any real model holds."""


def is_int(value: Any) -> bool:
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def as_dim(value: Any) -> Dim:
    """A dimension from a file: a non-negative int within MAX_DIM, else unknown;
    a number over the limit raises OutOfRange (the caller reports it)."""
    if not is_int(value):
        return None
    if value < 0:
        return None
    if value > MAX_DIM:
        raise OutOfRange(f"a dimension over {MAX_DIM:,}")
    return value


def as_shape(value: Any) -> Shape:
    """A shape from a file (a list of ints and nulls), or None when it is not one.
    Raises OutOfRange for a rank or a dimension beyond the limits."""
    if type(value) is not list and type(value) is not tuple:
        return None
    if len(value) > MAX_RANK:
        raise OutOfRange(f"a rank over {MAX_RANK}")
    negative = False
    for item in value:
        if item is None:
            continue
        if type(item) is not int:  # also refuses bool, whose type is bool
            return None
        if item > MAX_DIM:
            raise OutOfRange(f"a dimension over {MAX_DIM:,}")
        negative = negative or item < 0
    if negative:
        return tuple(None if item is None or item < 0 else item for item in value)
    return tuple(value)


def int_arg(value: Any, default: int | None = None) -> int | None:
    """A whole-number argument from a config (units, filters, axis), bounded."""
    if not is_int(value):
        return default
    if abs(value) > MAX_DIM:
        raise OutOfRange(f"a number over {MAX_DIM:,}")
    return value


def int_tuple(value: Any, rank: int) -> tuple[int, ...] | None:
    """An int or a list of `rank` ints (kernel size, strides), bounded; None otherwise."""
    if is_int(value):
        return (int_arg(value),) * rank  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        if len(value) != rank or not all(type(v) is int for v in value):
            return None
        if any(abs(v) > MAX_DIM for v in value):
            raise OutOfRange(f"a number over {MAX_DIM:,}")
        return tuple(value)
    return None


def check(dim: Dim) -> Dim:
    """A computed dimension: negative means the layer cannot be applied (unknown)."""
    if dim is None or dim < 0:
        return None
    if dim > MAX_DIM:
        raise OutOfRange(f"a computed dimension over {MAX_DIM:,}")
    return dim


def mul(*dims: Dim) -> Dim:
    total = 1
    for dim in dims:
        if dim is None:
            return None
        total *= dim
    return check(total)


def add(*dims: Dim) -> Dim:
    if any(dim is None for dim in dims):
        return None
    return check(sum(dims))  # type: ignore[arg-type]


def elements(shape: Shape) -> int | None:
    """How many elements a fully known shape holds; None when a dimension is unknown."""
    if shape is None:
        return None
    total = 1
    for dim in shape:
        if dim is None:
            return None
        total *= dim
    return total if total <= MAX_ELEMENTS else None


def normalize_axis(axis: Any, rank: int) -> int | None:
    """A Python-style axis (negative counts from the end) as an index, or None."""
    if not is_int(axis) or not -rank <= axis < rank:
        return None
    return axis % rank


def merge(first: Shape, second: Shape) -> tuple[Shape, bool]:
    """The shape both say, each filling the other's unknowns, and whether they agree."""
    if first is None:
        return second, True
    if second is None:
        return first, True
    if len(first) != len(second):
        return first, False
    merged = []
    for a, b in zip(first, second, strict=True):
        if a is not None and b is not None and a != b:
            return first, False
        merged.append(a if a is not None else b)
    return tuple(merged), True


def with_batch(shape: Shape, batch: int | None) -> Shape:
    """`shape` with an unknown leading (batch) dimension set to `batch`."""
    if shape is None or batch is None or not shape or shape[0] is not None:
        return shape
    return (batch, *shape[1:])


def as_list(shape: Shape) -> list[int | None] | None:
    return None if shape is None else list(shape)
