"""Keras's merging layers (`keras/src/layers/merging/`), and Keras 1's `Merge`.
None has weights."""

from __future__ import annotations

from kerascope.families.broadcasting import broadcast, concat
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, is_int, normalize_axis
from kerascope.families.knowledge import LayerKnowledge, Price
from kerascope.families.registry import register
from kerascope.families.rules import count, free
from kerascope.model.vocabulary import Kind


def _elementwise(call: Call) -> Shape:
    return broadcast(call.inputs)


def _merge_cost(call: Call, outputs: Outputs) -> Price:
    """One op per pair of inputs, one FLOP per output element each."""
    return Price(0, (len(call.inputs) - 1) * count(outputs[0]))


def _average_cost(call: Call, outputs: Outputs) -> Price:
    """The sum's adds and the division."""
    return Price(0, len(call.inputs) * count(outputs[0]))


def _concatenate(call: Call) -> Shape:
    return concat(call.inputs, call.get("axis", -1))


def _dot(call: Call) -> Shape:
    if len(call.inputs) != 2 or any(s is None for s in call.inputs):
        return None
    first, second = list(call.inputs[0]), list(call.inputs[1])  # type: ignore[arg-type]
    axes = call.config.get("axes", -1)
    if is_int(axes):
        pair = [axes % len(first), axes % len(second)] if axes < 0 else [axes, axes]
    elif isinstance(axes, list) and len(axes) == 2 and all(is_int(a) for a in axes):
        pair = [normalize_axis(axes[0], len(first)), normalize_axis(axes[1], len(second))]
    else:
        return None
    if None in pair or not (0 <= pair[0] < len(first) and 0 <= pair[1] < len(second)) or len(second) < 2:
        return None
    first.pop(pair[0])
    second.pop(pair[1])
    second.pop(0)
    out = first + second
    return tuple([*out, 1] if len(out) == 1 else out)


def _dot_cost(call: Call, outputs: Outputs) -> Price | None:
    if len(call.inputs) != 2 or call.inputs[0] is None:
        return None
    first, axes = call.inputs[0], call.config.get("axes", -1)
    axis = axes[0] if isinstance(axes, list) and axes else axes
    index = normalize_axis(axis, len(first))
    if index is None:
        return None
    macs = count(outputs[0]) * first[index]  # type: ignore[operator]
    return Price(macs, 2 * macs, estimated=True)


def _keras1_merge(call: Call) -> Shape:
    """Keras 1's one merge layer, whose `mode` names the operation."""
    mode = call.config.get("mode")
    if mode == "concat":
        return concat(call.inputs, call.get("concat_axis", -1))
    if mode in ("sum", "mul", "ave", "max"):
        return broadcast(call.inputs)
    return None


register(
    *(
        LayerKnowledge(name, Kind.MERGE, _elementwise, _merge_cost)
        for name in ("Add", "Subtract", "Multiply")
    ),
    LayerKnowledge("Average", Kind.MERGE, _elementwise, _average_cost),
    *(LayerKnowledge(name, Kind.MERGE, _elementwise, _merge_cost) for name in ("Maximum", "Minimum")),
    LayerKnowledge("Concatenate", Kind.MERGE, _concatenate, free),
    LayerKnowledge("Dot", Kind.MERGE, _dot, _dot_cost),
    LayerKnowledge("Merge", Kind.MERGE, _keras1_merge),
)
