"""What one call of each built-in layer costs, as TensorFlow's profiler counts
the ops Keras 3's TensorFlow backend emits for it (the convention is in
`kerascope.shapes.cost`). Each rule gets concrete shapes; any unknown dimension
makes the cost unknown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import Any

from kerascope.shapes.call import MALFORMED, Call, Outputs, Shape
from kerascope.shapes.dims import elements, int_tuple, is_int, normalize_axis
from kerascope.shapes.rules_core import einsum_parts
from kerascope.shapes.rules_sequence import RECURRENT, inner_call


@dataclass
class Price:
    macs: int
    flops: int
    estimated: bool = False


# A count beyond any real model's (a config number from a hostile file) is unknown.
MAX_COUNT = 2**63 - 1
CostRule = Callable[[Call, Outputs], "Price | None"]
COST_RULES: dict[str, CostRule] = {}
# Built-in layers whose rule prices their sublayers too (they are not added again).
COMPOSITE = {*RECURRENT, "Bidirectional", "TimeDistributed", "MultiHeadAttention", "GroupedQueryAttention"}
COMPOSITE.update(f"ConvLSTM{rank}D" for rank in (1, 2, 3))

# Profiler FLOPs per element of each activation as Keras 3's TensorFlow backend computes it.
ACTIVATION_FLOPS = {
    "linear": 0,
    "relu": 0,
    "relu6": 0,
    "sigmoid": 0,
    "tanh": 0,
    "elu": 0,
    "selu": 0,
    "softplus": 0,
    "softsign": 0,
    "exponential": 0,
    "leaky_relu": 0,
    "log_softmax": 0,
    "softmax": 5,
    "silu": 2,
    "swish": 2,
    "gelu": 4,
    "hard_silu": 3,
    "hard_swish": 3,
    "hard_sigmoid": 2,
    "mish": 1,
}


def cost_rule(*keys: str) -> Callable[[CostRule], CostRule]:
    def register(rule: CostRule) -> CostRule:
        for key in keys:
            COST_RULES[key] = rule
        return rule

    return register


def price_call(call: Call, outputs: Outputs) -> Price | None:
    rule = COST_RULES.get(call.class_name)
    if rule is None:
        return None
    if any(elements(shape) is None for shape in call.inputs[:1]) or any(elements(s) is None for s in outputs):
        return None
    try:
        found = rule(call, outputs)
    except MALFORMED:
        return None
    if found is None or not 0 <= found.macs <= MAX_COUNT or not 0 <= found.flops <= MAX_COUNT:
        return None
    return found


def activation_flops(call: Call, count: int) -> int | None:
    name = call.config.get("activation", "linear")
    if name is None:
        return 0
    per_element = ACTIVATION_FLOPS.get(name) if isinstance(name, str) else None
    return None if per_element is None else per_element * count


def _with_activation(call: Call, macs: int, flops: int, count: int, estimated: bool = False) -> Price | None:
    extra = activation_flops(call, count)
    if extra is None:
        return None
    bias = count if call.config.get("use_bias", True) else 0
    return Price(macs, flops + bias + extra, estimated)


def _n(shape: Shape) -> int:
    return elements(shape) or 0


# -- free: no op the profiler counts --------------------------------------------------
FREE = [
    "InputLayer",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "Identity",
    "Reshape",
    "Flatten",
    "Permute",
    "RepeatVector",
    "Concatenate",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "LeakyReLU",
    "ELU",
    "ThresholdedReLU",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "app:StochasticDepth",
]


@cost_rule(*FREE)
def _free(call: Call, outputs: Outputs) -> Price:
    return Price(0, 0)


@cost_rule("Activation")
def _activation(call: Call, outputs: Outputs) -> Price | None:
    flops = activation_flops(call, _n(call.x))
    return None if flops is None else Price(0, flops)


@cost_rule("ReLU")
def _relu(call: Call, outputs: Outputs) -> Price:
    plain = not call.config.get("negative_slope") and not call.config.get("threshold")
    if plain and call.config.get("max_value") in (None, 6, 6.0):
        return Price(0, 0)
    return Price(0, 3 * _n(call.x), estimated=True)


@cost_rule("Softmax")
def _softmax(call: Call, outputs: Outputs) -> Price:
    axis = call.config.get("axis", -1)
    last = axis == -1 or (is_int(axis) and call.x is not None and axis == len(call.x) - 1)
    return Price(0, 5 * _n(call.x), estimated=not last)


@cost_rule("PReLU")
def _prelu(call: Call, outputs: Outputs) -> Price:
    return Price(0, 4 * _n(call.x), estimated=True)


# -- dense and convolution ------------------------------------------------------------
@cost_rule("Dense")
def _dense(call: Call, outputs: Outputs) -> Price | None:
    count = _n(outputs[0])
    macs = call.x[-1] * count  # type: ignore[index]
    return _with_activation(call, macs, 2 * macs, count)


@cost_rule("EinsumDense")
def _einsum_dense(call: Call, outputs: Outputs) -> Price | None:
    parts = einsum_parts(call.config.get("equation"))
    x, out = call.x, outputs[0]
    if parts is None or x is None or out is None:
        return None
    source, kernel, target, ellipsis = parts
    elided = len(x) - len(source)
    offset = elided if ellipsis == "left" else 0
    sizes = {letter: x[offset + i] for i, letter in enumerate(source)}
    out_offset = len(out) - len(target) if ellipsis == "left" else 0
    sizes.update({letter: out[out_offset + i] for i, letter in enumerate(target)})
    if any(letter not in sizes for letter in kernel) or any(size is None for size in sizes.values()):
        return None
    extra = prod(x[:elided]) if ellipsis == "left" else prod(x[len(x) - elided :]) if elided else 1
    macs = prod(sizes.values()) * extra  # type: ignore[arg-type]
    count = _n(out)
    flops = 2 * macs + (count if call.config.get("bias_axes") else 0)
    extra_act = activation_flops(call, count)
    return None if extra_act is None else Price(macs, flops + extra_act)


def _channels(call: Call, rank: int) -> tuple[int, tuple[int, ...]] | None:
    x = call.x
    if x is None or len(x) != rank + 2:
        return None
    first = call.config.get("data_format") == "channels_first"
    return (x[1] if first else x[-1]), tuple(x[2:] if first else x[1:-1])  # type: ignore[return-value]


def _dilated_outputs(call: Call, rank: int, kernel: tuple[int, ...], out: Shape) -> int:
    """The outputs TensorFlow's convolution op produces: for a dilated convolution,
    it runs on blocks of a padded input (SpaceToBatch), whose outputs the profiler counts."""
    count = _n(out)
    dilation = int_tuple(call.config.get("dilation_rate", 1), rank)
    found = _channels(call, rank)
    if dilation is None or found is None or out is None or all(d == 1 for d in dilation):
        return count
    _, spatial = found
    first = call.config.get("data_format") == "channels_first"
    lengths = out[2:] if first else out[1:-1]
    same = call.config.get("padding") == "same"
    produced = count
    for length, size, rate, made in zip(spatial, kernel, dilation, lengths, strict=True):
        padded = length + ((size - 1) * rate if same else 0)
        block = -(-padded // rate)
        produced = produced // made * rate * (block - size + 1)  # type: ignore[operator]
    return produced


def _conv(rank: int, kind: str) -> CostRule:
    def rule(call: Call, outputs: Outputs) -> Price | None:
        found = _channels(call, rank)
        kernel = int_tuple(call.config.get("kernel_size"), rank)
        if found is None or kernel is None:
            return None
        channels, _ = found
        out = outputs[0]
        count = _n(out)
        area = prod(kernel)
        estimated = False
        if kind == "conv":
            groups = call.config.get("groups", 1) if is_int(call.config.get("groups", 1)) else 1
            macs = count * area * channels // max(groups, 1)
            flops = 2 * _dilated_outputs(call, rank, kernel, out) * area * channels // max(groups, 1)
            # Keras runs these (bias included) as an XLA-compiled function, whose ops the
            # profiler does not see.
            if groups != 1 or (rank == 3 and call.config.get("data_format") == "channels_first"):
                extra = activation_flops(call, count)
                return None if extra is None else Price(macs, extra, estimated=True)
        elif kind == "depthwise":
            macs = count * area
            flops = 2 * macs
        elif kind == "separable":
            multiplier = call.config.get("depth_multiplier", 1)
            if not is_int(multiplier):
                return None
            depthwise = count // call.config["filters"] * channels * multiplier * area
            pointwise = count * channels * multiplier
            macs = depthwise + pointwise
            flops = 2 * macs
        else:  # transposed: the profiler's Conv2DBackpropInput formula
            strides = int_tuple(call.config.get("strides", 1), rank) or (1,) * rank
            flops = 2 * count * area * channels // prod(strides)
            macs = flops // 2
            estimated = rank == 3
        return _with_activation(call, macs, flops, count, estimated)

    return rule


for _rank in (1, 2, 3):
    COST_RULES[f"Conv{_rank}D"] = _conv(_rank, "conv")
    COST_RULES[f"Conv{_rank}DTranspose"] = _conv(_rank, "transpose")
for _rank in (1, 2):
    COST_RULES[f"DepthwiseConv{_rank}D"] = _conv(_rank, "depthwise")
    COST_RULES[f"SeparableConv{_rank}D"] = _conv(_rank, "separable")


# -- pooling --------------------------------------------------------------------------
def _pool(rank: int) -> CostRule:
    def rule(call: Call, outputs: Outputs) -> Price | None:
        size = int_tuple(call.config.get("pool_size", 2), rank)
        return None if size is None else Price(0, prod(size) * _n(outputs[0]), estimated=rank == 3)

    return rule


for _rank in (1, 2, 3):
    COST_RULES[f"MaxPooling{_rank}D"] = _pool(_rank)
    COST_RULES[f"AveragePooling{_rank}D"] = _pool(_rank)
    COST_RULES[f"GlobalAveragePooling{_rank}D"] = lambda call, outputs: Price(0, _n(call.x))
    COST_RULES[f"UpSampling{_rank}D"] = lambda call, outputs, rank=_rank: Price(
        0, 0 if call.config.get("interpolation", "nearest") != "nearest" else rank
    )


# -- normalization and scaling --------------------------------------------------------
def _axis_size(call: Call, default: Any = -1) -> int | None:
    x, axis = call.x, call.config.get("axis", default)
    if x is None:
        return None
    axes = axis if isinstance(axis, list) else [axis]
    found = [normalize_axis(a, len(x)) for a in axes]
    if None in found:
        return None
    return prod(x[a] for a in found)  # type: ignore[misc]


@cost_rule("BatchNormalization")
def _batch_norm(call: Call, outputs: Outputs) -> Price | None:
    channels = _axis_size(call)
    if channels is None:
        return None
    scale = bool(call.config.get("scale", True))
    return Price(0, 2 * _n(call.x) + 5 * channels + (channels if scale else 0))


@cost_rule("LayerNormalization")
def _layer_norm(call: Call, outputs: Outputs) -> Price | None:
    width = _axis_size(call)
    count = _n(call.x)
    if width is None or not width:
        return None
    rows = count // width
    flops = 6 * count + 5 * rows
    if call.config.get("scale", True):
        flops += 2 * count - rows
    if call.config.get("center", True):
        flops += count
    axis = call.config.get("axis", -1)
    single = axis in (-1, [-1]) or (call.x is not None and axis in (len(call.x) - 1, [len(call.x) - 1]))
    return Price(0, flops, estimated=not single or bool(call.config.get("rms_scaling")))


@cost_rule("Rescaling")
def _rescaling(call: Call, outputs: Outputs) -> Price:
    return Price(0, 2 * _n(call.x))


@cost_rule("Normalization")
def _normalization(call: Call, outputs: Outputs) -> Price | None:
    if call.config.get("invert"):
        return None
    channels = _axis_size(call)
    return None if channels is None else Price(0, 2 * _n(call.x) + channels)


@cost_rule("app:LayerScale")
def _layer_scale(call: Call, outputs: Outputs) -> Price:
    return Price(0, _n(call.x))


@cost_rule("app:CustomScaleLayer")
def _custom_scale(call: Call, outputs: Outputs) -> Price:
    return Price(0, 2 * _n(outputs[0]))


@cost_rule("Embedding")
def _embedding(call: Call, outputs: Outputs) -> Price:
    return Price(0, 2 * _n(call.x))


# -- merging --------------------------------------------------------------------------
@cost_rule("Add", "Subtract", "Multiply", "Maximum", "Minimum")
def _merge(call: Call, outputs: Outputs) -> Price:
    return Price(0, (len(call.inputs) - 1) * _n(outputs[0]))


@cost_rule("Average")
def _average(call: Call, outputs: Outputs) -> Price:
    return Price(0, len(call.inputs) * _n(outputs[0]))


@cost_rule("Dot")
def _dot(call: Call, outputs: Outputs) -> Price | None:
    if len(call.inputs) != 2 or call.inputs[0] is None:
        return None
    first, axes = call.inputs[0], call.config.get("axes", -1)
    axis = axes[0] if isinstance(axes, list) and axes else axes
    index = normalize_axis(axis, len(first))
    if index is None:
        return None
    macs = _n(outputs[0]) * first[index]  # type: ignore[operator]
    return Price(macs, 2 * macs, estimated=True)


# -- Keras 3 operations ---------------------------------------------------------------
@cost_rule("op:Add", "op:Subtract", "op:Multiply", "op:Divide", "op:TrueDivide", "op:Maximum", "op:Minimum")
def _binary_op(call: Call, outputs: Outputs) -> Price:
    return Price(0, _n(outputs[0]))


@cost_rule("op:Relu", "op:Relu6", "op:Sigmoid", "op:Tanh", "op:Reshape", "op:Transpose", "op:Concatenate")
def _free_op(call: Call, outputs: Outputs) -> Price:
    return Price(0, 0)


@cost_rule("op:Mean")
def _mean_op(call: Call, outputs: Outputs) -> Price:
    return Price(0, _n(call.x))


# -- recurrent and attention: the real work (the profiler's figure is not) --------------
_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "SimpleRNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


@cost_rule("SimpleRNN", "LSTM", "GRU")
def _recurrent(call: Call, outputs: Outputs) -> Price | None:
    x, units = call.x, call.config.get("units")
    if x is None or len(x) != 3 or not is_int(units):
        return None
    steps, features, batch = x[1], x[2], x[0]
    gates = _GATES[call.class_name]
    macs = batch * steps * gates * units * (features + units)  # type: ignore[operator]
    bias = batch * steps * gates * units if call.config.get("use_bias", True) else 0  # type: ignore[operator]
    return Price(macs, 2 * macs + bias, estimated=True)


@cost_rule("Bidirectional")
def _bidirectional(call: Call, outputs: Outputs) -> Price | None:
    inner = inner_call(call.config.get("layer"), call.inputs[:1], call)
    if inner is None or inner.class_name not in COST_RULES:
        return None
    one = COST_RULES[inner.class_name](inner, outputs[:1])
    return None if one is None else Price(2 * one.macs, 2 * one.flops, estimated=True)


@cost_rule("TimeDistributed")
def _time_distributed(call: Call, outputs: Outputs) -> Price | None:
    x, out = call.x, outputs[0]
    if x is None or out is None or len(x) < 3:
        return None
    inner = inner_call(call.config.get("layer"), [(x[0] * x[1], *x[2:])], call)  # type: ignore[operator]
    if inner is None:
        return None
    return price_call(inner, [(out[0] * out[1], *out[2:])])  # type: ignore[operator]


@cost_rule("MultiHeadAttention")
def _multi_head_attention(call: Call, outputs: Outputs) -> Price | None:
    query = call.x
    value = call.inputs[1] if len(call.inputs) > 1 else query
    key = call.inputs[2] if len(call.inputs) > 2 else value
    heads, width = call.config.get("num_heads"), call.config.get("key_dim")
    value_width = call.config.get("value_dim") or width
    if query is None or value is None or key is None or len(query) != 3 or len(key) != 3:
        return None
    if not (is_int(heads) and is_int(width) and is_int(value_width)):
        return None
    batch, q_len, q_dim = query
    k_len, out_dim = key[1], outputs[0][-1]  # type: ignore[index]
    projections = batch * (
        q_len * q_dim * heads * width
        + k_len * key[2] * heads * width
        + k_len * value[2] * heads * value_width
    )
    output = batch * q_len * heads * value_width * out_dim
    scores = batch * heads * q_len * k_len
    attention = scores * width + scores * value_width
    macs = projections + output + attention
    bias = batch * (q_len * heads * width + k_len * heads * (width + value_width) + q_len * out_dim)
    return Price(macs, 2 * macs + 5 * scores + batch * q_len * heads * width + bias, estimated=True)
