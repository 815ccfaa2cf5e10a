"""The Keras 3 operations a functional config records among its layers (`x + 1`,
`keras.ops.mean(x)`: class `Add` or `Mean` in module `keras.src.ops.numpy`, key
`op:Add`), and TF-Keras's wrapped TensorFlow operations. None has weights."""

from __future__ import annotations

from kerascope.families import dims
from kerascope.families.broadcasting import broadcast, concat, resolve_minus_one
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import Shape, int_arg, is_int, normalize_axis
from kerascope.families.knowledge import CostRule, LayerKnowledge, Price, ShapeRule
from kerascope.families.registry import register
from kerascope.families.rules import count, free
from kerascope.families.spelling import OP_PREFIX
from kerascope.model.vocabulary import Kind


def _unary(call: Call) -> Shape:
    return call.x


def _binary(call: Call) -> Shape:
    return broadcast(call.inputs) if len(call.inputs) > 1 else call.x


def _elementwise_cost(call: Call, outputs: Outputs) -> Price:
    """One FLOP per output element."""
    return Price(0, count(outputs[0]))


def _mean_cost(call: Call, outputs: Outputs) -> Price:
    """A Mean: one FLOP per input element."""
    return Price(0, count(call.x))


def _reduction(call: Call) -> Shape:
    x, axis = call.x, call.config.get("axis")
    if x is None:
        return None
    keep = call.flag("keepdims")
    if axis is None:
        return tuple(1 for _ in x) if keep else ()
    chosen = _chosen_axes(axis, len(x))
    if chosen is None:
        return None
    return tuple(1 if i in chosen else d for i, d in enumerate(x) if keep or i not in chosen)


def _chosen_axes(axis: object, rank: int) -> set[int] | None:
    """The axes an `axis` argument (an int or a list of them) names, as indices; None if any is no axis."""
    axes = [axis] if is_int(axis) else axis
    if not isinstance(axes, list) or not all(is_int(a) for a in axes):
        return None
    chosen = {normalize_axis(a, rank) for a in axes}
    return None if None in chosen else chosen  # type: ignore[return-value]


def _reshape(call: Call) -> Shape:
    target = call.config.get("newshape", call.config.get("new_shape"))
    if call.x is None or not isinstance(target, list) or len(target) > dims.MAX_RANK:
        return None
    if not all(d is None or is_int(d) for d in target) or sum(d == -1 for d in target) > 1:
        return None
    values = [None if d is None else int_arg(d) for d in target]
    if None in values:
        return tuple(None if d in (None, -1) else d for d in values)
    return resolve_minus_one(values, call.x)  # type: ignore[arg-type]


def _transpose(call: Call) -> Shape:
    x, axes = call.x, call.config.get("axes")
    if x is None:
        return None
    if axes is None:
        return tuple(reversed(x))
    if not isinstance(axes, list) or sorted(a % len(x) if is_int(a) else -1 for a in axes) != list(
        range(len(x))
    ):
        return None
    return tuple(x[a % len(x)] for a in axes)


def _concatenate(call: Call) -> Shape:
    return concat(call.inputs, call.get("axis", 0))


def _expand_dims(call: Call) -> Shape:
    x, axis = call.x, call.config.get("axis")
    if x is None or not is_int(axis):
        return None
    index = normalize_axis(axis, len(x) + 1)
    return None if index is None else (*x[:index], 1, *x[index:])


def _squeeze(call: Call) -> Shape:
    x, axis = call.x, call.config.get("axis")
    if x is None:
        return None
    if axis is None:
        return None if None in x else tuple(d for d in x if d != 1)
    chosen = _chosen_axes(axis, len(x))
    return None if chosen is None else tuple(d for i, d in enumerate(x) if i not in chosen)


def _matmul(call: Call) -> Shape:
    if len(call.inputs) != 2 or call.inputs[0] is None or call.inputs[1] is None:
        return None
    first, second = call.inputs
    if len(first) < 2 or len(second) < 2:
        return None
    batch = (
        broadcast([(None, *first[:-2]), (None, *second[:-2])])
        if len(first) > 2 or len(second) > 2
        else (None,)
    )
    if batch is None:
        return None
    return (*batch[1:], first[-2], second[-1])


