"""Helper layers `keras.applications` defines for its models (module
`keras.src.applications.*`, key `app:` and the class)."""

from __future__ import annotations

from kerascope.families.broadcasting import broadcast
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape
from kerascope.families.knowledge import LayerKnowledge, Price
from kerascope.families.registry import register
from kerascope.families.rules import count, free, same_shape
from kerascope.families.spelling import APPLICATION_PREFIX
from kerascope.model.vocabulary import Kind


def _layer_scale_cost(call: Call, outputs: Outputs) -> Price:
    """ConvNeXt's (convnext.py, LayerScale): the input times a per-channel gamma."""
    return Price(0, count(call.x))


def _custom_scale(call: Call) -> Shape:
    """InceptionResNetV2's (inception_resnet_v2.py, CustomScaleLayer): `x[0] + x[1] * scale`."""
    return broadcast(call.inputs)


def _custom_scale_cost(call: Call, outputs: Outputs) -> Price:
    return Price(0, 2 * count(outputs[0]))


register(
    LayerKnowledge(f"{APPLICATION_PREFIX}LayerScale", Kind.NORMALIZATION, same_shape, _layer_scale_cost),
    LayerKnowledge(f"{APPLICATION_PREFIX}StochasticDepth", Kind.REGULARIZATION, same_shape, free),
    LayerKnowledge(f"{APPLICATION_PREFIX}CustomScaleLayer", Kind.MERGE, _custom_scale, _custom_scale_cost),
)
