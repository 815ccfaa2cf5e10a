"""Keras's activation layers (`keras/src/layers/activations/`, and Keras 2's
ThresholdedReLU): each outputs its input's shape."""

from __future__ import annotations

from kerascope.families.call import Call, Outputs
from kerascope.families.dims import is_int
from kerascope.families.knowledge import Build, LayerKnowledge, Price, Variable
from kerascope.families.registry import register
from kerascope.families.rules import activation_flops, count, free, same_shape
from kerascope.model.vocabulary import Kind


def _activation_cost(call: Call, outputs: Outputs) -> Price | None:
    flops = activation_flops(call, count(call.x))
    return None if flops is None else Price(0, flops)


def _relu_cost(call: Call, outputs: Outputs) -> Price:
    """A plain ReLU (or ReLU6) is a Relu op, which counts nothing; any other
    combination of slope, threshold and ceiling is a few elementwise ops."""
    plain = not call.config.get("negative_slope") and not call.config.get("threshold")
    if plain and call.config.get("max_value") in (None, 6, 6.0):
        return Price(0, 0)
    return Price(0, 3 * count(call.x), estimated=True)


def _softmax_cost(call: Call, outputs: Outputs) -> Price:
    axis = call.config.get("axis", -1)
    last = axis == -1 or (is_int(axis) and call.x is not None and axis == len(call.x) - 1)
    return Price(0, 5 * count(call.x), estimated=not last)


def _prelu_cost(call: Call, outputs: Outputs) -> Price:
    return Price(0, 4 * count(call.x), estimated=True)


def _prelu_weights(build: Build) -> list[Variable] | None:
    """`PReLU.build` (prelu.py): alpha shaped as the input less its batch axis, 1 along `shared_axes`."""
    shape = build.input_shape
    if shape is None:
        return [Variable("alpha", None)]
    alpha = list(shape[1:])
    shared = build.config.get("shared_axes")
    for axis in shared if isinstance(shared, list) else [] if shared is None else [shared]:
        alpha[axis - 1] = 1
    return [Variable("alpha", alpha)]


register(
    LayerKnowledge("Activation", Kind.ACTIVATION, same_shape, _activation_cost),
    LayerKnowledge("ReLU", Kind.ACTIVATION, same_shape, _relu_cost),
    LayerKnowledge("Softmax", Kind.ACTIVATION, same_shape, _softmax_cost),
    LayerKnowledge("PReLU", Kind.ACTIVATION, same_shape, _prelu_cost, _prelu_weights),
    LayerKnowledge("LeakyReLU", Kind.ACTIVATION, same_shape, free),
    LayerKnowledge("ELU", Kind.ACTIVATION, same_shape, free),
    LayerKnowledge("ThresholdedReLU", Kind.ACTIVATION, same_shape, free),
)