# Operations whose output is shaped as their (first) input, each with what TensorFlow's
# profiler counts for it (None: unknown).
_UNARY: dict[str, CostRule | None] = {
    "Abs": None,
    "Absolute": None,
    "Negative": None,
    "Square": None,
    "Sqrt": None,
    "Rsqrt": None,
    "Exp": None,
    "Expm1": None,
    "Log": None,
    "Log1p": None,
    "Log2": None,
    "Log10": None,
    "Sign": None,
    "Sin": None,
    "Cos": None,
    "Tan": None,
    "Tanh": free,
    "Sinh": None,
    "Cosh": None,
    "Arcsin": None,
    "Arccos": None,
    "Arctan": None,
    "Floor": None,
    "Ceil": None,
    "Round": None,
    "Clip": None,
    "Cast": None,
    "Relu": free,
    "Relu6": free,
    "Sigmoid": free,
    "HardSigmoid": None,
    "Silu": None,
    "HardSilu": None,
    "Gelu": None,
    "Elu": None,
    "Selu": None,
    "Softplus": None,
    "Softsign": None,
    "LeakyRelu": None,
    "Celu": None,
    "Glu": None,
    "Mish": None,
    "Erf": None,
    "Reciprocal": None,
    "Copy": None,
    "ConvertToTensor": None,
    "StopGradient": None,
    "Softmax": None,
    "LogSoftmax": None,
    "LogicalNot": None,
    "IsNan": None,
    "IsInf": None,
    "IsFinite": None,
    "Real": None,
    "Imag": None,
    "Conj": None,
    "Nan_to_num": None,
    "NanToNum": None,
    "Trunc": None,
}

# Operations on two tensors, broadcast as Keras broadcasts them.
_BINARY: dict[str, CostRule | None] = {
    "Add": _elementwise_cost,
    "Subtract": _elementwise_cost,
    "Multiply": _elementwise_cost,
    "Divide": _elementwise_cost,
    "TrueDivide": _elementwise_cost,
    "FloorDivide": None,
    "Mod": None,
    "Power": None,
    "Maximum": _elementwise_cost,
    "Minimum": _elementwise_cost,
    "Equal": None,
    "NotEqual": None,
    "Greater": None,
    "GreaterEqual": None,
    "Less": None,
    "LessEqual": None,
    "LogicalAnd": None,
    "LogicalOr": None,
    "LogicalXor": None,
    "Arctan2": None,
    "Hypot": None,
}

# Reductions along `axis` (all axes when None), keeping them as 1 with `keepdims`.
_REDUCTIONS: dict[str, CostRule | None] = {
    "Mean": _mean_cost,
    "Sum": None,
    "Max": None,
    "Min": None,
    "Prod": None,
    "Std": None,
    "Var": None,
    "Any": None,
    "All": None,
}


def _op(name: str, shape: ShapeRule, cost: CostRule | None) -> LayerKnowledge:
    return LayerKnowledge(f"{OP_PREFIX}{name}", Kind.OP, shape, cost)


register(
    *(_op(name, _unary, cost) for name, cost in _UNARY.items()),
    *(_op(name, _binary, cost) for name, cost in _BINARY.items()),
    *(_op(name, _reduction, cost) for name, cost in _REDUCTIONS.items()),
    _op("Reshape", _reshape, free),
    _op("Transpose", _transpose, free),
    _op("Concatenate", _concatenate, free),
    _op("ExpandDims", _expand_dims, None),
    _op("Squeeze", _squeeze, None),
    _op("Matmul", _matmul, None),
    # TF-Keras: tf_keras/src/layers/core/tf_op_layer.py, TFOpLambda and SlicingOpLambda.
    LayerKnowledge("TFOpLambda", Kind.OP, moves_batch_axis=True),
    LayerKnowledge("SlicingOpLambda", Kind.OP, moves_batch_axis=True),
)
