"""Keras's reshaping layers (`keras/src/layers/reshaping/`). None has weights; all
but UpSampling with interpolation cost nothing the profiler counts."""

from __future__ import annotations

from kerascope.families import dims
from kerascope.families.broadcasting import resolve_minus_one
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, is_int, mul
from kerascope.families.knowledge import LayerKnowledge, Price
from kerascope.families.registry import register
from kerascope.families.rules import free
from kerascope.model.vocabulary import Kind


def _reshape(call: Call) -> Shape:
    target = call.config.get("target_shape")
    if not isinstance(target, list) or call.x is None or len(target) > dims.MAX_RANK:
        return None
    if not all(is_int(d) for d in target) or sum(d == -1 for d in target) > 1:
        return None
    return (call.x[0], *resolve_minus_one([int_arg(d) for d in target], call.x[1:]))


def _flatten(call: Call) -> Shape:
    if not call.x:
        return None
    return (call.x[0], mul(*call.x[1:])) if len(call.x) > 1 else (call.x[0], 1)


def _permute(call: Call) -> Shape:
    order = call.config.get("dims")
    x = call.x
    if not isinstance(order, list) or x is None or sorted(order) != list(range(1, len(x))):
        return None
    return (x[0], *(x[d] for d in order))


def _repeat_vector(call: Call) -> Shape:
    count = int_arg(call.get("n"))
    if count is None or count < 0 or call.x is None or len(call.x) != 2:
        return None
    return (call.x[0], count, call.x[1])


def _pairs(value: object, rank: int) -> list[tuple[int, int]] | None:
    """Cropping/padding amounts: an int, one int per axis, or a (before, after) pair per axis."""
    if is_int(value):
        return [(int_arg(value), int_arg(value))] * rank  # type: ignore[list-item]
    if not isinstance(value, list) or len(value) != rank:
        if rank == 1 and isinstance(value, list) and len(value) == 2 and all(is_int(v) for v in value):
            return [(int_arg(value[0]), int_arg(value[1]))]  # type: ignore[list-item]
        return None
    pairs = []
    for item in value:
        if is_int(item):
            pairs.append((int_arg(item), int_arg(item)))
        elif isinstance(item, list) and len(item) == 2 and all(is_int(v) for v in item):
            pairs.append((int_arg(item[0]), int_arg(item[1])))
        else:
            return None
    return pairs  # type: ignore[return-value]


def _spatial_edit(call: Call, rank: int, key: str, sign: int) -> Shape:
    x = call.x
    pairs = _pairs(call.config.get(key), rank)
    if x is None or len(x) != rank + 2 or pairs is None:
        return None
    first = 2 if call.channels_first() and rank > 1 else 1
    out = list(x)
    for axis, (before, after) in enumerate(pairs):
        size = x[first + axis]
        out[first + axis] = None if size is None else dims.check(size + sign * (before + after))
    return tuple(out)


def _upsample(call: Call, rank: int) -> Shape:
    x = call.x
    factor = call.config.get("size", call.config.get("length", 2))  # Keras 1 said `length`
    sizes = dims.int_tuple(factor, rank)
    if x is None or len(x) != rank + 2 or sizes is None:
        return None
    first = 2 if call.channels_first() and rank > 1 else 1
    out = list(x)
    for axis, factor in enumerate(sizes):
        out[first + axis] = mul(x[first + axis], factor)
    return tuple(out)


def _upsample_cost(rank: int, call: Call, outputs: Outputs) -> Price:
    """Nearest-neighbour upsampling costs the profiler one FLOP per spatial axis;
    interpolation runs as an op it does not count."""
    return Price(0, 0 if call.config.get("interpolation", "nearest") != "nearest" else rank)


register(
    LayerKnowledge("Reshape", Kind.RESHAPE, _reshape, free),
    LayerKnowledge("Flatten", Kind.RESHAPE, _flatten, free),
    LayerKnowledge("Permute", Kind.RESHAPE, _permute, free),
    LayerKnowledge("RepeatVector", Kind.RESHAPE, _repeat_vector, free),
)
for _rank in (1, 2, 3):
    register(
        LayerKnowledge(
            f"Cropping{_rank}D",
            Kind.RESHAPE,
            lambda call, rank=_rank: _spatial_edit(call, rank, "cropping", -1),
            free,
        ),
        LayerKnowledge(
            f"ZeroPadding{_rank}D",
            Kind.RESHAPE,
            lambda call, rank=_rank: _spatial_edit(call, rank, "padding", 1),
            free,
        ),
        LayerKnowledge(
            f"UpSampling{_rank}D",
            Kind.RESHAPE,
            lambda call, rank=_rank: _upsample(call, rank),
            lambda call, outputs, rank=_rank: _upsample_cost(rank, call, outputs),
        ),
    )
