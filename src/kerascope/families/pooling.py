"""Keras's pooling layers (`keras/src/layers/pooling/`), 1-D to 3-D: windowed
(`base_pooling.py`, `BasePooling`) and global (`base_global_pooling.py`,
`BaseGlobalPooling`). None has weights."""

from __future__ import annotations

from math import prod

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_tuple
from kerascope.families.geometry import join, split, window
from kerascope.families.knowledge import CostRule, LayerKnowledge, Price
from kerascope.families.registry import register
from kerascope.families.rules import count, free
from kerascope.model.vocabulary import Kind


def _pooling(call: Call, rank: int) -> Shape:
    key = "pool_size"
    size = call.config.get(key, 2)
    parts = split(call, rank)
    geometry = window(call, rank, kernel_key=key, strides_default=size)
    if parts is None or geometry is None:
        return None
    batch, spatial, channels = parts
    out = geometry.lengths(spatial, dilated=False)
    return join(call, batch, out, channels)


def _pooling_cost(rank: int) -> CostRule:
    """The profiler counts the pool area per output (3-D pooling has no registered
    count: counted as the 2-D one is, and marked estimated)."""

    def rule(call: Call, outputs: Outputs) -> Price | None:
        size = int_tuple(call.config.get("pool_size", 2), rank)
        return None if size is None else Price(0, prod(size) * count(outputs[0]), estimated=rank == 3)

    return rule


def _global_pooling(call: Call, rank: int) -> Shape:
    parts = split(call, rank)
    if parts is None:
        return None
    batch, _, channels = parts
    if call.flag("keepdims"):
        return join(call, batch, (1,) * rank, channels)
    return (batch, channels)


def _global_average_cost(call: Call, outputs: Outputs) -> Price:
    """A Mean: one FLOP per input element."""
    return Price(0, count(call.x))


for _rank in (1, 2, 3):
    register(
        *(
            LayerKnowledge(
                f"{kind}Pooling{_rank}D",
                Kind.POOLING,
                lambda call, rank=_rank: _pooling(call, rank),
                _pooling_cost(_rank),
            )
            for kind in ("Max", "Average")
        ),
        LayerKnowledge(
            f"GlobalMaxPooling{_rank}D",
            Kind.POOLING,
            lambda call, rank=_rank: _global_pooling(call, rank),
            free,
        ),
        LayerKnowledge(
            f"GlobalAveragePooling{_rank}D",
            Kind.POOLING,
            lambda call, rank=_rank: _global_pooling(call, rank),
            _global_average_cost,
        ),
    )
